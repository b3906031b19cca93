/**
 * The one checked reader of run folders. A run folder travels inside a repository, so whoever made the
 * repository may have crafted it: everything read here is untrusted input. Every field is checked for
 * type and range, every size is bounded (run.json bytes, log line bytes, entries per log, nesting depth,
 * gradient-map shape), logs are read in chunks and never whole, and nothing that is a symbolic link is
 * followed. Each reader answers `{ ok: true, record }` or `{ ok: false, reason }`, the reason in words
 * for the user ("run.json: config.hidden must be a whole number from 8 to 1024").
 *
 * No `vscode` import: the command line, the worker and the extension host share it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { NUMBER_RULES } from './config';
import {
  RUN_KINDS,
  type CheckpointRef,
  type EvalPoint,
  type GradMap,
  type MetricPoint,
  type Readouts,
  type RunInfo,
  type RunState,
  type SampleRecord,
  type TokenStatsInfo,
  type TrainConfig,
} from '../protocol/types';
import type { RunRecord } from './runFiles';

export type Checked<T> = { ok: true; record: T } | { ok: false; reason: string };

/** The bounds. Genuine runs stay far inside every one of them (see the comments). */
export const RUN_LIMITS = Object.freeze({
  /** run.json: a genuine one is a few KB (its checkpoint list holds the few a run keeps). */
  runJsonBytes: 2 * 1024 * 1024,
  /** One log line: the largest genuine one, a 4-layer gradient map over a 1024-step window, is about 200 KB. */
  lineBytes: 4 * 1024 * 1024,
  /** Entries per log: one per step at most, and a run has at most 10,000,000 steps (plus lines a resume rewound). */
  logEntries: 20_000_000,
  /** Nesting of a JSON value: genuine files nest 3 deep. */
  depth: 32,
  /** Gradient maps: layers ([layer][t]) and time steps per layer (window <= 1024, tau <= 256). */
  gradMapLayers: 8,
  gradMapWidth: 4096,
  /** Weights named in a gradient map's per-parameter norms. */
  gradMapParams: 256,
  /** Files a run trained on, and the checkpoints run.json lists. */
  files: 10_000,
  checkpoints: 10_000,
  /** A path, a name, a date, a reason; a sample's text. */
  pathChars: 4096,
  nameChars: 1000,
  shortChars: 100,
  reasonChars: 20_000,
  sampleChars: 1_000_000,
});

export const RUN_STATES: readonly RunState[] = ['queued', 'starting', 'training', 'paused', 'completed', 'stopped', 'diverged', 'failed', 'interrupted'];
const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
const CONFIG_ENUMS: Readonly<Record<string, readonly string[]>> = {
  level: ['char', 'word'],
  cell: ['rnn', 'gru', 'lstm', 'window'],
  batching: ['random', 'sequential'],
  optimizer: ['adam', 'sgd', 'rmsprop'],
  backend: ['auto', 'tensorflow', 'wasm', 'cpu'],
  activation: ['tanh', 'relu'],
  truncation: ['fixed', 'random'],
};
/** Config fields a genuine run.json may lack: written only by newer versions. */
const OPTIONAL_CONFIG = new Set(['threads', 'keepGraph', 'activation', 'truncation']);
/** What an absent optional field means (threads stays absent: automatic). */
const OPTIONAL_DEFAULTS: Readonly<Record<string, unknown>> = { keepGraph: 0, activation: 'tanh', truncation: 'fixed' };

export const LOG_NAMES = ['metrics', 'evals', 'gradmaps', 'samples'] as const;
export type LogName = (typeof LOG_NAMES)[number];
export interface LogEntryOf {
  metrics: MetricPoint;
  evals: EvalPoint;
  gradmaps: GradMap;
  samples: SampleRecord;
}

/** A checkpoint ref's path: exactly `checkpoints/step-NNNNNNN` (see checkpoint.ts), nothing else. */
export const CHECKPOINT_REF_PATH = /^checkpoints\/step-\d{7,10}$/;

