/**
 * Checks on the files a user asks to train on, made before anything starts (the worker checks the
 * content itself: empty, binary, invalid UTF-8), and the "train on the first N MB" fallback for files
 * above the size limit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type InputProblem =
  | { kind: 'notFound'; file: string }
  | { kind: 'notAFile'; file: string }
  | { kind: 'unreadable'; file: string; detail: string }
  | { kind: 'tooLarge'; totalBytes: number; maxBytes: number };

export type InputCheck = { ok: true; totalBytes: number } | { ok: false; problem: InputProblem };

export async function checkInputFiles(files: readonly string[], maxBytes: number): Promise<InputCheck> {
  let totalBytes = 0;
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
    totalBytes += stat.size;
  }
  if (totalBytes > maxBytes) return { ok: false, problem: { kind: 'tooLarge', totalBytes, maxBytes } };
  return { ok: true, totalBytes };
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
    case 'tooLarge':
      return `The text is ${formatBytes(problem.totalBytes)}, above the limit of ${formatBytes(problem.maxBytes)} (setting sequenceLab.maxFileSizeMB).`;
  }
}

/** How far back from a cut point to look for a line break, so the head ends on a whole line. */
const LINE_SEARCH_BYTES = 64 * 1024;

/**
 * Where to cut `file` at no more than `maxBytes`: after the last line break within the final 64 KB
 * before the limit, or else on a UTF-8 character boundary (never inside a multi-byte character).
 */
export async function headCutPoint(file: string, maxBytes: number): Promise<number> {
  const size = (await fs.promises.stat(file)).size;
  if (size <= maxBytes) return size;
  const start = Math.max(0, maxBytes - LINE_SEARCH_BYTES);
  const buf = Buffer.alloc(maxBytes - start + 1);
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.read(buf, 0, buf.length, start);
  } finally {
    await handle.close();
  }
  // buf[i] is the byte at start + i; buf[buf.length - 1] is the first byte past the limit.
  const limit = buf.length - 1;
  const newline = buf.lastIndexOf(0x0a, limit - 1);
  if (newline >= 0) return start + newline + 1;
  let cut = limit;
  // A continuation byte (10xxxxxx) at the cut means the cut splits a character: move back to its lead byte.
  while (cut > 0 && (buf[cut] & 0xc0) === 0x80) cut--;
  return start + cut;
}

/**
 * Copies the first `maxBytes` (cut as above) of the files, in order, into `destDir`, and returns the
 * paths to train on: whole files while they fit, the head of the file that crosses the limit, none after.
 */
export async function copyHeads(files: readonly string[], maxBytes: number, destDir: string): Promise<string[]> {
  await fs.promises.mkdir(destDir, { recursive: true });
  const out: string[] = [];
  let budget = maxBytes;
  for (const [i, file] of files.entries()) {
    if (budget <= 0) break;
    const cut = await headCutPoint(file, budget);
    if (cut <= 0) break;
    const dest = path.join(destDir, `${i + 1}-${path.basename(file)}`);
    await copyRange(file, dest, cut);
    out.push(dest);
    budget -= cut;
  }
  return out;
}

async function copyRange(src: string, dest: string, bytes: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const input = fs.createReadStream(src, { start: 0, end: bytes - 1 });
    const output = fs.createWriteStream(dest);
    input.on('error', reject);
    output.on('error', reject);
    output.on('finish', () => resolve());
    input.pipe(output);
  });
}
