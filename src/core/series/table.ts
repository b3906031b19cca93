/**
 * Numeric columns of a CSV, TSV or JSON-lines file as a series x_t in R^d (one row a time step, in
 * file order). The file passes the text checks first (size limit, empty, binary, not UTF-8); then each
 * problem gets its own message naming the row and column, and nothing is guessed silently:
 * missing cells are an error unless the caller asked to interpolate them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeqLabError } from '../errors';
import { readTextFile } from '../text';
import { makeSeries, type Series } from './series';

export interface TableOptions {
  /** Columns to use, by name or 1-based number; default: every numeric column but the time column. */
  columns?: readonly string[];
  /** A column that orders or labels the rows, left out of x_t. */
  timeColumn?: string;
  /** Fill missing cells by linear interpolation between the nearest values above and below. */
  interpolate?: boolean;
  maxBytes?: number;
}

export interface NumericTable {
  series: Series;
  /** The time column's cells, as written, if one was named. */
  time?: string[];
  /** Every column of the file, for pickers. */
  allColumns: string[];
  /** Cells filled by interpolation. */
  interpolated: number;
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none', 'n/a', '-', '?']);
const MIN_ROWS = 3;
/** Cells quoted in messages are cut to this length (file text is shown as text, never trusted). */
const QUOTE = 40;

const quote = (cell: string) => JSON.stringify(cell.length > QUOTE ? `${cell.slice(0, QUOTE)}…` : cell);

function splitLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter).map((c) => c.trim());
  // RFC 4180 quoting: "a, b" is one cell, "" inside quotes is a quote.
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** The delimiter of a delimited file: the header's most frequent of tab, comma and semicolon. */
function detectDelimiter(header: string, ext: string): string {
  if (ext === '.tsv') return '\t';
  const counts = ['\t', ',', ';'].map((d) => [d, header.split(d).length - 1] as const);
  const best = counts.reduce((a, b) => (b[1] > a[1] ? b : a));
  return best[1] > 0 ? best[0] : ',';
}

/** A JSON value as a table cell: numbers and strings as written, nothing for null, a marker for anything nested. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return String(v);
  return '[object]';
}

const isNumber = (cell: string) => cell.trim() !== '' && Number.isFinite(Number(cell));

/** Rows of cells, and the column names, from the file's text. */
function parseRows(text: string, name: string, ext: string): { names: string[]; rows: string[][]; firstRow: number } {
  const lines = text.split('\n');
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (ext === '.jsonl' || ext === '.ndjson') {
    const rows: string[][] = [];
    let names: string[] | undefined;
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new SeqLabError('TABLE_RAGGED', `${name}, line ${i + 1}, is not valid JSON.`, 'Each line of a JSON-lines file must be one JSON object.');
      }
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw new SeqLabError(
          'TABLE_RAGGED',
          `${name}, line ${i + 1}, is not a JSON object.`,
          'Each line must be an object of column names to numbers, e.g. {"t": 1, "load": 0.5}.',
        );
      names ??= Object.keys(value);
      const object = value as Record<string, unknown>;
      rows.push(names.map((k) => cellText(object[k])));
    });
    return { names: names ?? [], rows, firstRow: 1 };
  }
  if (!lines.length) return { names: [], rows: [], firstRow: 1 };
  const delimiter = detectDelimiter(lines[0], ext);
  const first = splitLine(lines[0], delimiter);
  const hasHeader = first.some((c) => !isNumber(c) && !MISSING.has(c.toLowerCase()));
  const names = hasHeader ? first.map((c, j) => c || `column ${j + 1}`) : first.map((_, j) => `column ${j + 1}`);
  const rows: string[][] = [];
  const start = hasHeader ? 1 : 0;
  for (let i = start; i < lines.length; i++) {
    const cells = splitLine(lines[i], delimiter);
    if (cells.length !== names.length) {
      const other = ['\t', ',', ';'].filter((d) => d !== delimiter && lines[i].includes(d));
      const shown = (d: string) => (d === '\t' ? 'tabs' : d === ',' ? 'commas' : 'semicolons');
      throw new SeqLabError(
        'TABLE_RAGGED',
        `${name}, line ${i + 1}, has ${cells.length} cells where the ${hasHeader ? 'header has' : 'first line has'} ${names.length}${other.length ? ` (it uses ${other.map(shown).join(' and ')}, the file ${shown(delimiter)}: mixed delimiters?)` : ''}.`,
        'Use one delimiter throughout and the same number of cells on every line.',
      );
    }
    rows.push(cells);
  }
  return { names, rows, firstRow: start + 1 };
}