// ---------------------------------------------------------------- JSON with bounded depth

/**
 * The nesting depth of a JSON text, found by scanning (no recursion), stopping as soon as it passes
 * `max`: JSON.parse recurses, and a value 10,000 levels deep must be refused before it is parsed.
 * Returns true when the text nests no deeper than `max`.
 */
export function depthWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return false;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return true;
}

/** Parses JSON text that is bounded in depth; the reason says what is wrong with it. */
export function parseBoundedJson(text: string, what: string): Checked<unknown> {
  if (!depthWithin(text, RUN_LIMITS.depth)) return { ok: false, reason: `${what} nests deeper than ${RUN_LIMITS.depth} levels` };
  try {
    return { ok: true, record: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, reason: `${what} is not valid JSON (${(e as Error).message.slice(0, 120)})` };
  }
}

// ---------------------------------------------------------------- field checks

/** Thrown inside the checkers only; turned into `{ ok: false, reason }` at their edge. */
class Invalid extends Error {}

type Obj = Record<string, unknown>;

function fail(where: string, what: string): never {
  throw new Invalid(`${where} ${what}`);
}

function obj(value: unknown, where: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, value === undefined ? 'is missing' : 'must be an object');
  return value as Obj;
}

function str(value: unknown, where: string, maxChars: number): string {
  if (typeof value !== 'string') fail(where, value === undefined ? 'is missing' : 'must be a string');
  if (value.length > maxChars) fail(where, `is longer than ${maxChars} characters`);
  return value;
}

function num(value: unknown, where: string, min = -Number.MAX_VALUE, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number') fail(where, value === undefined ? 'is missing' : 'must be a number');
  if (!Number.isFinite(value)) fail(where, 'must be a finite number');
  if (value < min || value > max) fail(where, `must be from ${min} to ${max}`);
  return value;
}

function int(value: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = num(value, where, min, max);
  if (!Number.isInteger(n)) fail(where, 'must be a whole number');
  return n;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') fail(where, value === undefined ? 'is missing' : 'must be true or false');
  return value;
}

function oneOf<T extends string>(value: unknown, where: string, options: readonly T[]): T {
  if (value === undefined) fail(where, 'is missing');
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) fail(where, `must be one of ${options.join(', ')}`);
  return value as T;
}

function arr(value: unknown, where: string, maxItems: number): unknown[] {
  if (!Array.isArray(value)) fail(where, value === undefined ? 'is missing' : 'must be an array');
  if (value.length > maxItems) fail(where, `has more than ${maxItems} entries`);
  return value;
}

/** A date string (ISO 8601 as written by the run store). */
function date(value: unknown, where: string): string {
  const s = str(value, where, RUN_LIMITS.shortChars);
  if (!Number.isFinite(Date.parse(s))) fail(where, 'must be a date');
  return s;
}

/**
 * An optional number that JSON may carry as null: JSON.stringify writes NaN and Infinity as null, so a
 * null is what a loss that was not a number looks like on disk. Absent and null both read as absent.
 */
function optNum(value: unknown, where: string): number | undefined {
  return value === undefined || value === null ? undefined : num(value, where);
}

function checked<T>(check: () => T): Checked<T> {
  try {
    return { ok: true, record: check() };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    throw e;
  }
}

