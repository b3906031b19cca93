/**
 * Checks on the files a user asks to train on, made before a run is created: each exists, is readable,
 * fits the size limit, and its first 64 KB are UTF-8 text (so an empty, binary or mis-encoded file is
 * refused at once, leaving no failed run behind). The worker checks the whole text again and applies
 * the same per-file limit, which the host passes along (`maxBytes`), cutting a larger file to its
 * first `maxBytes` when asked (`truncate`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeqLabError } from '../../core/errors';
import { SNIFF_BYTES, sniffText } from '../../core/text';

export type InputProblem =
  | { kind: 'notFound'; file: string }
  | { kind: 'notAFile'; file: string }
  | { kind: 'unreadable'; file: string; detail: string }
  | { kind: 'notText'; file: string; message: string; hint?: string }
  | { kind: 'tooLarge'; files: { file: string; bytes: number }[]; maxBytes: number };

export type InputCheck = { ok: true; totalBytes: number } | { ok: false; problem: InputProblem };

/** Checks that every file exists, is readable and is at most `maxBytes` long. */
export async function checkInputFiles(files: readonly string[], maxBytes: number): Promise<InputCheck> {
  let totalBytes = 0;
  const tooLarge: { file: string; bytes: number }[] = [];
  for (const file of files) {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, problem: code === 'ENOENT' ? { kind: 'notFound', file } : { kind: 'unreadable', file, detail: (e as Error).message } };
    }
    if (!stat.isFile()) return { ok: false, problem: { kind: 'notAFile', file } };
    try {
      await fs.promises.access(file, fs.constants.R_OK);
    } catch (e) {
      return { ok: false, problem: { kind: 'unreadable', file, detail: (e as Error).message } };
    }
    const notText = await sniff(file, stat.size);
    if (notText) return { ok: false, problem: notText };
    if (stat.size > maxBytes) tooLarge.push({ file, bytes: stat.size });
    totalBytes += stat.size;
  }
  if (tooLarge.length) return { ok: false, problem: { kind: 'tooLarge', files: tooLarge, maxBytes } };
  return { ok: true, totalBytes };
}

/** The content checks of the worker, on the first SNIFF_BYTES of the file. */
async function sniff(file: string, size: number): Promise<InputProblem | undefined> {
  let head: Uint8Array;
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(size, SNIFF_BYTES));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (e) {
    return { kind: 'unreadable', file, detail: (e as Error).message };
  }
  try {
    sniffText(head, path.basename(file), size);
    return undefined;
  } catch (e) {
    if (e instanceof SeqLabError) return { kind: 'notText', file, message: e.message, hint: e.hint };
    throw e;
  }
}

/** The per-file limit of setting sequenceLab.maxFileSizeMB, in whole bytes (the worker wants an integer). */
export function megabytesToBytes(mb: number): number {
  return Math.max(1, Math.floor(mb * 1024 * 1024));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

export function describeInputProblem(problem: InputProblem): string {
  switch (problem.kind) {
    case 'notFound':
      return `${problem.file} does not exist (was it moved or deleted?).`;
    case 'notAFile':
      return `${problem.file} is not a file.`;
    case 'unreadable':
      return `Cannot read ${problem.file}: ${problem.detail}`;
    case 'notText':
      return problem.hint ? `${problem.message} ${problem.hint}` : problem.message;
    case 'tooLarge': {
      const [first, ...rest] = problem.files;
      const which = `${path.basename(first.file)} is ${formatBytes(first.bytes)}${rest.length ? ` (and ${rest.length} more file(s) are too)` : ''}`;
      return `${which}, above the limit of ${formatBytes(problem.maxBytes)} per file (setting sequenceLab.maxFileSizeMB).`;
    }
  }
}
