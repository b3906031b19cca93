/**
 * Reading a training text: the checks that turn bad input into a clear message before any model is
 * built. Bytes must be UTF-8 text (no NUL bytes, valid sequences); line endings become "\n".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeqLabError } from './errors';

/** Default cap on bytes read from one file (as setting sequenceLab.maxFileSizeMB). Larger files are refused unless `truncate` is set. */
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

export interface ReadTextOptions {
  /** Refuse (or, with `truncate`, cut) files above this many bytes. */
  maxBytes?: number;
  /** Read only the first `maxBytes` instead of refusing a larger file. */
  truncate?: boolean;
}

export interface TextFile {
  path: string;
  text: string;
  /** Bytes on disk. */
  bytes: number;
  /** True when only the first `maxBytes` were read. */
  truncated: boolean;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Reads, checks and normalises one text file. Throws SeqLabError with a specific code. */
export function readTextFile(file: string, options: ReadTextOptions = {}): TextFile {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const name = path.basename(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new SeqLabError('FILE_NOT_FOUND', `${name} does not exist (it may have been moved or deleted).`, 'Pick an existing text file.');
  }
  if (!stat.isFile()) throw new SeqLabError('NOT_A_FILE', `${name} is not a file.`, 'Pick a text file, not a folder.');
  if (stat.size === 0) throw new SeqLabError('EMPTY', `${name} is empty.`, 'Train on a file with some text in it: a few kilobytes at least.');
  if (stat.size > maxBytes && !options.truncate) {
    throw new SeqLabError(
      'TOO_LARGE',
      `${name} is ${megabytes(stat.size)}, above the limit of ${megabytes(maxBytes)}.`,
      `Train on its first ${megabytes(maxBytes)} instead, or raise the limit (sequenceLab.maxFileSizeMB, or --max-mb on the command line).`,
    );
  }
  const length = Math.min(stat.size, maxBytes);
  const bytes = Buffer.allocUnsafe(length);
  const fd = fs.openSync(file, 'r');
  try {
    let read = 0;
    while (read < length) {
      const n = fs.readSync(fd, bytes, read, length - read, read);
      if (n === 0) break;
      read += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  const text = decodeText(bytes, name, length < stat.size);
  return { path: file, text, bytes: stat.size, truncated: length < stat.size };
}

/**
 * Decodes UTF-8 strictly. `cutAtEnd` says the bytes were cut from a longer file, so an incomplete
 * sequence at the very end is dropped instead of being reported as invalid.
 */
export function decodeText(bytes: Uint8Array, name = 'The text', cutAtEnd = false): string {
  const text = normalizeLineEndings(decodeUtf8(bytes, name, cutAtEnd));
  if (text.trim().length === 0) {
    throw new SeqLabError('EMPTY', `${name} contains only whitespace.`, 'Train on a file with some text in it.');
  }
  return text;
}

/** Bytes a caller reads to `sniffText` a file before training on it. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * The checks of `readTextFile` on the first bytes of a file (`fileBytes` long), so a file that is
 * empty, binary or not UTF-8 near its start is refused at once, before a run is created for it.
 * Throws the same SeqLabError as reading the whole file would.
 */
export function sniffText(head: Uint8Array, name: string, fileBytes: number): void {
  if (fileBytes === 0) throw new SeqLabError('EMPTY', `${name} is empty.`, 'Train on a file with some text in it: a few kilobytes at least.');
  const whole = head.length >= fileBytes;
  if (whole) decodeText(head, name);
  else decodeUtf8(head, name, true);
}

/** Strict UTF-8 with no NUL bytes; `cutAtEnd`: an incomplete sequence at the end is dropped. */
function decodeUtf8(bytes: Uint8Array, name: string, cutAtEnd: boolean): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new SeqLabError(
      'BINARY',
      `${name} looks binary: it contains a NUL byte at offset ${nul}.`,
      'Sequence Lab trains on plain text (UTF-8). Pick a .txt, .md or source file.',
    );
  }
  let end = bytes.length;
  if (cutAtEnd) end = completeUtf8Prefix(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes.subarray(0, end));
  } catch {
    const offset = firstInvalidUtf8(bytes.subarray(0, end));
    throw new SeqLabError(
      'NOT_UTF8',
      `${name} is not valid UTF-8 (first bad byte at offset ${offset}).`,
      'Convert it to UTF-8 first (in VS Code: "Reopen with Encoding", then "Save with Encoding" > UTF-8).',
    );
  }
}

/** "\r\n" and lone "\r" become "\n", so one text gives the same tokens on every platform. */
export function normalizeLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Length of the longest prefix that does not end inside a multi-byte UTF-8 sequence. */
function completeUtf8Prefix(bytes: Uint8Array): number {
  const i = bytes.length;
  // Step back over at most 3 continuation bytes to the lead byte of the last sequence.
  let back = 0;
  while (back < 4 && i - back - 1 >= 0 && (bytes[i - back - 1] & 0xc0) === 0x80) back++;
  const lead = i - back - 1;
  if (lead < 0) return i;
  const b = bytes[lead];
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + need > i ? lead : i;
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    // Overlong 3- and 4-byte forms, surrogates and code points past U+10FFFF.
    const c1 = bytes[i + 1];
    if ((b === 0xe0 && c1 < 0xa0) || (b === 0xed && c1 >= 0xa0) || (b === 0xf0 && c1 < 0x90) || (b === 0xf4 && c1 >= 0x90)) return i;
    i += length;
  }
  return bytes.length;
}