function columnIndex(names: string[], wanted: string, name: string): number {
  const byName = names.indexOf(wanted);
  if (byName >= 0) return byName;
  const n = Number(wanted);
  if (Number.isInteger(n) && n >= 1 && n <= names.length) return n - 1;
  throw new SeqLabError('TABLE_NO_COLUMN', `${name} has no column ${quote(wanted)}.`, `Its columns: ${names.slice(0, 20).map(quote).join(', ')}${names.length > 20 ? ', …' : ''}.`);
}

/** Reads numeric columns of a table file as a series. Throws SeqLabError with a specific code. */
export function readNumericTable(file: string, options: TableOptions = {}): NumericTable {
  const name = path.basename(file);
  const ext = path.extname(file).toLowerCase();
  const { text } = readTextFile(file, { maxBytes: options.maxBytes });
  const { names, rows, firstRow } = parseRows(text, name, ext);
  if (!rows.length) {
    throw new SeqLabError(
      'TABLE_NO_ROWS',
      names.length ? `${name} has a header but no data rows.` : `${name} has no rows.`,
      'Forecasting needs a column with many values, one per line.',
    );
  }
  const timeIndex = options.timeColumn !== undefined ? columnIndex(names, options.timeColumn, name) : -1;
  let chosen: number[];
  if (options.columns?.length) {
    chosen = options.columns.map((c) => columnIndex(names, c, name));
    if (chosen.includes(timeIndex))
      throw new SeqLabError('TABLE_NO_COLUMN', `${quote(names[timeIndex])} is the time column; it cannot also be forecast.`, 'Pick other columns to forecast.');
  } else {
    // Every column with at least one number in it, but the time column.
    chosen = names.map((_, j) => j).filter((j) => j !== timeIndex && rows.some((r) => isNumber(r[j])));
    if (!chosen.length) throw new SeqLabError('TABLE_NOT_NUMERIC', `${name} has no numeric column.`, 'Forecasting needs numbers: a column of values, one per line.');
  }
  if (rows.length < MIN_ROWS) {
    throw new SeqLabError(
      'TABLE_NO_ROWS',
      `${name} has ${rows.length} data row${rows.length === 1 ? '' : 's'}: a series needs at least ${MIN_ROWS}, and far more to learn from.`,
      'Use a file with one row per time step.',
    );
  }
  const d = chosen.length;
  const values = new Float64Array(rows.length * d);
  let interpolated = 0;
  chosen.forEach((col, j) => {
    const missing: number[] = [];
    rows.forEach((row, t) => {
      const cell = row[col];
      if (MISSING.has(cell.toLowerCase())) {
        missing.push(t);
        values[t * d + j] = NaN;
      } else if (!isNumber(cell)) {
        throw new SeqLabError(
          'TABLE_NOT_NUMERIC',
          `${name}, line ${t + firstRow}, column ${quote(names[col])}: ${quote(cell)} is not a number.`,
          'Pick numeric columns only, or fix that cell.',
        );
      } else values[t * d + j] = Number(cell);
    });
    if (missing.length === rows.length) throw new SeqLabError('TABLE_MISSING', `Column ${quote(names[col])} of ${name} has no values.`, 'Pick a column with numbers in it.');
    if (missing.length && !options.interpolate) {
      throw new SeqLabError(
        'TABLE_MISSING',
        `Column ${quote(names[col])} of ${name} has ${missing.length} missing value${missing.length === 1 ? '' : 's'}, the first on line ${missing[0] + firstRow}.`,
        'Fill them in, or let Sequence Lab interpolate them linearly (the "interpolate missing values" option, --interpolate on the command line).',
      );
    }
    interpolated += fillGaps(values, d, j, rows.length);
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = 0; t < rows.length; t++) {
      lo = Math.min(lo, values[t * d + j]);
      hi = Math.max(hi, values[t * d + j]);
    }
    if (lo === hi)
      throw new SeqLabError(
        'TABLE_CONSTANT',
        `Column ${quote(names[col])} of ${name} is constant (${lo} on every row): there is nothing to forecast.`,
        'Pick a column whose values change.',
      );
  });
  return {
    series: makeSeries(
      values,
      d,
      chosen.map((c) => names[c]),
    ),
    time: timeIndex >= 0 ? rows.map((r) => r[timeIndex]) : undefined,
    allColumns: names,
    interpolated,
  };
}