/** A complete training configuration: every field present (threads may be absent), in range; no unknown field. */
export function checkConfig(value: unknown, where = 'config'): TrainConfig {
  const o = obj(value, where);
  const out: Obj = {};
  for (const key of Object.keys(o)) {
    if (!(key in NUMBER_RULES) && !(key in CONFIG_ENUMS)) fail(`${where}.${key}`, 'is not a known setting');
  }
  for (const [key, rule] of Object.entries(NUMBER_RULES)) {
    const v = o[key];
    if (v === undefined && OPTIONAL_CONFIG.has(key)) {
      if (key in OPTIONAL_DEFAULTS) out[key] = OPTIONAL_DEFAULTS[key];
      continue;
    }
    const n = num(v, `${where}.${key}`);
    if (rule.integer && !Number.isInteger(n)) fail(`${where}.${key}`, `must be a whole number from ${rule.min} to ${rule.max}`);
    if (n < rule.min || n > rule.max) fail(`${where}.${key}`, `must be from ${rule.min} to ${rule.max}`);
    out[key] = n;
  }
  for (const [key, options] of Object.entries(CONFIG_ENUMS)) {
    out[key] = o[key] === undefined && OPTIONAL_CONFIG.has(key) ? OPTIONAL_DEFAULTS[key] : oneOf(o[key], `${where}.${key}`, options);
  }
  return out as unknown as TrainConfig;
}

function checkInfo(value: unknown, where: string): RunInfo {
  const o = obj(value, where);
  const info: RunInfo = {
    backend: oneOf(o.backend, `${where}.backend`, BACKEND_NAMES),
    backendReason: str(o.backendReason, `${where}.backendReason`, RUN_LIMITS.reasonChars),
    vocabSize: int(o.vocabSize, `${where}.vocabSize`, 1, 10_000_000),
    paramCount: int(o.paramCount, `${where}.paramCount`),
    trainTokens: int(o.trainTokens, `${where}.trainTokens`),
    valTokens: int(o.valTokens, `${where}.valTokens`),
    uniformLoss: num(o.uniformLoss, `${where}.uniformLoss`),
    unigramLoss: num(o.unigramLoss, `${where}.unigramLoss`),
    charsPerToken: num(o.charsPerToken, `${where}.charsPerToken`, 0),
  };
  if (o.threads !== undefined) info.threads = int(o.threads, `${where}.threads`, 0, 64);
  const bigram = optNum(o.bigramLoss, `${where}.bigramLoss`);
  if (bigram !== undefined) info.bigramLoss = bigram;
  const trigram = optNum(o.trigramLoss, `${where}.trigramLoss`);
  if (trigram !== undefined) info.trigramLoss = trigram;
  if (o.tokenStats !== undefined) info.tokenStats = checkTokenStats(o.tokenStats, `${where}.tokenStats`);
  return info;
}

/** Token statistics: at most 100 top tokens of at most 100 characters, a curve of at most 1,000 points. */
function checkTokenStats(value: unknown, where: string): TokenStatsInfo {
  const o = obj(value, where);
  const pair = (v: unknown, w: string): [number, number] => {
    const a = arr(v, w, 2);
    if (a.length !== 2) fail(w, 'must be two numbers');
    return [num(a[0], `${w}[0]`, 0), num(a[1], `${w}[1]`, 0)];
  };
  return {
    distinct: int(o.distinct, `${where}.distinct`),
    total: int(o.total, `${where}.total`),
    top: arr(o.top, `${where}.top`, 100).map((t, i) => {
      const e = obj(t, `${where}.top[${i}]`);
      return { token: str(e.token, `${where}.top[${i}].token`, 100), count: int(e.count, `${where}.top[${i}].count`) };
    }),
    curve: arr(o.curve, `${where}.curve`, 1000).map((p, i) => pair(p, `${where}.curve[${i}]`)),
    zipfExponent: o.zipfExponent === null ? NaN : num(o.zipfExponent, `${where}.zipfExponent`),
    zipfIntercept: o.zipfIntercept === null ? NaN : num(o.zipfIntercept, `${where}.zipfIntercept`),
    fitRanks: pair(o.fitRanks, `${where}.fitRanks`),
  };
}

