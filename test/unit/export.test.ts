/**
 * Export round trips: a checkpoint's model as a TensorFlow.js Layers model (loaded back with
 * tf.loadLayersModel, same logits) and as safetensors under PyTorch's names (parsed by a reader written
 * here from the format's description, and run through PyTorch's own recurrence equations in float64).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveCheckpoint } from '../../src/core/checkpoint';
import { createModel } from '../../src/core/createModel';
import { SeqLabError } from '../../src/core/errors';
import { exportCheckpoint } from '../../src/core/export/exportCheckpoint';
import type { LanguageModel } from '../../src/core/model';
import { Rng } from '../../src/core/rng';
import type { CellType, TrainConfig } from '../../src/protocol/types';
import { tinyConfig, useBackend } from './helpers';

const V = 9;
const TOKENS = [3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 8, 0, 7];

/** A model whose every weight (biases included) is random, so a misplaced block cannot hide. */
function randomModel(config: TrainConfig): LanguageModel {
  const model = createModel(config, V, new Rng(7), 'reference');
  const rng = new Rng(11);
  model.params.write(model.params.read().map((w) => ({ ...w, data: Float32Array.from(w.data, () => (rng.next() - 0.5) * 1.2) })));
  return model;
}

/** Our own next-token log-probabilities after each token of TOKENS. */
function ourLogProbs(model: LanguageModel): Float32Array[] {
  const p = model.predictor();
  const out = TOKENS.map((t) => p.feed(t).slice());
  p.dispose();
  return out;
}

function writeCheckpoint(model: LanguageModel, dir: string): void {
  saveCheckpoint(path.join(dir, 'checkpoints'), {
    step: 12,
    config: model.config,
    vocab: { tokens: ['<unk>', ...'abcdefgh'] },
    weights: model.params.read(),
    optimizer: [],
    batcher: { rng: [1, 2, 3, 4], offset: 0, position: 0 },
    sampleRng: [1, 2, 3, 4],
    elapsedMs: 0,
  } as never);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

// ---------------------------------------------------------------- an independent safetensors reader

interface Tensor64 {
  shape: number[];
  data: Float64Array;
}

function readSafetensors(bytes: Buffer): { tensors: Map<string, Tensor64>; metadata: Record<string, string>; dataStart: number } {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const tensors = new Map<string, Tensor64>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>;
      continue;
    }
    assert.equal(info.dtype, 'F32');
    const [begin, end] = info.data_offsets;
    const data = new Float64Array((end - begin) / 4);
    for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(8 + n + begin + 4 * i);
    assert.equal(
      data.length,
      info.shape.reduce((a, b) => a * b, 1),
      `${name}: shape and byte range agree`,
    );
    tensors.set(name, { shape: info.shape, data });
  }
  return { tensors, metadata, dataStart: 8 + n };
}

// ---------------------------------------------------------------- PyTorch's equations, in float64

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** W [rows, cols] times x [cols], plus b. */
function affine(W: Tensor64, x: Float64Array, b: Tensor64): Float64Array {
  const [rows, cols] = W.shape;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = b.data[r];
    for (let c = 0; c < cols; c++) s += W.data[r * cols + c] * x[c];
    out[r] = s;
  }
  return out;
}

/** torch.nn.RNN / GRU / LSTM (batch 1) then nn.Linear and log_softmax, token by token. */
function torchLogProbs(sd: Map<string, Tensor64>, cell: CellType, layers: number, hidden: number, embedding: number): Float64Array[] {
  const get = (k: string) => sd.get(k) ?? assert.fail(`missing ${k}`);
  const H = hidden;
  const h = Array.from({ length: layers }, () => new Float64Array(H));
  const c = Array.from({ length: layers }, () => new Float64Array(H));
  const out: Float64Array[] = [];
  for (const token of TOKENS) {
    let x: Float64Array;
    if (embedding > 0) {
      const E = get('embed.weight');
      x = E.data.slice(token * embedding, (token + 1) * embedding);
    } else {
      x = new Float64Array(V);
      x[token] = 1;
    }
    for (let l = 0; l < layers; l++) {
      const gi = affine(get(`rnn.weight_ih_l${l}`), x, get(`rnn.bias_ih_l${l}`));
      const gh = affine(get(`rnn.weight_hh_l${l}`), h[l], get(`rnn.bias_hh_l${l}`));
      const next = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        if (cell === 'rnn') next[j] = Math.tanh(gi[j] + gh[j]);
        else if (cell === 'gru') {
          const r = sigmoid(gi[j] + gh[j]);
          const z = sigmoid(gi[H + j] + gh[H + j]);
          const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
          next[j] = (1 - z) * n + z * h[l][j];
        } else {
          const i = sigmoid(gi[j] + gh[j]);
          const f = sigmoid(gi[H + j] + gh[H + j]);
          const g = Math.tanh(gi[2 * H + j] + gh[2 * H + j]);
          const o = sigmoid(gi[3 * H + j] + gh[3 * H + j]);
          c[l][j] = f * c[l][j] + i * g;
          next[j] = o * Math.tanh(c[l][j]);
        }
      }
      h[l] = next;
      x = next;
    }
    const logits = affine(get('head.weight'), x, get('head.bias'));
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0));
    out.push(logits.map((v) => v - lse));
  }
  return out;
}

// ---------------------------------------------------------------- the tests