/** Linear interpolation of NaN runs in component j; ends take the nearest value. Returns cells filled. */
function fillGaps(values: Float64Array, d: number, j: number, T: number): number {
  let filled = 0;
  let prev = -1;
  for (let t = 0; t <= T; t++) {
    if (t < T && Number.isNaN(values[t * d + j])) continue;
    // A gap (prev, t): fill from the known ends.
    for (let g = prev + 1; g < t; g++) {
      const a = prev >= 0 ? values[prev * d + j] : values[t * d + j];
      const b = t < T ? values[t * d + j] : a;
      const w = prev >= 0 && t < T ? (g - prev) / (t - prev) : 0;
      values[g * d + j] = a + w * (b - a);
      filled++;
    }
    prev = t;
  }
  return filled;
}

/** What a column picker needs: the columns and which look numeric, from the first 64 KB only (after the size check). */
export interface TablePeek {
  columns: string[];
  /** Per column: every non-missing cell of the rows read is a number (and there is at least one). */
  numeric: boolean[];
}

const PEEK_BYTES = 64 * 1024;

/** Reads the head of a table to offer its columns; throws SeqLabError on a missing, empty, binary or too large file, refused before reading it. */
export function peekTable(file: string, maxBytes?: number): TablePeek {
  const name = path.basename(file);
  const ext = path.extname(file).toLowerCase();
  const limit = maxBytes ?? Infinity;
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) throw new SeqLabError('FILE_NOT_FOUND', `${name} does not exist (it may have been moved or deleted).`, 'Pick an existing table file.');
  if (!st.isFile()) throw new SeqLabError('NOT_A_FILE', `${name} is not a file.`, 'Pick a CSV, TSV or JSON-lines file.');
  if (st.size > limit)
    throw new SeqLabError(
      'TOO_LARGE',
      `${name} is ${(st.size / 1048576).toFixed(0)} MB, above the limit of ${(limit / 1048576).toFixed(0)} MB: it was not read.`,
      'Forecast a smaller table (a sample or an aggregate of it), or raise sequenceLab.maxFileSizeMB.',
    );
  if (st.size === 0) throw new SeqLabError('EMPTY', `${name} is empty.`, 'Forecasting needs a column with many values, one per line.');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(Math.min(st.size, PEEK_BYTES));
  try {
    fs.readSync(fd, buf, 0, buf.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (buf.includes(0)) throw new SeqLabError('BINARY', `${name} looks binary: it contains a NUL byte.`, 'Pick a text table: CSV, TSV or JSON lines.');
  let text = buf.toString('utf8');
  // Drop a line cut by the 64 KB boundary.
  if (buf.length < st.size) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
  const { names, rows } = parseRows(text.replace(/\r/g, ''), name, ext);
  if (!rows.length)
    throw new SeqLabError(
      'TABLE_NO_ROWS',
      names.length ? `${name} has a header but no data rows.` : `${name} has no rows.`,
      'Forecasting needs a column with many values, one per line.',
    );
  const numeric = names.map((_, j) => rows.some((r) => isNumber(r[j])) && rows.every((r) => isNumber(r[j]) || MISSING.has(r[j].toLowerCase())));
  return { columns: names, numeric };
}
