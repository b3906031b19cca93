/**
 * The network regressors on numeric sequences: their written-out backward passes against autodiff,
 * memory per step, seeding, normalisation on the training part only, checkpoints, and the chapter's
 * noisy sine (k-step error grows with k; free-running predictions settle to a constant).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { cellFor, type CellState } from '../../src/core/cells';
import { createRegressor } from '../../src/core/series/createRegressor';
import { generateSeries } from '../../src/core/series/generators';
import type { NetworkKind, NetworkRegressor, RegressorShape } from '../../src/core/series/networkRegressor';
import { headLoss, type HeadKind } from '../../src/core/series/regressionHead';
import { loadRegressorCheckpoint, saveRegressorCheckpoint } from '../../src/core/series/regressorCheckpoint';
import { runForecast } from '../../src/core/series/runForecast';
import { fitNormalizer, makeSeries, normalize } from '../../src/core/series/series';
import { trainRegressor } from '../../src/core/series/trainRegressor';
import { Rng } from '../../src/core/rng';
import { useBackend } from './helpers';

/** The same loss as trainStep, written with tfjs ops only, for autodiff. */
function autodiffLoss(model: NetworkRegressor, inputs: Float32Array, targets: Float32Array, B: number): tf.Scalar {
  const { kind, head, dim: d, hidden: H, context: W } = model.shape;
  const p = (n: string) => model.params.get(n) as tf.Tensor2D;
  if (kind === 'mlp') {
    const h = tf.tanh(tf.add(tf.matMul(tf.tensor2d(inputs, [B, W * d]), p('hidden/kernel')), p('hidden/bias')));
    return headLoss(tf.add(tf.matMul(h, p('dense/kernel')), p('dense/bias')), tf.tensor2d(targets, [B, d]), head).loss;
  }
  const name = { rnn: 'simple_rnn_0', gru: 'gru_0', lstm: 'lstm_0' }[kind];
  const cell = cellFor(kind, 'reference');
  const bias = model.params.get(`${name}/bias`);
  const bIn = kind === 'gru' ? tf.reshape(tf.slice(bias, [0, 0], [1, -1]), [-1]) : bias;
  const w = { recurrent: p(`${name}/recurrent_kernel`), ...(kind === 'gru' ? { recurrentBias: tf.reshape(tf.slice(bias, [1, 0], [1, -1]), [-1]) as tf.Tensor1D } : {}) };
  const xw = tf.add(tf.matMul(tf.tensor2d(inputs, [W * B, d]), p(`${name}/kernel`)), bIn) as tf.Tensor2D;
  let s: CellState = cell.zeroState(B, H);
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < W; t++) {
    s = cell.step(xw, t, tf.matMul(s.h, w.recurrent), s, w).state;
    hs.push(s.h);
  }
  const out = tf.add(tf.matMul(tf.concat(hs, 0), p('dense/kernel')), p('dense/bias')) as tf.Tensor2D;
  return headLoss(out, tf.tensor2d(targets, [W * B, d]), head).loss;
}

const shapeOf = (kind: NetworkKind, head: HeadKind, over: Partial<RegressorShape> = {}): RegressorShape => ({ kind, head, dim: 2, hidden: 5, context: 4, ...over });