describe('export: models other tools load', () => {
  let tmp: string;
  before(() => useBackend('cpu'));
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-export-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases: [CellType, Partial<TrainConfig>][] = [
    ['lstm', {}],
    ['rnn', {}],
    ['lstm', { layers: 2, embedding: 4 }],
    ['rnn', { layers: 2, embedding: 3 }],
  ];
  for (const [cell, extra] of cases) {
    it(`tfjs: tf.loadLayersModel gives our logits within 1e-5 (${cell}, ${JSON.stringify(extra)})`, async () => {
      const model = randomModel(tinyConfig({ cell, hidden: 8, ...extra }));
      const ours = ourLogProbs(model);
      writeCheckpoint(model, tmp);
      model.dispose();
      const out = path.join(tmp, 'export');
      const result = exportCheckpoint(tmp, { format: 'tfjs', outDir: out });
      assert.deepEqual(result.files, ['model.json', 'weights.bin', 'vocab.json', 'config.json']);
      // Load the files as a browser would fetch them: model.json, then the weight files it names.
      const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
      const loaded = await tf.loadLayersModel({
        load: async () => {
          const buffers = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => fs.readFileSync(path.join(out, p))));
          const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
          return { modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights), weightData };
        },
      });
      const embedded = (extra.embedding ?? 0) > 0;
      const input = embedded ? tf.tensor2d([TOKENS], [1, TOKENS.length]) : tf.oneHot(tf.tensor2d([TOKENS], [1, TOKENS.length], 'int32'), V).toFloat();
      const logp = tf.tidy(() => tf.logSoftmax(loaded.predict(input) as tf.Tensor3D));
      const theirs = (await logp.array()) as number[][][];
      tf.dispose([input, logp]);
      loaded.dispose();
      let worst = 0;
      TOKENS.forEach((_, t) => (worst = Math.max(worst, maxAbsDiff(ours[t], theirs[0][t]))));
      assert.ok(worst < 1e-5, `largest difference in log-probabilities: ${worst}`);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'vocab.json'), 'utf8')), ['<unk>', ...'abcdefgh']);
    });
  }

  const torchCases: [CellType, Partial<TrainConfig>][] = [
    ['lstm', {}],
    ['gru', {}],
    ['rnn', {}],
    ['lstm', { layers: 2, embedding: 4 }],
    ['gru', { layers: 2, embedding: 3 }],
  ];
  for (const [cell, extra] of torchCases) {
    it(`safetensors: PyTorch names and shapes; PyTorch's equations on them give our distribution (${cell}, ${JSON.stringify(extra)})`, () => {
      const config = tinyConfig({ cell, hidden: 8, ...extra });
      const model = randomModel(config);
      const ours = ourLogProbs(model);
      writeCheckpoint(model, tmp);
      model.dispose();
      const out = path.join(tmp, 'export');
      exportCheckpoint(tmp, { format: 'safetensors', outDir: out });
      const bytes = fs.readFileSync(path.join(out, 'model.safetensors'));
      const { tensors, metadata, dataStart } = readSafetensors(bytes);
      assert.equal(dataStart % 8, 0, 'tensor data starts 8-byte aligned');
      assert.equal(metadata.format, 'pt');
      const G = { rnn: 1, gru: 3, lstm: 4 }[cell as 'rnn' | 'gru' | 'lstm'];
      const H = config.hidden;
      const expected: Record<string, number[]> = {};
      if (config.embedding) expected['embed.weight'] = [V, config.embedding];
      for (let l = 0; l < config.layers; l++) {
        const D = l > 0 ? H : config.embedding || V;
        expected[`rnn.weight_ih_l${l}`] = [G * H, D];
        expected[`rnn.weight_hh_l${l}`] = [G * H, H];
        expected[`rnn.bias_ih_l${l}`] = [G * H];
        expected[`rnn.bias_hh_l${l}`] = [G * H];
      }
      expected['head.weight'] = [V, H];
      expected['head.bias'] = [V];
      assert.deepEqual(Object.fromEntries([...tensors].map(([k, t]) => [k, t.shape])), expected);
      const theirs = torchLogProbs(tensors, cell, config.layers, H, config.embedding);
      let worst = 0;
      TOKENS.forEach((_, t) => (worst = Math.max(worst, maxAbsDiff(ours[t], theirs[t]))));
      assert.ok(worst < 1e-5, `largest difference in log-probabilities: ${worst}`);
      const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
      assert.equal(cfg.cell, cell);
      assert.equal(cfg.vocabSize, V);
      assert.equal(cfg.input, config.embedding ? 'token ids' : 'one-hot vectors');
    });
  }

  it('refuses a GRU as a tfjs Layers model (tfjs has no reset_after GRU) and says to use safetensors', () => {
    const model = randomModel(tinyConfig({ cell: 'gru', hidden: 8 }));
    writeCheckpoint(model, tmp);
    model.dispose();
    assert.throws(
      () => exportCheckpoint(tmp, { format: 'tfjs', outDir: path.join(tmp, 'x') }),
      (e: unknown) => e instanceof SeqLabError && e.code === 'EXPORT_UNSUPPORTED' && /safetensors/.test(e.hint ?? ''),
    );
    assert.equal(fs.existsSync(path.join(tmp, 'x')), false, 'nothing is created on failure');
  });

  it('does not write into a folder that holds files unless told to, and then replaces only its own files', () => {
    const model = randomModel(tinyConfig({ cell: 'lstm', hidden: 8 }));
    writeCheckpoint(model, tmp);
    model.dispose();
    const out = path.join(tmp, 'busy');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    assert.throws(
      () => exportCheckpoint(tmp, { format: 'safetensors', outDir: out }),
      (e: unknown) => e instanceof SeqLabError && e.code === 'OUT_DIR_NOT_EMPTY',
    );
    assert.deepEqual(fs.readdirSync(out), ['notes.txt']);
    exportCheckpoint(tmp, { format: 'safetensors', outDir: out, overwrite: true });
    assert.deepEqual(fs.readdirSync(out).sort(), ['config.json', 'model.safetensors', 'notes.txt', 'vocab.json']);
    assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
  });
});
