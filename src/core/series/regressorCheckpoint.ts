/**
 * Checkpoints of a network regressor: `forecast-checkpoint.json` (the network's shape, the normaliser
 * fitted on the training part, the step, a manifest of the weights) and `weights.bin` (float32, in the
 * manifest's order). Read back from disk as untrusted input: every field is checked, sizes are bounded
 * before anything is allocated, and the weights must be exactly the ones the shape implies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeqLabError } from '../errors';
import { createRegressor } from './createRegressor';
import { NETWORK_KINDS, type NetworkKind, type NetworkRegressor, type RegressorShape } from './networkRegressor';
import { HEADS, type HeadKind } from './regressionHead';
import type { Normalizer } from './series';

export const REGRESSOR_CHECKPOINT_FORMAT = 'sequence-lab-forecast-checkpoint';
const JSON_FILE = 'forecast-checkpoint.json';
const WEIGHTS_FILE = 'weights.bin';
const MAX_JSON_BYTES = 1024 * 1024;
/** 256 MB of float32: far above what the settings allow (1024 hidden units, 256 lags). */
const MAX_FLOATS = 2 ** 26;
const MAX_DIM = 1024;

export interface RegressorCheckpoint {
  shape: RegressorShape;
  norm: Normalizer;
  step: number;
  seed: number;
}

export function saveRegressorCheckpoint(dir: string, model: NetworkRegressor, meta: Omit<RegressorCheckpoint, 'shape'>): void {
  fs.mkdirSync(dir, { recursive: true });
  const arrays = model.params.read();
  let offset = 0;
  const weights = arrays.map((a) => {
    const m = { name: a.name, shape: a.shape, offset };
    offset += a.data.length;
    return m;
  });
  const bin = new Float32Array(offset);
  arrays.forEach((a, i) => bin.set(a.data, weights[i].offset));
  fs.writeFileSync(path.join(dir, WEIGHTS_FILE), Buffer.from(bin.buffer, bin.byteOffset, bin.byteLength));
  const json = {
    format: REGRESSOR_CHECKPOINT_FORMAT,
    version: 1,
    shape: model.shape,
    normalizer: { mean: [...meta.norm.mean], std: [...meta.norm.std] },
    step: meta.step,
    seed: meta.seed,
    weights,
  };
  fs.writeFileSync(path.join(dir, JSON_FILE), JSON.stringify(json));
}

const bad = (why: string) =>
  new SeqLabError('BAD_CHECKPOINT', `This forecast checkpoint is not readable: ${why}.`, 'Train the model again; the checkpoint folder may be damaged or come from elsewhere.');
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function checkShape(v: unknown): RegressorShape {
  if (!v || typeof v !== 'object') throw bad('shape is missing');
  const s = v as Record<string, unknown>;
  const keys = Object.keys(s).sort().join(',');
  if (keys !== 'context,dim,head,hidden,kind') throw bad(`shape has the fields ${keys}`);
  if (!NETWORK_KINDS.includes(s.kind as NetworkKind)) throw bad('shape.kind is not mlp, rnn, gru or lstm');
  if (!HEADS.includes(s.head as HeadKind)) throw bad('shape.head is not mse or gaussian');
  if (!isInt(s.dim, 1, MAX_DIM) || !isInt(s.hidden, 1, 1024) || !isInt(s.context, 1, 512)) throw bad('shape.dim, hidden or context is out of range');
  return s as unknown as RegressorShape;
}

function checkVector(v: unknown, n: number, what: string, positive: boolean): Float64Array {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) throw bad(`${what} must be ${n} finite numbers`);
  return Float64Array.from(v as number[]);
}

/** Reads and checks a checkpoint folder; returns the model (with its weights) and what it was trained with. */
export function loadRegressorCheckpoint(dir: string): { model: NetworkRegressor; checkpoint: RegressorCheckpoint } {
  const jsonPath = path.join(dir, JSON_FILE);
  const binPath = path.join(dir, WEIGHTS_FILE);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(jsonPath);
  } catch {
    throw bad(`${JSON_FILE} is missing`);
  }
  if (!st.isFile()) throw bad(`${JSON_FILE} is not a regular file`);
  if (st.size > MAX_JSON_BYTES) throw bad(`${JSON_FILE} is ${st.size} bytes, above ${MAX_JSON_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  } catch {
    throw bad(`${JSON_FILE} is not JSON`);
  }
  const j = raw as Record<string, unknown>;
  if (!j || typeof j !== 'object' || j.format !== REGRESSOR_CHECKPOINT_FORMAT || j.version !== 1) throw bad('it is not a version 1 forecast checkpoint');
  const shape = checkShape(j.shape);
  const n = j.normalizer as Record<string, unknown> | undefined;
  if (!n || typeof n !== 'object') throw bad('normalizer is missing');
  const norm = { mean: checkVector(n.mean, shape.dim, 'normalizer.mean', false), std: checkVector(n.std, shape.dim, 'normalizer.std', true) };
  if (!isInt(j.step, 0, 1e9) || !isInt(j.seed, 0, 2 ** 31 - 1)) throw bad('step or seed is out of range');
  const model = createRegressor(shape, j.seed);
  try {
    // The weights must be the model's, name for name and shape for shape, packed in order.
    const expected = model.params.names().map((name) => ({ name, shape: model.params.get(name).shape }));
    const listed = j.weights;
    if (!Array.isArray(listed) || listed.length !== expected.length) throw bad('the weight manifest does not match the shape');
    let offset = 0;
    for (let i = 0; i < expected.length; i++) {
      const m = listed[i] as Record<string, unknown>;
      if (!m || m.name !== expected[i].name || !Array.isArray(m.shape) || m.shape.join('x') !== expected[i].shape.join('x') || m.offset !== offset)
        throw bad(`weight ${i} is not ${expected[i].name} [${expected[i].shape}]`);
      offset += expected[i].shape.reduce((a, b) => a * b, 1);
    }
    if (offset > MAX_FLOATS) throw bad('too many weights');
    const bst = fs.lstatSync(binPath, { throwIfNoEntry: false });
    if (!bst?.isFile() || bst.size !== offset * 4) throw bad(`${WEIGHTS_FILE} must be a file of ${offset * 4} bytes`);
    const buf = fs.readFileSync(binPath);
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    if (!all.every(Number.isFinite)) throw bad(`${WEIGHTS_FILE} holds a value that is not finite`);
    let at = 0;
    model.params.write(
      expected.map((e) => {
        const size = e.shape.reduce((a, b) => a * b, 1);
        const data = all.subarray(at, at + size);
        at += size;
        return { name: e.name, shape: e.shape, data };
      }),
    );
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, checkpoint: { shape, norm, step: j.step, seed: j.seed } };
}