/** [layer][gate block] readouts: at most 8 layers of at most 4 blocks; null (not a number on disk) reads as NaN. */
function blocks(value: unknown, where: string): number[][] {
  return arr(value, where, RUN_LIMITS.gradMapLayers).map((row, l) => arr(row, `${where}[${l}]`, 4).map((v, g) => (v === null ? NaN : num(v, `${where}[${l}][${g}]`, 0))));
}

function checkReadouts(value: unknown, where: string): Readouts {
  const o = obj(value, where);
  const horizons = (v: unknown, w: string) => arr(v, w, RUN_LIMITS.gradMapLayers).map((x, l) => int(x, `${w}[${l}]`, 0, RUN_LIMITS.gradMapWidth));
  const readouts: Readouts = { memoryHorizon: horizons(o.memoryHorizon, `${where}.memoryHorizon`), clipRate: num(o.clipRate, `${where}.clipRate`, 0, 1) };
  if (o.memoryHorizonH !== undefined) readouts.memoryHorizonH = horizons(o.memoryHorizonH, `${where}.memoryHorizonH`);
  if (o.gates !== undefined) readouts.gates = arr(o.gates, `${where}.gates`, 4).map((g, i) => str(g, `${where}.gates[${i}]`, 8));
  if (o.spectralRadius !== undefined) readouts.spectralRadius = blocks(o.spectralRadius, `${where}.spectralRadius`);
  if (o.sigmaMax !== undefined) readouts.sigmaMax = blocks(o.sigmaMax, `${where}.sigmaMax`);
  return readouts;
}

/** A checkpoint ref: its path must be `checkpoints/step-NNNNNNN`, never `..`, an absolute path or another name. */
export function checkCheckpointRef(value: unknown, where: string): CheckpointRef {
  const o = obj(value, where);
  const ref: CheckpointRef = {
    step: int(o.step, `${where}.step`),
    path: str(o.path, `${where}.path`, RUN_LIMITS.pathChars),
    time: str(o.time, `${where}.time`, RUN_LIMITS.shortChars),
  };
  if (!CHECKPOINT_REF_PATH.test(ref.path)) fail(`${where}.path`, `must be checkpoints/step-NNNNNNN (got ${JSON.stringify(ref.path.slice(0, 80))})`);
  const valLoss = optNum(o.valLoss, `${where}.valLoss`);
  if (valLoss !== undefined) ref.valLoss = valLoss;
  return ref;
}

/**
 * A run.json's content, checked field by field. Unknown top-level fields (a newer version's) are kept
 * only when they are a short string, a finite number or a boolean; anything else in them is dropped.
 */
export function checkRunRecord(value: unknown): Checked<RunRecord> {
  return checked(() => {
    const o = obj(value, 'run.json');
    const id = str(o.id, 'id', 80);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) fail('id', 'must be letters, digits, - and _ only');
    const record: RunRecord = {
      id,
      name: str(o.name, 'name', RUN_LIMITS.nameChars),
      createdAt: date(o.createdAt, 'createdAt'),
      updatedAt: str(o.updatedAt, 'updatedAt', RUN_LIMITS.shortChars),
      files: arr(o.files, 'files', RUN_LIMITS.files).map((f, i) => str(f, `files[${i}]`, RUN_LIMITS.pathChars)),
      config: checkConfig(o.config),
      state: oneOf(o.state, 'state', RUN_STATES),
      step: int(o.step, 'step'),
      durationMs: num(o.durationMs, 'durationMs', 0),
      checkpoints: arr(o.checkpoints, 'checkpoints', RUN_LIMITS.checkpoints).map((c, i) => checkCheckpointRef(c, `checkpoints[${i}]`)),
    };
    if (o.reason !== undefined) record.reason = str(o.reason, 'reason', RUN_LIMITS.reasonChars);
    // Runs written before kinds existed have none: they are text runs.
    if (o.kind !== undefined && oneOf(o.kind, 'kind', RUN_KINDS) === 'forecast') record.kind = 'forecast';
    if (o.info !== undefined) record.info = checkInfo(o.info, 'info');
    const best = optNum(o.bestValLoss, 'bestValLoss');
    if (best !== undefined) record.bestValLoss = best;
    const last = optNum(o.lastLoss, 'lastLoss');
    if (last !== undefined) record.lastLoss = last;
    if (o.fineTunedFrom !== undefined) record.fineTunedFrom = str(o.fineTunedFrom, 'fineTunedFrom', RUN_LIMITS.pathChars);
    const extra = record as unknown as Obj;
    for (const [key, v] of Object.entries(o)) {
      if (key in extra || KNOWN_RECORD_KEYS.has(key)) continue;
      if ((typeof v === 'string' && v.length <= RUN_LIMITS.pathChars) || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') extra[key] = v;
    }
    return record;
  });
}