describe('numeric sequences: network regressors', function () {
  before(() => useBackend('cpu'));

  const T = 60;
  const rng = new Rng(7);
  const raw = new Float64Array(T * 2);
  for (let t = 0; t < T; t++) {
    raw[2 * t] = Math.sin(0.3 * t) + 0.1 * rng.normal();
    raw[2 * t + 1] = Math.cos(0.2 * t) + 0.1 * rng.normal();
  }
  const series = makeSeries(raw, 2);
  const normalized = normalize(series, fitNormalizer(series, 40));

  for (const kind of ['mlp', 'rnn', 'gru', 'lstm'] as const) {
    for (const head of ['mse', 'gaussian'] as const) {
      it(`${kind}, ${head} head: the explicit backward pass equals autodiff (d = 2)`, () => {
        const model = createRegressor(shapeOf(kind, head), 3, 'reference');
        const batch = model.batchFrom(normalized.values, 40, new Rng(1), 3);
        const names = model.params.names();
        const ours = tf.tidy(() => {
          const r = model.trainStep(batch, false);
          return names.map((n) => r.grads[n]);
        });
        const auto = tf.variableGrads(() => autodiffLoss(model, batch.inputs, batch.targets, batch.batch));
        let worst = 0;
        names.forEach((n, i) => {
          const a = auto.grads[model.params.variableName(n)].dataSync();
          const b = ours[i].dataSync();
          assert.equal(a.length, b.length, n);
          for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]) / (1e-3 + Math.abs(a[j])));
        });
        tf.dispose([ours, auto.value, Object.values(auto.grads)]);
        model.dispose();
        assert.ok(worst < 1e-3, `largest relative difference ${worst}`);
      });
    }
  }

  it('the gradient-through-time map has one entry per step of the window; a vanilla RNN’s last-prediction map fades toward t = 0', async () => {
    const model = createRegressor(shapeOf('rnn', 'mse', { context: 12, hidden: 8 }), 2);
    const maps: { total: number[]; last: number[] }[] = [];
    await trainRegressor(model, normalized, 40, { steps: 3, batch: 4, lr: 0.01, clip: 1, seed: 0, evalInterval: 0, gradMapInterval: 1 }, { onGradMap: (m) => maps.push(m) });
    model.dispose();
    assert.equal(maps.length, 3);
    for (const m of maps) {
      assert.equal(m.total.length, 12);
      assert.equal(m.last.length, 12);
      assert.ok(m.last[11] > 10 * m.last[0], `last-step map ${m.last.map((v) => v.toExponential(1)).join(' ')}`);
    }
  });

  it('tensors do not pile up: the count after step 3 equals the count after step 30 (tf.tidy per step)', async () => {
    for (const kind of ['mlp', 'lstm'] as const) {
      const model = createRegressor(shapeOf(kind, 'gaussian'), 1);
      const counts: number[] = [];
      await trainRegressor(
        model,
        normalized,
        40,
        { steps: 30, batch: 4, lr: 0.01, clip: 1, seed: 0, evalInterval: 5, gradMapInterval: 2 },
        { onStep: ({ step }) => (step === 3 || step === 30 ? counts.push(tf.memory().numTensors) : undefined) },
      );
      model.dispose();
      assert.equal(counts[0], counts[1], `${kind}: ${counts}`);
    }
  });

  it('seeded: the same seed trains to the same losses, another seed to others', async () => {
    const losses = async (seed: number) => {
      const model = createRegressor(shapeOf('gru', 'mse'), seed);
      const r = await trainRegressor(model, normalized, 40, { steps: 8, batch: 4, lr: 0.01, clip: 1, seed, evalInterval: 0, gradMapInterval: 0 });
      model.dispose();
      return r.losses;
    };
    assert.deepEqual(await losses(5), await losses(5));
    assert.notDeepEqual(await losses(5), await losses(6));
  });

  it('normalisation is fitted on the training part only: changing the test part changes no training loss', async () => {
    const run = async (scaleTest: number) => {
      const v = raw.slice();
      for (let i = 40 * 2; i < v.length; i++) v[i] *= scaleTest;
      const s = makeSeries(v, 2);
      const norm = fitNormalizer(s, 40);
      const model = createRegressor(shapeOf('mlp', 'mse'), 0);
      const r = await trainRegressor(model, normalize(s, norm), 40, { steps: 10, batch: 4, lr: 0.01, clip: 1, seed: 0, evalInterval: 0, gradMapInterval: 0 });
      model.dispose();
      return { losses: r.losses, mean: [...norm.mean] };
    };
    const a = await run(1);
    const b = await run(100);
    assert.deepEqual(a, b);
  });

  it('a checkpoint reloads to the same predictions; a tampered one is refused with its reason', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-fc-'));
    try {
      const model = createRegressor(shapeOf('lstm', 'gaussian'), 4);
      const norm = fitNormalizer(series, 40);
      saveRegressorCheckpoint(dir, model, { norm, step: 12, seed: 4 });
      const ctx = normalized.values.slice(0, 4 * 2);
      const before = model.rollout(ctx, 1, 5);
      const { model: loaded, checkpoint } = loadRegressorCheckpoint(dir);
      const after = loaded.rollout(ctx, 1, 5);
      assert.deepEqual(after, before);
      assert.equal(checkpoint.step, 12);
      assert.deepEqual([...checkpoint.norm.std], [...norm.std]);
      loaded.dispose();
      model.dispose();
      const file = path.join(dir, 'forecast-checkpoint.json');
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      json.shape.hidden = 6;
      fs.writeFileSync(file, JSON.stringify(json));
      assert.throws(() => loadRegressorCheckpoint(dir), /weight 0 is not lstm_0\/kernel/);
      json.shape.hidden = 5;
      json.normalizer.std[0] = -1;
      fs.writeFileSync(file, JSON.stringify(json));
      assert.throws(() => loadRegressorCheckpoint(dir), /normalizer.std must be 2 finite numbers/);
      json.normalizer.std[0] = 1;
      fs.writeFileSync(file, JSON.stringify(json));
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(12));
      assert.throws(() => loadRegressorCheckpoint(dir), /weights.bin must be a file of \d+ bytes/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("the chapter's noisy sine (600 training points of 1,000; small networks, 150 steps)", function () {
    const spread = (a: Float64Array) => Math.max(...a) - Math.min(...a);
    for (const model of ['mlp', 'rnn', 'gru', 'lstm'] as const) {
      it(`${model}: k-step error grows with k, beats the last value one step ahead, and the free-running forecast settles to a constant`, async () => {
        await useBackend('wasm');
        const r = await runForecast({ generate: 'sine', model, network: { hidden: 12, window: 16, steps: 150, batch: 16 } });
        const k = r.test_mse;
        assert.ok(k['1'] < r.baseline_mse.last_value['1'], `one step ${k['1']}, last value ${r.baseline_mse.last_value['1']}`);
        assert.ok(k['1'] < 0.08, `one-step ${k['1']}`);
        assert.ok(k['1'] < k['16'] && k['4'] < k['16'] && k['16'] < k['64'], JSON.stringify(k));
        const f = r.report.freeRun;
        // Settled: the last 50 predictions (of 400) span under a tenth of what the first 100 do.
        assert.ok(
          spread(f.subarray(f.length - 50)) < 0.1 * spread(f.subarray(0, 100)),
          `free run: first 100 span ${spread(f.subarray(0, 100))}, last 50 ${spread(f.subarray(f.length - 50))}`,
        );
      });
    }

    it('the Gaussian head’s 95% interval covers about 95% of the test values, and its σ is near the noise’s 0.2', async () => {
      await useBackend('wasm');
      const r = await runForecast({ generate: 'sine', model: 'gru', network: { hidden: 12, window: 16, steps: 300, batch: 16, head: 'gaussian' } });
      const iv = r.report.interval!;
      assert.ok(iv.coverage > 0.88 && iv.coverage < 0.99, `coverage ${iv.coverage}`);
      let sigma = 0;
      for (let i = 0; i < iv.upper.length; i++) sigma += (iv.upper[i] - iv.lower[i]) / (2 * 1.959964) / iv.upper.length;
      assert.ok(sigma > 0.17 && sigma < 0.26, `mean σ ${sigma}`);
      assert.equal(generateSeries('sine').series.length - r.trainLength, iv.upper.length);
    });
  });
});
