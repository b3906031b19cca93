/**
 * Checkpoints: everything needed to resume a run exactly, or to sample from it.
 *
 *   checkpoints/step-0000300/checkpoint.json   step, configuration, vocabulary, weight and optimizer
 *                                              manifests, batch order, sampler state, text hash, scalars
 *   checkpoints/step-0000300/weights.bin       float32 little-endian weights, Keras names and layout
 *   checkpoints/step-0000300/optimizer.bin     float32 optimizer slots ("<weight>/m", ...)
 *   checkpoints/step-0000300/state.bin         sequential batching: the carried hidden state
 *   checkpoints/latest.json                    {"step", "path"} of the newest complete checkpoint
 *
 * Safe at every instant: the folder is written under a temporary name and fsynced, renamed into place
 * (a same-step folder it replaces is first renamed aside, never deleted before), then latest.json is
 * replaced atomically. Resolving falls back to the newest valid checkpoint (or the one set aside) when
 * latest.json is missing, broken or names a missing or broken folder. The metric history is not here:
 * it lives in the run's logs, so a checkpoint's size does not grow with the run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointRef, EvalPoint, TrainConfig } from '../protocol/types';
import type { BatcherState } from './batches';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkCheckpointJSON,
  checkLatestJSON,
  CheckpointJSON,
  floatsOf,
  Manifest,
  MAX_CHECKPOINT_JSON_BYTES,
  MAX_LATEST_JSON_BYTES,
  MAX_LEGACY_CHECKPOINT_JSON_BYTES,
  sizeOf,
  STEP_FOLDER,
} from './checkpointFormat';
import { SeqLabError } from './errors';
import type { NamedArray } from './params';
import type { RngState } from './rng';
import type { VocabularyJSON } from './vocabulary';

export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, STEP_FOLDER };

export interface CheckpointData {
  step: number;
  config: TrainConfig;
  vocab: VocabularyJSON;
  weights: NamedArray[];
  optimizer: NamedArray[];
  batcher: BatcherState;
  sampleRng: RngState;
  /** Sequential batching: the hidden state carried into the next batch, per layer. */
  carriedState?: { shape: [number, number]; h: Float32Array; c?: Float32Array }[];
  /** sha256 (hex) of the training text; resuming on another text is refused unless asked for. */
  textHash?: string;
  /** The first loss of the run: the divergence guard's reference. */
  startLoss?: number;
  bestValLoss?: number;
  lastLoss?: number;
  /** The newest evaluation; its loss goes into the checkpoint's reference for pruning. */
  lastEval?: EvalPoint;
  elapsedMs: number;
}

export type LoadedCheckpoint = CheckpointData & { dir: string; createdAt: string };

// ------------------------------------------------------------------ durable writes

function writeFileSynced(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes a folder's entries (a rename into it) durable. Windows cannot open a folder: there, renames are already journaled. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Tests only: SEQLAB_CHECKPOINT_PAUSE_MS makes the writer pause between its steps, so that a kill test's
 * SIGKILL lands inside a checkpoint write often.
 */
const PAUSE_MS = Number(process.env.SEQLAB_CHECKPOINT_PAUSE_MS) || 0;
function pauseForTests(): void {
  if (PAUSE_MS > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, PAUSE_MS);
}

/** A real folder, or absent: a symlinked checkpoints folder could point anywhere on disk. */
function assertNotSymlink(checkpointsDir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(checkpointsDir);
  } catch {
    return;
  }
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new SeqLabError(
      'BAD_CHECKPOINT',
      `${checkpointsDir} is a symbolic link or not a folder: Sequence Lab does not write or delete checkpoints through it.`,
      'Replace it with a real folder (delete the link), then resume.',
    );
  }
}

function pack(arrays: readonly NamedArray[]): { manifest: Manifest[]; bytes: Uint8Array } {
  const total = arrays.reduce((n, a) => n + a.data.length, 0);
  const buffer = new Float32Array(total);
  const manifest: Manifest[] = [];
  let offset = 0;
  for (const a of arrays) {
    buffer.set(a.data, offset);
    manifest.push({ name: a.name, shape: a.shape, offset });
    offset += a.data.length;
  }
  return { manifest, bytes: new Uint8Array(buffer.buffer) };
}