const KNOWN_RECORD_KEYS = new Set([
  'kind',
  'id',
  'name',
  'createdAt',
  'updatedAt',
  'files',
  'config',
  'state',
  'reason',
  'step',
  'info',
  'bestValLoss',
  'lastLoss',
  'durationMs',
  'checkpoints',
  'fineTunedFrom',
  '__proto__',
]);

/** [layer][t] norms: bounded in both directions; null (a norm JSON could not write) reads as NaN, which the views draw as missing. */
function norms(value: unknown, where: string): number[][] {
  return arr(value, where, RUN_LIMITS.gradMapLayers).map((row, l) =>
    arr(row, `${where}[${l}]`, RUN_LIMITS.gradMapWidth).map((v, t) => (v === null ? NaN : num(v, `${where}[${l}][${t}]`, 0))),
  );
}

const LOG_CHECKS: { [K in LogName]: (o: Obj) => LogEntryOf[K] } = {
  metrics: (o) => ({
    step: int(o.step, 'step'),
    loss: num(o.loss, 'loss'),
    gradNorm: num(o.gradNorm, 'gradNorm', 0),
    clipped: bool(o.clipped, 'clipped'),
    tokensPerSec: num(o.tokensPerSec, 'tokensPerSec', 0),
    elapsedMs: num(o.elapsedMs, 'elapsedMs', 0),
  }),
  evals: (o) => ({ step: int(o.step, 'step'), valLoss: num(o.valLoss, 'valLoss') }),
  gradmaps: (o) => {
    const params = obj(o.paramGradNorms, 'paramGradNorms');
    const names = Object.keys(params);
    if (names.length > RUN_LIMITS.gradMapParams) fail('paramGradNorms', `names more than ${RUN_LIMITS.gradMapParams} weights`);
    const paramGradNorms: Record<string, number> = {};
    for (const name of names) {
      if (name.length > RUN_LIMITS.shortChars) fail('paramGradNorms', 'has a weight name longer than 100 characters');
      const v = params[name];
      paramGradNorms[name] = v === null ? NaN : num(v, `paramGradNorms.${name}`, 0);
    }
    const map: GradMap = {
      step: int(o.step, 'step'),
      hiddenGradNorms: norms(o.hiddenGradNorms, 'hiddenGradNorms'),
      paramGradNorms,
      globalNorm: num(o.globalNorm, 'globalNorm', 0),
      clip: num(o.clip, 'clip', 0),
    };
    if (o.totalGradNorms !== undefined) map.totalGradNorms = norms(o.totalGradNorms, 'totalGradNorms');
    if (o.cellGradNorms !== undefined) map.cellGradNorms = norms(o.cellGradNorms, 'cellGradNorms');
    if (o.readouts !== undefined) map.readouts = checkReadouts(o.readouts, 'readouts');
    return map;
  },
  samples: (o) => ({
    step: int(o.step, 'step'),
    prompt: str(o.prompt, 'prompt', RUN_LIMITS.sampleChars),
    text: str(o.text, 'text', RUN_LIMITS.sampleChars),
    temperature: num(o.temperature, 'temperature', 0),
  }),
};

