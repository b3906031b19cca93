/**
 * Checkpoints: everything needed to resume a run exactly, or to sample from it.
 *
 *   checkpoints/step-0000300/checkpoint.json   step, configuration, vocabulary, weight and optimizer
 *                                              manifests, batch order, sampler state, metrics history
 *   checkpoints/step-0000300/weights.bin       float32 little-endian weights, Keras names and layout
 *   checkpoints/step-0000300/optimizer.bin     float32 optimizer slots ("<weight>/m", ...)
 *   checkpoints/latest.json                    {"step", "path"} of the newest complete checkpoint
 *
 * Written atomically: the folder is assembled under a temporary name and renamed into place, then
 * latest.json is replaced; a crash at any point leaves the previous latest checkpoint intact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointRef, EvalPoint, MetricPoint, TrainConfig } from '../protocol/types';
import type { BatcherState } from './batches';
import { SeqLabError } from './errors';
import type { NamedArray } from './params';
import type { RngState } from './rng';
import { writeFileAtomic } from './runFiles';
import type { VocabularyJSON } from './vocabulary';

export const CHECKPOINT_FORMAT = 'sequence-lab-checkpoint';
export const CHECKPOINT_VERSION = 1;

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
  history: { metrics: MetricPoint[]; evals: EvalPoint[] };
  bestValLoss?: number;
  lastLoss?: number;
  elapsedMs: number;
}

interface Manifest {
  name: string;
  shape: number[];
  /** Offset in floats into the .bin file. */
  offset: number;
}

interface CheckpointJSON extends Omit<CheckpointData, 'weights' | 'optimizer' | 'carriedState'> {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  weights: Manifest[];
  optimizer: Manifest[];
  carriedState?: { shape: [number, number]; h: number[]; c?: number[] }[];
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

function unpack(manifest: readonly Manifest[], bytes: Buffer): NamedArray[] {
  // Copy into an aligned buffer: a Buffer's offset into its pool need not be a multiple of 4.
  const floats = new Float32Array(new Uint8Array(bytes).buffer);
  return manifest.map((m) => {
    const size = m.shape.reduce((a, b) => a * b, 1);
    if (m.offset + size > floats.length) throw new Error(`${m.name} extends past the end of the file`);
    return { name: m.name, shape: m.shape, data: floats.slice(m.offset, m.offset + size) };
  });
}

export function checkpointFolderName(step: number): string {
  return `step-${String(step).padStart(7, '0')}`;
}

/** Writes a checkpoint under `<checkpointsDir>/step-NNNNNNN/` and points latest.json at it. */
export function saveCheckpoint(checkpointsDir: string, data: CheckpointData): CheckpointRef {
  fs.mkdirSync(checkpointsDir, { recursive: true });
  const name = checkpointFolderName(data.step);
  const final = path.join(checkpointsDir, name);
  const tmp = path.join(checkpointsDir, `.${name}.${process.pid}.tmp`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const weights = pack(data.weights);
  const optimizer = pack(data.optimizer);
  const createdAt = new Date().toISOString();
  const json: CheckpointJSON = {
    ...data,
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt,
    weights: weights.manifest,
    optimizer: optimizer.manifest,
    carriedState: data.carriedState?.map((s) => ({ shape: s.shape, h: Array.from(s.h), c: s.c && Array.from(s.c) })),
  };
  fs.writeFileSync(path.join(tmp, 'weights.bin'), weights.bytes);
  fs.writeFileSync(path.join(tmp, 'optimizer.bin'), optimizer.bytes);
  fs.writeFileSync(path.join(tmp, 'checkpoint.json'), JSON.stringify(json));
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  const ref: CheckpointRef = { step: data.step, path: path.posix.join('checkpoints', name), valLoss: data.history.evals.at(-1)?.valLoss, time: createdAt };
  writeFileAtomic(path.join(checkpointsDir, 'latest.json'), JSON.stringify({ step: data.step, path: name }) + '\n');
  return ref;
}

/** How many of the newest checkpoints a run keeps, besides the one with the best validation loss. */
export const KEEP_CHECKPOINTS = 3;

/**
 * Deletes all but the newest `keep` checkpoints and the one with the best validation loss, so a long
 * run does not fill the disk; returns the references that remain, oldest first.
 */
export function pruneCheckpoints(checkpointsDir: string, refs: readonly CheckpointRef[], keep = KEEP_CHECKPOINTS): CheckpointRef[] {
  const sorted = [...refs].sort((a, b) => a.step - b.step);
  const withLoss = sorted.filter((r) => r.valLoss !== undefined);
  const best = withLoss.length ? withLoss.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a)) : undefined;
  const kept = sorted.filter((r, i) => i >= sorted.length - keep || r === best);
  for (const r of sorted) {
    if (!kept.includes(r)) fs.rmSync(path.join(checkpointsDir, path.basename(r.path)), { recursive: true, force: true });
  }
  return kept;
}

/**
 * Finds the checkpoint folder meant by `location`: a checkpoint folder itself, a checkpoints folder or a
 * run folder (then its latest checkpoint).
 */
export function resolveCheckpoint(location: string): string {
  const candidates = [location, path.join(location, 'checkpoints')];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'checkpoint.json'))) return dir;
    const latest = path.join(dir, 'latest.json');
    if (fs.existsSync(latest)) {
      try {
        const { path: name } = JSON.parse(fs.readFileSync(latest, 'utf8')) as { path: string };
        const folder = path.join(dir, path.basename(name));
        if (fs.existsSync(path.join(folder, 'checkpoint.json'))) return folder;
      } catch {
        // fall through to the error below
      }
    }
  }
  throw new SeqLabError('BAD_CHECKPOINT', `No checkpoint found at ${location}.`, 'Point at a run folder, its checkpoints folder, or a step-NNNNNNN checkpoint folder.');
}

export function loadCheckpoint(location: string): CheckpointData & { dir: string; createdAt: string } {
  const dir = resolveCheckpoint(location);
  try {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as CheckpointJSON;
    if (json.format !== CHECKPOINT_FORMAT || json.version !== CHECKPOINT_VERSION) throw new Error(`unknown format ${json.format} v${json.version}`);
    return {
      ...json,
      dir,
      weights: unpack(json.weights, fs.readFileSync(path.join(dir, 'weights.bin'))),
      optimizer: unpack(json.optimizer, fs.readFileSync(path.join(dir, 'optimizer.bin'))),
      carriedState: json.carriedState?.map((s) => ({ shape: s.shape, h: Float32Array.from(s.h), c: s.c && Float32Array.from(s.c) })),
    };
  } catch (e) {
    if (e instanceof SeqLabError) throw e;
    throw new SeqLabError('BAD_CHECKPOINT', `The checkpoint at ${dir} cannot be read: ${(e as Error).message}.`, 'It may be from another version of Sequence Lab or damaged; use an earlier checkpoint of the run.');
  }
}