function carriedArrays(state: CheckpointData['carriedState']): NamedArray[] {
  return (state ?? []).flatMap((s, i) => [{ name: `layer${i}/h`, shape: [...s.shape], data: s.h }, ...(s.c ? [{ name: `layer${i}/c`, shape: [...s.shape], data: s.c }] : [])]);
}

export function checkpointFolderName(step: number): string {
  return `step-${String(step).padStart(7, '0')}`;
}

let unique = 0;
/** A name no other write of this or another process uses. */
function uniqueSuffix(): string {
  return `${process.pid}-${Date.now().toString(36)}-${(unique++).toString(36)}`;
}

const TEMP_FOLDER = /^\.step-\d{7,}\.[\w-]+\.tmp$/;
const ASIDE_FOLDER = /^\.(step-\d{7,})\.[\w-]+\.old$/;
const TEMP_LATEST = /^\.latest\.json\.[\w-]+\.tmp$/;

/** Writes a checkpoint under `<checkpointsDir>/step-NNNNNNN/` and points latest.json at it. */
export function saveCheckpoint(checkpointsDir: string, data: CheckpointData): CheckpointRef {
  assertNotSymlink(checkpointsDir);
  fs.mkdirSync(checkpointsDir, { recursive: true });
  const name = checkpointFolderName(data.step);
  const final = path.join(checkpointsDir, name);
  const tmp = path.join(checkpointsDir, `.${name}.${uniqueSuffix()}.tmp`);
  fs.mkdirSync(tmp);
  const weights = pack(data.weights);
  const optimizer = pack(data.optimizer);
  const carried = data.carriedState?.length ? pack(carriedArrays(data.carriedState)) : undefined;
  const createdAt = new Date().toISOString();
  const json: CheckpointJSON = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt,
    step: data.step,
    config: data.config,
    vocab: data.vocab,
    weights: weights.manifest,
    optimizer: optimizer.manifest,
    carried: carried?.manifest,
    batcher: data.batcher,
    sampleRng: data.sampleRng,
    textHash: data.textHash,
    startLoss: data.startLoss,
    bestValLoss: data.bestValLoss,
    lastLoss: data.lastLoss,
    lastEval: data.lastEval,
    elapsedMs: data.elapsedMs,
  };
  writeFileSynced(path.join(tmp, 'weights.bin'), weights.bytes);
  pauseForTests();
  writeFileSynced(path.join(tmp, 'optimizer.bin'), optimizer.bytes);
  if (carried) writeFileSynced(path.join(tmp, 'state.bin'), carried.bytes);
  writeFileSynced(path.join(tmp, 'checkpoint.json'), JSON.stringify(json));
  fsyncDir(tmp);
  pauseForTests();
  // The same step again (a stop right after a periodic checkpoint): set the old folder aside rather
  // than delete it, so that until the new one is in place, resolving finds the old one there.
  if (fs.existsSync(final)) {
    fs.renameSync(final, path.join(checkpointsDir, `.${name}.${uniqueSuffix()}.old`));
    pauseForTests();
  }
  fs.renameSync(tmp, final);
  fsyncDir(checkpointsDir);
  pauseForTests();
  const latestTmp = path.join(checkpointsDir, `.latest.json.${uniqueSuffix()}.tmp`);
  writeFileSynced(latestTmp, JSON.stringify({ step: data.step, path: name }) + '\n');
  fs.renameSync(latestTmp, path.join(checkpointsDir, 'latest.json'));
  fsyncDir(checkpointsDir);
  pauseForTests();
  removeLeftovers(checkpointsDir);
  return { step: data.step, path: path.posix.join('checkpoints', name), valLoss: data.lastEval?.valLoss, time: createdAt };
}

/**
 * Removes what interrupted writes left: temporary folders and latest.json files, and set-aside folders;
 * a set-aside folder whose replacement never arrived goes back under its name (run.json refers to it).
 */
function removeLeftovers(checkpointsDir: string): void {
  for (const entry of fs.readdirSync(checkpointsDir, { withFileTypes: true })) {
    const full = path.join(checkpointsDir, entry.name);
    const aside = entry.isDirectory() ? ASIDE_FOLDER.exec(entry.name) : null;
    if (aside && !fs.existsSync(path.join(checkpointsDir, aside[1]))) fs.renameSync(full, path.join(checkpointsDir, aside[1]));
    else if (aside || (entry.isDirectory() && TEMP_FOLDER.test(entry.name)) || (entry.isFile() && TEMP_LATEST.test(entry.name))) fs.rmSync(full, { recursive: true, force: true });
  }
}