/** One log entry, checked. */
export function checkLogEntry<K extends LogName>(log: K, value: unknown): Checked<LogEntryOf[K]> {
  return checked(() => LOG_CHECKS[log](obj(value, 'the entry')) as LogEntryOf[K]);
}

// ---------------------------------------------------------------- lines, read in chunks

const CHUNK_BYTES = 64 * 1024;

/**
 * Splits bytes fed in chunks into lines, never holding more than `maxBytes` of one line: a longer line
 * is reported as too long (by its number) and its bytes are dropped as they come.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflow = false;
  private readonly decoder = new StringDecoder('utf8');
  /** 1-based number of the line being assembled. */
  lineNo = 1;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string, lineNo: number) => void,
    private readonly onTooLong: (lineNo: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl < 0) return;
      this.endLine();
      start = nl + 1;
    }
  }

  /** The end of the file: a last line without a newline (a torn append) is passed on as well. */
  end(): void {
    if (this.size > 0 || this.overflow) this.endLine();
  }

  private take(bytes: Buffer): void {
    if (this.overflow || bytes.length === 0) return;
    if (this.size + bytes.length > this.maxBytes) {
      this.overflow = true;
      this.parts = [];
      this.size = 0;
      return;
    }
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private endLine(): void {
    const lineNo = this.lineNo++;
    if (this.overflow) {
      this.overflow = false;
      this.onTooLong(lineNo);
      return;
    }
    const line = this.decoder.write(Buffer.concat(this.parts, this.size)) + this.decoder.end();
    this.parts = [];
    this.size = 0;
    this.onLine(line, lineNo);
  }
}

/**
 * Collects the entries of one log. A line that is not JSON at all is skipped (a crash mid-append tears
 * a line, and a resumed run appends after it); a line that is JSON but not a valid entry, a line that is
 * too long, or too many entries make the whole log unreadable, with the line named.
 */
class LogCollector<K extends LogName> {
  readonly entries: LogEntryOf[K][] = [];
  reason: string | undefined;

  constructor(private readonly log: K) {}

  readonly onLine = (line: string, lineNo: number): void => {
    if (this.reason || !line.trim()) return;
    if (!depthWithin(line, RUN_LIMITS.depth)) {
      this.reason = `${this.log}.jsonl line ${lineNo} nests deeper than ${RUN_LIMITS.depth} levels`;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return; // torn by a crash mid-append
    }
    const entry = checkLogEntry(this.log, value);
    if (!entry.ok) {
      this.reason = `${this.log}.jsonl line ${lineNo}: ${entry.reason}`;
      return;
    }
    if (this.entries.length >= RUN_LIMITS.logEntries) {
      this.reason = `${this.log}.jsonl has more than ${RUN_LIMITS.logEntries} entries`;
      return;
    }
    this.entries.push(entry.record);
  };

  readonly onTooLong = (lineNo: number): void => {
    this.reason ??= `${this.log}.jsonl line ${lineNo} is longer than ${RUN_LIMITS.lineBytes / (1024 * 1024)} MB`;
  };

  result(): Checked<LogEntryOf[K][]> {
    return this.reason ? { ok: false, reason: this.reason } : { ok: true, record: this.entries };
  }
}

// ---------------------------------------------------------------- files, never through a symlink

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

function describeOpenError(name: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ELOOP':
    case 'EMLINK':
      return `${name} is a symbolic link (refused: links in a run folder are not followed)`;
    case 'EACCES':
    case 'EPERM':
      return `${name} cannot be read (permission denied)`;
    case 'EISDIR':
      return `${name} is a folder, not a file`;
    default:
      return `${name} cannot be read (${e.code ?? e.message})`;
  }
}

/** The reason when the folder vanished between listing and reading it (deleted meanwhile): not a problem of the run. */
export const RUN_FOLDER_GONE = 'the run folder is gone';

