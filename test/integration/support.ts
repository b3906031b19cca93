/**
 * Helpers for tests that run inside the extension host: the extension under test, its manifest, the
 * workspace folder, and waits on the run folders the extension writes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'sequence-lab.sequence-lab';

export interface Manifest {
  contributes?: {
    commands?: { command: string; title: string; category?: string }[];
    configuration?: { properties?: Record<string, { default?: unknown; scope?: string }> } | { properties?: Record<string, { default?: unknown }> }[];
    menus?: Record<string, { command: string; when?: string }[]>;
  };
  capabilities?: { untrustedWorkspaces?: { supported: boolean | 'limited'; description?: string } };
}

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded in this extension host`);
  return ext;
}

export function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

export function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is not open');
  return folder.uri.fsPath;
}

export function runsDir(): string {
  return path.join(workspaceFolder(), '.seqlab', 'runs');
}

/** The run folders now in the workspace. */
export function runIds(): string[] {
  try {
    return fs.readdirSync(runsDir()).filter((n) => fs.existsSync(path.join(runsDir(), n, 'run.json')));
  } catch {
    return [];
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `probe` until it returns something other than undefined; fails with `what` (a function: said
 * as things are at the timeout) after `timeoutMs`. These tests share the extension host's event loop
 * with the extension, whose delays are measured while it trains: a probe reads asynchronously.
 */
export async function eventually<T>(what: () => string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${what()}`);
    await sleep(200);
  }
}