/** How many of the newest checkpoints a run keeps, besides the one with the best validation loss. */
export const KEEP_CHECKPOINTS = 3;

/**
 * Deletes all but the newest `keep` checkpoints and the one with the best validation loss, so a long
 * run does not fill the disk; returns the references that remain, oldest first. Refs come from
 * run.json, which may be crafted: only a real folder named step-NNNNNNN directly inside
 * `checkpointsDir` is ever deleted, and never through a symlinked checkpoints folder.
 */
export function pruneCheckpoints(checkpointsDir: string, refs: readonly CheckpointRef[], keep = KEEP_CHECKPOINTS): CheckpointRef[] {
  assertNotSymlink(checkpointsDir);
  const sorted = refs.filter((r) => Number.isFinite(r?.step)).sort((a, b) => a.step - b.step);
  const withLoss = sorted.filter((r) => typeof r.valLoss === 'number' && Number.isFinite(r.valLoss));
  const best = withLoss.length ? withLoss.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a)) : undefined;
  const kept = sorted.filter((r, i) => i >= sorted.length - keep || r === best);
  for (const r of sorted) {
    if (kept.includes(r) || typeof r.path !== 'string') continue;
    const name = path.posix.basename(r.path.replace(/\\/g, '/'));
    if (!STEP_FOLDER.test(name) || r.path.replace(/\\/g, '/') !== `checkpoints/${name}`) continue;
    const folder = path.join(checkpointsDir, name);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(folder);
    } catch {
      continue;
    }
    if (stat.isDirectory() && !stat.isSymbolicLink()) fs.rmSync(folder, { recursive: true, force: true });
  }
  return kept;
}

// ------------------------------------------------------------------ checked reading

function readBounded(file: string, maxBytes: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) throw new Error(`${path.basename(file)} is ${size} bytes, above the limit of ${maxBytes}`);
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = fs.readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

/** checkpoint.json of a folder, checked, with the sizes of its .bin files checked against the manifests. */
function readCheckpointJSON(dir: string): CheckpointJSON {
  const file = path.join(dir, 'checkpoint.json');
  const bytes = readBounded(file, MAX_LEGACY_CHECKPOINT_JSON_BYTES);
  const json = checkCheckpointJSON(JSON.parse(bytes.toString('utf8')));
  if (json.version === CHECKPOINT_VERSION && bytes.length > MAX_CHECKPOINT_JSON_BYTES)
    throw new Error(`checkpoint.json is ${bytes.length} bytes, above the limit of ${MAX_CHECKPOINT_JSON_BYTES}`);
  for (const [bin, manifest] of [
    ['weights.bin', json.weights],
    ['optimizer.bin', json.optimizer],
    ['state.bin', json.carried],
  ] as const) {
    if (!manifest) continue;
    const expected = floatsOf(manifest) * 4;
    let size: number;
    try {
      size = fs.statSync(path.join(dir, bin)).size;
    } catch {
      if (expected === 0) continue;
      throw new Error(`${bin} is missing`);
    }
    if (size !== expected) throw new Error(`${bin} is ${size} bytes; its manifest says ${expected}`);
  }
  return json;
}

function isValidCheckpoint(dir: string): boolean {
  try {
    if (!fs.statSync(dir).isDirectory()) return false;
    readCheckpointJSON(dir);
    return true;
  } catch {
    return false;
  }
}

/** Step folders, and folders set aside by an interrupted same-step rewrite, newest first (a step folder before its aside). */
function candidates(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: { name: string; step: number; aside: boolean }[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const aside = ASIDE_FOLDER.exec(e.name);
    const stepName = STEP_FOLDER.test(e.name) ? e.name : aside?.[1];
    if (stepName) found.push({ name: e.name, step: Number(stepName.slice(5)), aside: !!aside });
  }
  found.sort((a, b) => b.step - a.step || Number(a.aside) - Number(b.aside));
  return found.map((f) => path.join(dir, f.name));
}