/** Why a run folder itself is refused (a link, not a folder), or undefined when it is a real folder. */
export function runFolderProblem(stat: fs.Stats | undefined): string | undefined {
  if (!stat) return RUN_FOLDER_GONE;
  if (stat.isSymbolicLink()) return 'the run folder is a symbolic link (refused: links under .seqlab are not followed)';
  if (!stat.isDirectory()) return 'not a folder';
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeRunJson(bytes: Uint8Array): Checked<RunRecord> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'run.json is not UTF-8 text' };
  }
  const parsed = parseBoundedJson(text, 'run.json');
  if (!parsed.ok) return parsed;
  const record = checkRunRecord(parsed.record);
  return record.ok ? record : { ok: false, reason: `run.json: ${record.reason}` };
}

/** A buffer twice as long (at most the run.json limit plus one byte), holding `buf`. */
function grow(buf: Buffer): Buffer {
  const next = Buffer.allocUnsafe(Math.min(buf.length * 2 + 1024, RUN_LIMITS.runJsonBytes + 1));
  buf.copy(next);
  return next;
}

function tooBig(size: number): Checked<RunRecord> {
  return { ok: false, reason: `run.json is ${(size / (1024 * 1024)).toFixed(1)} MB, above the limit of ${RUN_LIMITS.runJsonBytes / (1024 * 1024)} MB` };
}

/** A run folder's run.json, checked; the folder and the file must be real (not symbolic links). */
export function readRunJson(dir: string): Checked<RunRecord> {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(dir);
  } catch {
    stat = undefined;
  }
  const problem = runFolderProblem(stat) ?? checkRunFolderLayoutSync(dir);
  if (problem) return { ok: false, reason: problem };
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, 'run.json'), fs.constants.O_RDONLY | O_NOFOLLOW);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, reason: err.code === 'ENOENT' ? 'it has no run.json' : describeOpenError('run.json', err) };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { ok: false, reason: 'run.json is not a regular file' };
    if (st.size > RUN_LIMITS.runJsonBytes) return tooBig(st.size);
    let buf: Buffer = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) {
        // Longer than its size said (it grew meanwhile): read on, never past the limit.
        if (buf.length > RUN_LIMITS.runJsonBytes) return tooBig(n);
        buf = grow(buf);
      }
    }
    return decodeRunJson(buf.subarray(0, n));
  } catch (e) {
    return { ok: false, reason: describeOpenError('run.json', e as NodeJS.ErrnoException) };
  } finally {
    fs.closeSync(fd);
  }
}

/** `readRunJson` without blocking: for the extension host. */
export async function readRunJsonAsync(dir: string): Promise<Checked<RunRecord>> {
  const stat = await fs.promises.lstat(dir).catch(() => undefined);
  const problem = runFolderProblem(stat) ?? (await checkRunFolderLayout(dir));
  if (problem) return { ok: false, reason: problem };
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path.join(dir, 'run.json'), fs.constants.O_RDONLY | O_NOFOLLOW);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, reason: err.code === 'ENOENT' ? 'it has no run.json' : describeOpenError('run.json', err) };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { ok: false, reason: 'run.json is not a regular file' };
    if (st.size > RUN_LIMITS.runJsonBytes) return tooBig(st.size);
    let buf: Buffer = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) {
        if (buf.length > RUN_LIMITS.runJsonBytes) return tooBig(n);
        buf = grow(buf);
      }
    }
    return decodeRunJson(buf.subarray(0, n));
  } catch (e) {
    return { ok: false, reason: describeOpenError('run.json', e as NodeJS.ErrnoException) };
  } finally {
    await handle.close();
  }
}

function logOpenResult<K extends LogName>(log: K, e: NodeJS.ErrnoException): Checked<LogEntryOf[K][]> {
  // No log yet: a run that has not logged anything.
  return e.code === 'ENOENT' ? { ok: true, record: [] } : { ok: false, reason: describeOpenError(`${log}.jsonl`, e) };
}

