/**
 * The on-disk form of a checkpoint's checkpoint.json, and its checked reader. A run folder can come
 * from anywhere (a repository may ship any `.seqlab/`), so every field is checked for type and range
 * before anyone reads it, and every size is bounded before anything is allocated.
 */
import type { EvalPoint, TrainConfig } from '../protocol/types';
import type { BatcherState } from './batches';
import { ConfigError, NUMBER_RULES, parseConfigStrict } from './config';
import type { RngState } from './rng';
import type { VocabularyJSON } from './vocabulary';

export const CHECKPOINT_FORMAT = 'sequence-lab-checkpoint';
/** 2: no metric history, carried state in state.bin, text hash. 1 (still read): history and state inline. */
export const CHECKPOINT_VERSION = 2;

/** checkpoint.json of this version: configuration, a vocabulary and manifests, so a few MB at most. */
export const MAX_CHECKPOINT_JSON_BYTES = 16 * 1024 * 1024;
/** Version 1 carried the whole metric history: allowed larger, and read only for its scalars. */
export const MAX_LEGACY_CHECKPOINT_JSON_BYTES = 256 * 1024 * 1024;
/** latest.json holds a step and a folder name. */
export const MAX_LATEST_JSON_BYTES = 4096;
/** Floats in one .bin file: 2 GB, above the largest model the settings allow with Adam's two slots. */
export const MAX_FLOATS_PER_FILE = 2 ** 29;

/** The only folder names a checkpoint may have; a name read from disk is used only if it matches. */
export const STEP_FOLDER = /^step-\d{7,}$/;

export interface Manifest {
  name: string;
  shape: number[];
  /** Offset in floats into the .bin file. */
  offset: number;
}

/** What checkpoint.json holds, once checked. Version 1's inline history and state are reduced to these fields. */
export interface CheckpointJSON {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  step: number;
  config: TrainConfig;
  vocab: VocabularyJSON;
  weights: Manifest[];
  optimizer: Manifest[];
  /** Sequential batching: the carried hidden state, in state.bin, as `layer<i>/h` and `layer<i>/c`. */
  carried?: Manifest[];
  /** Version 1: the carried state inline. */
  carriedState?: { shape: [number, number]; h: number[]; c?: number[] }[];
  batcher: BatcherState;
  sampleRng: RngState;
  /** sha256 (hex) of the text the corpus was built from; absent in version 1. */
  textHash?: string;
  startLoss?: number;
  bestValLoss?: number;
  lastLoss?: number;
  lastEval?: EvalPoint;
  elapsedMs: number;
}

type Rec = Record<string, unknown>;

class Bad extends Error {}

function fail(what: string): never {
  throw new Bad(what);
}

function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(v: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) fail(`${what} must be a whole number from ${min} to ${max}`);
  return v as number;
}