/** The checkpoint latest.json names, if valid, else the newest valid one in `dir`. */
function newestValid(dir: string): string | undefined {
  let named: string | undefined;
  try {
    named = checkLatestJSON(JSON.parse(readBounded(path.join(dir, 'latest.json'), MAX_LATEST_JSON_BYTES).toString('utf8')))?.path;
  } catch {
    named = undefined;
  }
  const all = candidates(dir);
  if (named) {
    // The named folder, or where an interrupted same-step rewrite set it aside.
    const own = all.filter((c) => path.basename(c) === named || ASIDE_FOLDER.exec(path.basename(c))?.[1] === named);
    const valid = own.find(isValidCheckpoint);
    if (valid) return valid;
  }
  return all.find(isValidCheckpoint);
}

/**
 * Finds the checkpoint folder meant by `location`: a checkpoint folder itself, a checkpoints folder or a
 * run folder (then its latest valid checkpoint).
 */
export function resolveCheckpoint(location: string): string {
  if (fs.existsSync(path.join(location, 'checkpoint.json'))) return location;
  for (const dir of [location, path.join(location, 'checkpoints')]) {
    const found = newestValid(dir);
    if (found) return found;
  }
  throw new SeqLabError('BAD_CHECKPOINT', `No checkpoint found at ${location}.`, 'Point at a run folder, its checkpoints folder, or a step-NNNNNNN checkpoint folder.');
}

function unpack(manifest: readonly Manifest[], bytes: Buffer): NamedArray[] {
  // Copy into an aligned buffer: a Buffer's offset into its pool need not be a multiple of 4.
  const floats = new Float32Array(new Uint8Array(bytes).buffer);
  return manifest.map((m) => {
    const size = sizeOf(m);
    if (m.offset + size > floats.length) throw new Error(`${m.name} extends past the end of the file`);
    return { name: m.name, shape: m.shape, data: floats.slice(m.offset, m.offset + size) };
  });
}

function readBin(dir: string, bin: string, manifest: readonly Manifest[]): NamedArray[] {
  if (floatsOf(manifest) === 0) return manifest.map((m) => ({ name: m.name, shape: m.shape, data: new Float32Array(0) }));
  return unpack(manifest, readBounded(path.join(dir, bin), floatsOf(manifest) * 4));
}

function carriedFrom(json: CheckpointJSON, dir: string): CheckpointData['carriedState'] {
  if (json.carriedState) return json.carriedState.map((s) => ({ shape: s.shape, h: Float32Array.from(s.h), c: s.c && Float32Array.from(s.c) }));
  if (!json.carried?.length) return undefined;
  const arrays = new Map(readBin(dir, 'state.bin', json.carried).map((a) => [a.name, a]));
  const out: NonNullable<CheckpointData['carriedState']> = [];
  for (let i = 0; arrays.has(`layer${i}/h`); i++) {
    const h = arrays.get(`layer${i}/h`)!;
    if (h.shape.length !== 2) throw new Error(`layer${i}/h must be [batch, hidden]`);
    out.push({ shape: [h.shape[0], h.shape[1]], h: h.data, c: arrays.get(`layer${i}/c`)?.data });
  }
  return out;
}

export function loadCheckpoint(location: string): LoadedCheckpoint {
  const dir = resolveCheckpoint(location);
  try {
    const json = readCheckpointJSON(dir);
    return {
      step: json.step,
      config: json.config,
      vocab: json.vocab,
      batcher: json.batcher,
      sampleRng: json.sampleRng,
      textHash: json.textHash,
      startLoss: json.startLoss,
      bestValLoss: json.bestValLoss,
      lastLoss: json.lastLoss,
      lastEval: json.lastEval,
      elapsedMs: json.elapsedMs,
      createdAt: json.createdAt,
      dir,
      weights: readBin(dir, 'weights.bin', json.weights),
      optimizer: readBin(dir, 'optimizer.bin', json.optimizer),
      carriedState: carriedFrom(json, dir),
    };
  } catch (e) {
    if (e instanceof SeqLabError) throw e;
    throw new SeqLabError(
      'BAD_CHECKPOINT',
      `The checkpoint at ${dir} cannot be read: ${(e as Error).message}.`,
      'It may be from another version of Sequence Lab or damaged; use an earlier checkpoint of the run.',
    );
  }
}
