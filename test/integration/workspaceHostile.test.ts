/**
 * A hostile workspace inside the real extension host: the crafted run folders of
 * test/fixtures/hostileRuns.ts beside two genuine runs written by the real run store. Every genuine
 * run stays listed and openable; every crafted folder is listed as unreadable with its reason (or
 * skipped); Resume and Delete on each refuse, ask (answered "no") or remove only a real folder; no
 * file outside the workspace changes (checksums before and after); no uncaught exception.
 * Runs last (file order): it removes everything it wrote.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRunFolder, readRunRecord } from '../../src/core/runFiles';
import { checksumTree, makeOutsideFolder, relaxHostileRuns, writeHostileRuns, type HostileWorkspace } from '../fixtures/hostileRuns';
import { extension, runsDir, sleep, workspaceFolder } from './support';

interface Unreadable {
  key: string;
  dir: string;
  reason: string;
  deletable: boolean;
}

async function unreadable(): Promise<Unreadable[]> {
  // refresh: the listing is not left to the file watcher (which can be late under load).
  const d = await Promise.race([
    vscode.commands.executeCommand<{ unreadable?: Unreadable[] }>('sequenceLab.getDiagnostics', { refresh: true }),
    sleep(20_000).then(() => Promise.reject(new Error('listing the runs folders did not settle within 20 s'))),
  ]);
  return d?.unreadable ?? [];
}

/** The unreadable entry of a crafted folder, once the listing shows it. */
async function listedUnreadable(name: string, reason: RegExp, timeoutMs = 30_000): Promise<Unreadable> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = (await unreadable()).find((u) => path.basename(u.dir) === name);
    if (entry && reason.test(entry.reason)) return entry;
    if (Date.now() > deadline) throw new Error(`${name} is not listed as unreadable matching ${reason} (got ${entry?.reason ?? 'nothing'})`);
    await sleep(250);
  }
}

describe('a hostile workspace (crafted run folders)', function () {
  this.timeout(300_000);
  let outside: string;
  let ws: HostileWorkspace;
  let outsideBefore: Record<string, string>;
  const uncaught: string[] = [];
  const onUncaught = (e: unknown) => uncaught.push(`uncaught: ${(e as Error)?.stack ?? String(e)}`);
  const onRejection = (e: unknown) => uncaught.push(`unhandled rejection: ${(e as Error)?.stack ?? String(e)}`);

  before(async () => {
    await extension().activate();
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-outside-'));
    makeOutsideFolder(outside);
    ws = writeHostileRuns(runsDir(), outside, path.join(workspaceFolder(), 'timemachine-excerpt.txt'));
    outsideBefore = checksumTree(outside);
  });

  after(async () => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
    relaxHostileRuns(runsDir());
    for (const name of [...ws.cases.map((c) => c.name), ...ws.genuine.map((g) => g.id)]) {
      fs.rmSync(path.join(runsDir(), name), { recursive: true, force: true });
    }
    fs.rmSync(outside, { recursive: true, force: true });
    await sleep(1000);
  });

  it(`lists every crafted folder as unreadable with its reason (at least 30), and skips what is not a folder`, async () => {
    assert.ok(ws.cases.length >= 30);
    for (const c of ws.cases.filter((x) => x.outcome === 'list')) {
      const entry = await listedUnreadable(c.name, c.reason!);
      assert.equal(entry.deletable, c.deletable, `${c.name} deletable`);
    }
    const names = (await unreadable()).map((u) => path.basename(u.dir));
    for (const c of ws.cases.filter((x) => x.outcome === 'skipped')) assert.ok(!names.includes(c.name), `${c.name} is skipped`);
  });

  it('keeps every genuine run listed and openable, its history read back', async () => {
    await vscode.commands.executeCommand('sequenceLab.getDiagnostics', { refresh: true });
    for (const g of ws.genuine) {
      const dir = await vscode.commands.executeCommand<string | undefined>('sequenceLab.openRunFolder', g.id);
      assert.equal(dir, path.join(runsDir(), g.id), `${g.id} is listed`);
      assert.equal(await vscode.commands.executeCommand('sequenceLab.openPanel', g.id), g.id);
      const history = readRunFolder(dir);
      assert.ok(history.ok, history.ok ? '' : history.reason);
      assert.equal(history.record.metrics.length, g.metrics);
      assert.equal(history.record.gradMaps.length, g.gradMaps);
    }
  });

  it('finds the bad logs on Resume (which refuses), and lists those runs as unreadable', async () => {
    for (const c of ws.cases.filter((x) => x.outcome === 'history')) {
      assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', c.name, { allowOutsideFiles: false }), undefined, c.name);
      await listedUnreadable(c.name, c.reason!);
    }
  });

  it('asks before resuming a run that reads files outside the workspace, and reads nothing when told no', async () => {
    assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', 'files-outside', { allowOutsideFiles: false }), undefined);
    await sleep(1000);
    assert.equal(readRunRecord(path.join(runsDir(), 'files-outside'))?.state, 'stopped', 'not queued');
    assert.deepEqual(checksumTree(outside), outsideBefore);
  });

  it('refuses to resume a run whose checkpoint folder is a link out of it', async () => {
    assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', 'symlinked-checkpoint-step', { allowOutsideFiles: false }), undefined);
    await sleep(500);
    assert.equal(readRunRecord(path.join(runsDir(), 'symlinked-checkpoint-step'))?.state, 'stopped', 'not queued');
  });

  it('refuses Resume on every unreadable folder', async () => {
    for (const entry of (await unreadable()).filter((u) => path.dirname(u.dir) === runsDir())) {
      assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', entry.key, { allowOutsideFiles: false }), undefined, entry.dir);
      const name = path.basename(entry.dir);
      if (/^[A-Za-z0-9_-]{1,80}$/.test(name)) assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', name, { allowOutsideFiles: false }), undefined, name);
    }
    const d = await vscode.commands.executeCommand<{ activeRunId?: string; queued: string[] }>('sequenceLab.getDiagnostics');
    assert.equal(d?.activeRunId, undefined, 'nothing trains');
    assert.deepEqual(d?.queued, []);
  });

  it('Delete removes every real crafted folder, refuses links, and leaves the genuine runs and everything outside alone', async () => {
    const entries = (await unreadable()).filter((u) => path.dirname(u.dir) === runsDir());
    let deleted = 0;
    for (const entry of entries) {
      const done = await vscode.commands.executeCommand<boolean>('sequenceLab.deleteRun', entry.key, { confirm: false });
      assert.equal(done, entry.deletable, `${entry.dir}: ${entry.reason}`);
      if (done) {
        assert.equal(fs.existsSync(entry.dir), false, `${entry.dir} is gone`);
        deleted++;
      } else {
        assert.ok(fs.lstatSync(entry.dir).isSymbolicLink(), `${entry.dir}: the link stays`);
      }
    }
    assert.ok(deleted >= 30, `${deleted} crafted folders deleted`);
    for (const name of ['files-outside', 'symlinked-checkpoint-step']) {
      assert.equal(await vscode.commands.executeCommand('sequenceLab.deleteRun', name, { confirm: false }), true, name);
      assert.equal(fs.existsSync(path.join(runsDir(), name)), false, `${name} is gone`);
    }
    for (const g of ws.genuine) assert.ok(readRunFolder(path.join(runsDir(), g.id)).ok, `${g.id} is intact`);
    assert.deepEqual(checksumTree(outside), outsideBefore, 'no file outside the workspace changed');
  });

  it('logged no uncaught exception in the extension host', () => {
    assert.deepEqual(uncaught, []);
  });
});