function optionalFinite(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what} must be a finite number`);
  return v;
}

function rngState(v: unknown, what: string): RngState {
  if (!Array.isArray(v) || v.length !== 4) fail(`${what} must be 4 integers`);
  return v.map((x, i) => int(x, `${what}[${i}]`, -(2 ** 31), 2 ** 32 - 1)) as RngState;
}

/** Floats a manifest entry covers. */
export function sizeOf(m: Manifest): number {
  return m.shape.reduce((a, b) => a * b, 1);
}

/** Floats a whole manifest covers: what its .bin file must hold, exactly. */
export function floatsOf(manifest: readonly Manifest[]): number {
  return manifest.reduce((n, m) => Math.max(n, m.offset + sizeOf(m)), 0);
}

function manifest(v: unknown, what: string): Manifest[] {
  if (!Array.isArray(v) || v.length > 10_000) fail(`${what} must be a list of at most 10000 arrays`);
  const names = new Set<string>();
  let total = 0;
  const out = v.map((m, i): Manifest => {
    if (!isRecord(m)) fail(`${what}[${i}] must be an object`);
    if (typeof m.name !== 'string' || m.name.length === 0 || m.name.length > 200) fail(`${what}[${i}].name must be a name of 1 to 200 characters`);
    if (names.has(m.name)) fail(`${what} names ${m.name} twice`);
    names.add(m.name);
    if (!Array.isArray(m.shape) || m.shape.length > 4) fail(`${what} ${m.name}: shape must have at most 4 dimensions`);
    const shape = m.shape.map((d) => int(d, `${what} ${m.name}: a dimension`, 1, MAX_FLOATS_PER_FILE));
    const size = shape.reduce((a, b) => a * b, 1);
    const offset = int(m.offset, `${what} ${m.name}: offset`, 0, MAX_FLOATS_PER_FILE);
    total += size;
    if (size > MAX_FLOATS_PER_FILE || offset + size > MAX_FLOATS_PER_FILE || total > MAX_FLOATS_PER_FILE) fail(`${what} ${m.name}: more than ${MAX_FLOATS_PER_FILE} floats`);
    return { name: m.name, shape, offset };
  });
  // Laid out back to back, as the writer does: no gaps, no overlaps, so the file size pins every offset.
  const sorted = [...out].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const m of sorted) {
    if (m.offset !== end) fail(`${what} ${m.name}: offset ${m.offset} overlaps or leaves a gap (expected ${end})`);
    end += sizeOf(m);
  }
  return out;
}

function vocabulary(v: unknown): VocabularyJSON {
  const maxTokens = NUMBER_RULES.maxVocab.max + 1;
  if (!isRecord(v) || !Array.isArray(v.tokens) || v.tokens.length < 2 || v.tokens.length > maxTokens) fail(`vocab.tokens must be a list of 2 to ${maxTokens} tokens`);
  for (const t of v.tokens) if (typeof t !== 'string' || t.length > 1000) fail('every vocabulary token must be a string of at most 1000 characters');
  return { tokens: v.tokens as string[] };
}

function config(v: unknown): TrainConfig {
  if (!isRecord(v)) fail('config must be an object');
  try {
    return parseConfigStrict(v);
  } catch (e) {
    if (e instanceof ConfigError) fail(`config: ${e.problems.join(' ')}`);
    throw e;
  }
}

function batcher(v: unknown, cfg: TrainConfig): BatcherState {
  if (!isRecord(v)) fail('batcher must be an object');
  const offset = int(v.offset, 'batcher.offset', 0, cfg.window - 1);
  const position = int(v.position, 'batcher.position', 0, 2 ** 31);
  if (position % cfg.window !== 0) fail('batcher.position must be a multiple of the window');
  return { rng: rngState(v.rng, 'batcher.rng'), offset, position };
}

function legacyCarriedState(v: unknown, cfg: TrainConfig): CheckpointJSON['carriedState'] {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > cfg.layers) fail('carriedState must hold one entry per layer');
  return v.map((s, i) => {
    if (!isRecord(s) || !Array.isArray(s.shape) || s.shape.length !== 2) fail(`carriedState[${i}].shape must be [batch, hidden]`);
    const shape = [int(s.shape[0], 'carriedState batch', 1, NUMBER_RULES.batch.max), int(s.shape[1], 'carriedState hidden', 1, NUMBER_RULES.hidden.max)] as [number, number];
    const floats = (x: unknown, what: string): number[] => {
      if (!Array.isArray(x) || x.length !== shape[0] * shape[1] || !x.every((f) => typeof f === 'number' && Number.isFinite(f)))
        fail(`carriedState[${i}].${what} must hold ${shape[0] * shape[1]} finite numbers`);
      return x as number[];
    };
    return { shape, h: floats(s.h, 'h'), c: s.c === undefined || s.c === null ? undefined : floats(s.c, 'c') };
  });
}

function evalPoint(v: unknown, what: string): EvalPoint | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) fail(`${what} must be an object`);
  const valLoss = optionalFinite(v.valLoss, `${what}.valLoss`);
  if (valLoss === undefined) fail(`${what}.valLoss must be a finite number`);
  return { step: int(v.step, `${what}.step`), valLoss };
}

/**
 * Checks parsed checkpoint.json field by field; throws an Error saying which field is wrong. Version 1's
 * history is read for two scalars only (the first loss and the last evaluation), never copied.
 */
export function checkCheckpointJSON(json: unknown): CheckpointJSON {
  try {
    if (!isRecord(json)) fail('it is not a JSON object');
    if (json.format !== CHECKPOINT_FORMAT) fail(`format must be "${CHECKPOINT_FORMAT}"`);
    const version = int(json.version, 'version', 1, CHECKPOINT_VERSION);
    const cfg = config(json.config);
    const out: CheckpointJSON = {
      format: CHECKPOINT_FORMAT,
      version,
      createdAt: typeof json.createdAt === 'string' && json.createdAt.length <= 100 ? json.createdAt : fail('createdAt must be a short string'),
      step: int(json.step, 'step'),
      config: cfg,
      vocab: vocabulary(json.vocab),
      weights: manifest(json.weights, 'weights'),
      optimizer: manifest(json.optimizer, 'optimizer'),
      batcher: batcher(json.batcher, cfg),
      sampleRng: rngState(json.sampleRng, 'sampleRng'),
      bestValLoss: optionalFinite(json.bestValLoss, 'bestValLoss'),
      lastLoss: optionalFinite(json.lastLoss, 'lastLoss'),
      elapsedMs: optionalFinite(json.elapsedMs, 'elapsedMs') ?? fail('elapsedMs must be a finite number'),
    };
    if (out.weights.length === 0) fail('weights must list at least one array');
    if (version === 1) {
      out.carriedState = legacyCarriedState(json.carriedState, cfg);
      const history = isRecord(json.history) ? json.history : {};
      const metrics = Array.isArray(history.metrics) ? history.metrics : [];
      const evals = Array.isArray(history.evals) ? history.evals : [];
      out.startLoss = isRecord(metrics[0]) ? optionalFinite(metrics[0].loss, 'history.metrics[0].loss') : undefined;
      out.lastEval = evalPoint(evals[evals.length - 1], 'history.evals (last)');
      return out;
    }
    if (json.carried !== undefined && json.carried !== null) out.carried = manifest(json.carried, 'carried');
    if (json.textHash !== undefined && (typeof json.textHash !== 'string' || !/^[0-9a-f]{64}$/.test(json.textHash))) fail('textHash must be 64 hex digits');
    out.textHash = json.textHash as string | undefined;
    out.startLoss = optionalFinite(json.startLoss, 'startLoss');
    out.lastEval = evalPoint(json.lastEval, 'lastEval');
    return out;
  } catch (e) {
    if (e instanceof Bad) throw new Error(e.message);
    throw e;
  }
}

/** latest.json: the step and folder of the newest complete checkpoint; undefined unless well formed. */
export function checkLatestJSON(json: unknown): { step: number; path: string } | undefined {
  if (!isRecord(json) || typeof json.path !== 'string' || !STEP_FOLDER.test(json.path)) return undefined;
  if (!Number.isInteger(json.step) || (json.step as number) < 0) return undefined;
  return { step: json.step as number, path: json.path };
}
