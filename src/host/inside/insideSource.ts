/**
 * The text "Inspect Hidden Units" reads: the editor's selection, its whole document, or a file from the
 * explorer, never more than INSIDE_MAX_CHARS of it (a 50 MB file is read in its first bytes only).
 * Offsets the panel sends back are checked against the document before anything is revealed.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { INSIDE_MAX_CHARS } from '../../protocol/inside';

export interface InsideSource {
  text: string;
  /** The source was longer than what is sent. */
  cut: boolean;
  /** How large the whole source is, for the panel's note ("52,428,800 bytes"). */
  size: string;
  label: string;
  uri?: vscode.Uri;
  /** Where `text` starts in the document (UTF-16 offset). */
  baseOffset: number;
}

/** Cuts at a code point boundary. */
export function boundText(text: string, max = INSIDE_MAX_CHARS): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  const last = text.charCodeAt(max - 1);
  return { text: text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max), cut: true };
}

const n = (x: number) => x.toLocaleString('en-US');

/** From a file's URI (explorer, or `given`), a given string (tests, the sidebar) or the active editor's selection or document. */
export async function insideSource(arg: unknown, given?: unknown): Promise<InsideSource | undefined> {
  if (typeof given === 'string') {
    const { text, cut } = boundText(given);
    return text ? { text, cut, size: `${n(given.length)} characters`, label: 'the given text', baseOffset: 0 } : undefined;
  }
  // A file from the explorer (the first argument), or from a caller that names the run first.
  const file = arg instanceof vscode.Uri ? arg : given instanceof vscode.Uri ? given : undefined;
  if (file && file.scheme === 'file') {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
    if (!open) return readFileStart(file);
  }
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) return undefined;
  const doc = editor.document;
  const name = path.basename(doc.uri.fsPath || doc.uri.path);
  const selection = editor.selection;
  const whole = selection.isEmpty;
  const full = whole ? doc.getText() : doc.getText(selection);
  const { text, cut } = boundText(full);
  if (!text) return undefined;
  return {
    text,
    cut,
    size: `${n(full.length)} characters`,
    label: whole ? name : `selection in ${name}, lines ${selection.start.line + 1}-${selection.end.line + 1}`,
    uri: doc.uri,
    baseOffset: whole ? 0 : doc.offsetAt(selection.start),
  };
}

/** The first bytes of a file not open in an editor, decoded as UTF-8 (a partial last character dropped). */
async function readFileStart(uri: vscode.Uri): Promise<InsideSource | undefined> {
  const handle = await fs.open(uri.fsPath, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(size, INSIDE_MAX_CHARS * 4));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (buffer.subarray(0, bytesRead).includes(0)) throw new Error(`${path.basename(uri.fsPath)} looks binary (it contains a NUL byte): nothing to inspect.`);
    const decoded = new TextDecoder('utf-8', { fatal: false }).decode(buffer.subarray(0, bytesRead), { stream: bytesRead < size });
    const { text, cut } = boundText(decoded);
    if (!text) return undefined;
    return { text, cut: cut || bytesRead < size, size: `${n(size)} bytes`, label: path.basename(uri.fsPath), uri, baseOffset: 0 };
  } finally {
    await handle.close();
  }
}

/** Shows [from, to) of the inspected text in its editor, after checking the range lies inside the document. */
export async function revealRange(source: InsideSource, from: number, to: number): Promise<boolean> {
  if (!source.uri) return false;
  const doc = await vscode.workspace.openTextDocument(source.uri);
  const start = source.baseOffset + from;
  const end = source.baseOffset + to;
  const length = doc.getText().length;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > length || start > end) return false;
  const range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return true;
}
