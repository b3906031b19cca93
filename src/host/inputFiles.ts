/**
 * Checks on the files a user asks to train on, made before anything starts. The worker checks the
 * content itself (empty, binary, invalid UTF-8) and applies the same per-file size limit, which the
 * host passes along (`maxBytes`), cutting a larger file to its first `maxBytes` when asked (`truncate`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type InputProblem =
  | { kind: 'notFound'; file: string }
  | { kind: 'notAFile'; file: string }
  | { kind: 'unreadable'; file: string; detail: string }
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
    if (stat.size > maxBytes) tooLarge.push({ file, bytes: stat.size });
    totalBytes += stat.size;
  }
  if (tooLarge.length) return { ok: false, problem: { kind: 'tooLarge', files: tooLarge, maxBytes } };
  return { ok: true, totalBytes };
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
    case 'tooLarge': {
      const [first, ...rest] = problem.files;
      const which = `${path.basename(first.file)} is ${formatBytes(first.bytes)}${rest.length ? ` (and ${rest.length} more file(s) are too)` : ''}`;
      return `${which}, above the limit of ${formatBytes(problem.maxBytes)} per file (setting sequenceLab.maxFileSizeMB).`;
    }
  }
}