/** One log of a run, read in chunks and checked line by line (see LogCollector). */
export function readLogChecked<K extends LogName>(dir: string, log: K): Checked<LogEntryOf[K][]> {
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, `${log}.jsonl`), fs.constants.O_RDONLY | O_NOFOLLOW);
  } catch (e) {
    return logOpenResult(log, e as NodeJS.ErrnoException);
  }
  const collector = new LogCollector(log);
  const splitter = new LineSplitter(RUN_LIMITS.lineBytes, collector.onLine, collector.onTooLong);
  try {
    if (!fs.fstatSync(fd).isFile()) return { ok: false, reason: `${log}.jsonl is not a regular file` };
    const buf = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const got = fs.readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      // The splitter keeps slices of a chunk across calls: give it a copy.
      splitter.push(Buffer.from(buf.subarray(0, got)));
      if (collector.reason) break;
    }
    splitter.end();
  } catch (e) {
    return { ok: false, reason: describeOpenError(`${log}.jsonl`, e as NodeJS.ErrnoException) };
  } finally {
    fs.closeSync(fd);
  }
  return collector.result();
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `readLogChecked` without blocking: reads a chunk at a time and yields between chunks. */
export async function readLogCheckedAsync<K extends LogName>(dir: string, log: K): Promise<Checked<LogEntryOf[K][]>> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path.join(dir, `${log}.jsonl`), fs.constants.O_RDONLY | O_NOFOLLOW);
  } catch (e) {
    return logOpenResult(log, e as NodeJS.ErrnoException);
  }
  const collector = new LogCollector(log);
  const splitter = new LineSplitter(RUN_LIMITS.lineBytes, collector.onLine, collector.onTooLong);
  try {
    if (!(await handle.stat()).isFile()) return { ok: false, reason: `${log}.jsonl is not a regular file` };
    for (;;) {
      const buf = Buffer.alloc(CHUNK_BYTES);
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      splitter.push(buf.subarray(0, bytesRead));
      if (collector.reason) break;
      await yieldToEventLoop();
    }
    splitter.end();
  } catch (e) {
    return { ok: false, reason: describeOpenError(`${log}.jsonl`, e as NodeJS.ErrnoException) };
  } finally {
    await handle.close();
  }
  return collector.result();
}

// ---------------------------------------------------------------- the folder's layout

const LAYOUT: readonly [string, 'file' | 'folder'][] = [['run.json', 'file'], ['checkpoints', 'folder'], ...LOG_NAMES.map((l): [string, 'file'] => [`${l}.jsonl`, 'file'])];

function layoutProblem(name: string, kind: 'file' | 'folder', st: fs.Stats | undefined): string | undefined {
  if (!st) return undefined;
  if (st.isSymbolicLink()) return `${name} is a symbolic link (refused: links in a run folder are not followed)`;
  if (kind === 'folder' ? !st.isDirectory() : !st.isFile()) return `${name} is not a ${kind}`;
  return undefined;
}

/**
 * Refuses a run folder whose known entries are symbolic links or of the wrong kind (`checkpoints` must
 * be a real folder, the logs real files): a link there could lead reads, appends or the pruning of old
 * checkpoints out of the workspace. Cheap (one lstat per entry): every read of run.json runs it.
 */
export async function checkRunFolderLayout(dir: string): Promise<string | undefined> {
  for (const [name, kind] of LAYOUT) {
    const problem = layoutProblem(name, kind, await fs.promises.lstat(path.join(dir, name)).catch(() => undefined));
    if (problem) return problem;
  }
  return undefined;
}

export function checkRunFolderLayoutSync(dir: string): string | undefined {
  for (const [name, kind] of LAYOUT) {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(path.join(dir, name));
    } catch {
      st = undefined;
    }
    const problem = layoutProblem(name, kind, st);
    if (problem) return problem;
  }
  return undefined;
}
