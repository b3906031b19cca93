/**
 * More of the chapter as settings: the ReLU RNN (its backward pass against finite differences and
 * autodiff), randomized truncation (the lengths' mean), and keeping the graph across sequential
 * batches (its gradient against the longer window's, by an identity over plain windows), each
 * validated with a clear message for absurd values.
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Batch, createBatcher, randomLengthRange, SequentialBatcher } from '../../src/core/batches';
import { validateConfig } from '../../src/core/config';
import { createModel } from '../../src/core/createModel';
import type { LanguageModel } from '../../src/core/model';
import { Rng } from '../../src/core/rng';
import { maxRelError, randomBatch, tinyConfig, useBackend } from './helpers';

const V = 7;

/** Gradients of one batch as plain arrays, by weight name (state: the state the batch continues from). */
function gradsOf(model: LanguageModel, batch: Batch, state?: ReturnType<typeof carried>): Record<string, Float32Array> {
  return tf.tidy(() => {
    const r = model.trainStep(batch, state, false);
    return Object.fromEntries(Object.entries(r.grads).map(([n, g]) => [n, g.dataSync() as Float32Array]));
  }) as unknown as Record<string, Float32Array>;
}

/** The state after running `batch` from a zero state (kept out of tidy). */
function carried(model: LanguageModel, batch: Batch) {
  return tf.tidy(() => model.trainStep(batch, undefined, false).finalState!);
}

describe('chapter settings', () => {
  before(() => useBackend('cpu'));

  describe('ReLU RNN', () => {
    const config = tinyConfig({ cell: 'rnn', activation: 'relu', hidden: 6 });

    it('its backward pass equals autodiff and central finite differences', () => {
      const model = createModel(config, V, new Rng(1), 'reference');
      const batch = randomBatch(new Rng(2), V, 3, 5);
      const explicit = tf.tidy(() => model.trainStep(batch, undefined, false).grads);
      const auto = tf.variableGrads(() => model.trainStep(batch, undefined, false).loss);
      for (const name of model.params.names()) {
        const err = maxRelError(explicit[name].dataSync() as Float32Array, auto.grads[model.params.variableName(name)].dataSync() as Float32Array);
        assert.ok(err < 1e-4, `${name}: relative error against autodiff ${err}`);
      }
      tf.dispose([explicit, auto.value, auto.grads]);

      // Finite differences on every weight of U (the recurrence ReLU changes), in float64-free float32: loose.
      const grads = gradsOf(model, batch);
      const n = batch.batch * batch.window;
      const lossAt = () => tf.tidy(() => model.evaluate(batch).dataSync()[0] / n);
      const name = 'simple_rnn_0/recurrent_kernel';
      const v = model.params.get(name);
      const eps = 1e-2;
      let compared = 0;
      let worst = 0;
      for (let i = 0; i < v.size; i++) {
        const data = v.dataSync().slice() as Float32Array;
        const orig = data[i];
        data[i] = orig + eps;
        tf.tidy(() => (v as tf.Variable).assign(tf.tensor(data, v.shape)));
        const up = lossAt();
        data[i] = orig - eps;
        tf.tidy(() => (v as tf.Variable).assign(tf.tensor(data, v.shape)));
        const down = lossAt();
        data[i] = orig;
        tf.tidy(() => (v as tf.Variable).assign(tf.tensor(data, v.shape)));
        const numeric = (up - down) / (2 * eps);
        if (Math.abs(numeric) + Math.abs(grads[name][i]) < 1e-4) continue;
        worst = Math.max(worst, Math.abs(numeric - grads[name][i]) / (Math.abs(numeric) + Math.abs(grads[name][i])));
        compared++;
      }
      assert.ok(compared > 20, `compared ${compared} entries`);
      // A kink of ReLU inside ±eps spoils a difference now and then; float32 sets the floor otherwise.
      assert.ok(worst < 0.05, `worst relative difference ${worst}`);
      model.dispose();
    });

    it('h_t is ReLU of the pre-activation (non-negative, exact zeros), and the fused model gives the same map', () => {
      const reference = createModel(config, V, new Rng(1), 'reference');
      const fused = createModel(config, V, new Rng(1), 'fused');
      const batch = randomBatch(new Rng(5), V, 10, 6);
      const h = (reference as unknown as { trace(ids: Int32Array): { h: Float32Array }[] }).trace(Int32Array.from([1, 2, 3, 4, 5, 6]))[0].h;
      assert.ok(h.every((x) => x >= 0));
      assert.ok(h.some((x) => x === 0) && h.some((x) => x > 0));
      const maps = [reference, fused].map((m) => tf.tidy(() => m.trainStep(batch, undefined, true).lastStepGradNorms!.arraySync()));
      assert.ok(maxRelError(maps[0][0], maps[1][0]) < 1e-4, `${maps[0][0]} vs ${maps[1][0]}`);
      reference.dispose();
      fused.dispose();
    });
  });

  describe('randomized truncation', () => {
    it('draws each batch length uniformly from [ceil(w/2), 2w - ceil(w/2)]: mean w, both batchings', () => {
      const ids = Int32Array.from({ length: 20_000 }, (_, i) => (i * 7) % 11);
      for (const mode of ['random', 'sequential'] as const) {
        for (const w of [64, 5]) {
          const [lo, hi] = randomLengthRange(w);
          const batcher = createBatcher(mode, ids, 2, w, 0, 3, { truncation: 'random' });
          const lengths = Array.from({ length: 20_000 }, () => batcher.next().window);
          const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
          // Uniform on [lo, hi]: standard error sqrt(((hi-lo+1)^2-1)/12 / n), 0.13 for w = 64.
          assert.ok(Math.abs(mean - w) < 0.6, `${mode} w=${w}: mean ${mean}`);
          assert.equal(Math.min(...lengths), lo);
          assert.equal(Math.max(...lengths), hi);
          assert.equal(lo + hi, 2 * w);
        }
      }
      assert.deepEqual(randomLengthRange(64), [32, 96]);
    });

    it('a sequential stream stays contiguous across batches of varying length', () => {
      const ids = Int32Array.from({ length: 5000 }, (_, i) => i);
      const batcher = createBatcher('sequential', ids, 2, 16, 0, 1, { truncation: 'random' });
      let prev: Batch | undefined;
      for (let k = 0; k < 50; k++) {
        const b = batcher.next();
        if (prev && b.continues) assert.equal(b.x[0], prev.x[(prev.window - 1) * 2] + 1, 'continues where the last batch ended');
        prev = b;
      }
    });
  });

  describe('keeping the graph across sequential batches', () => {
    const config = tinyConfig({ cell: 'lstm', hidden: 5, batching: 'sequential', keepGraph: 2 });
    const w = 4;
    const B = 2;
    const ids = Int32Array.from({ length: 400 }, (_, i) => (i * i + 3 * i) % V);

    it('spans the kept windows, scores only the newest, and carries the state after the first window', () => {
      const batcher = new SequentialBatcher(ids, B, w, 0, 2, { keepGraph: 2 });
      const plain = new SequentialBatcher(ids, B, w, 0, 2);
      const shapes = Array.from({ length: 5 }, () => {
        const b = batcher.next();
        return [b.window, b.lossFrom, b.carryAt, b.continues];
      });
      assert.deepEqual(shapes, [
        [4, 0, 4, false],
        [8, 4, 4, false],
        [12, 8, 4, false],
        [12, 8, 4, true],
        [12, 8, 4, true],
      ]);
      // The newest window of each kept-graph batch is exactly the plain batcher's batch.
      const again = new SequentialBatcher(ids, B, w, 0, 2, { keepGraph: 2 });
      for (let k = 0; k < 6; k++) {
        const a = again.next();
        const p = plain.next();
        assert.deepEqual(a.y.subarray(a.lossFrom! * B), p.y);
      }
    });

    it("the newest window's gradient through 2 kept windows equals the 3-window gradient minus the 2-window one", () => {
      const model = createModel(config, V, new Rng(7), 'reference');
      const batcher = new SequentialBatcher(ids, B, w, 0, 2, { keepGraph: 2 });
      const batches = Array.from({ length: 4 }, () => batcher.next());
      const third = batches[2]; // windows 0..2 from a zero state, the loss of window 2 only
      const fourth = batches[3]; // windows 1..3, from the state after window 0
      const kept3 = gradsOf(model, third);
      // Mean over 3w targets times 3, minus the mean over the first 2w times 2: the sum over window 2, over w.
      const window = (b: Batch, from: number, len: number, continues = false): Batch => ({
        x: b.x.slice(from * B, (from + len) * B),
        y: b.y.slice(from * B, (from + len) * B),
        batch: B,
        window: len,
        prefix: 0,
        continues,
      });
      const g3 = gradsOf(model, window(third, 0, 3 * w));
      const g2 = gradsOf(model, window(third, 0, 2 * w));
      for (const name of model.params.names()) {
        const expected = g3[name].map((v, i) => 3 * v - 2 * g2[name][i]);
        assert.ok(maxRelError(kept3[name], expected) < 1e-4, `${name}: ${maxRelError(kept3[name], expected)}`);
      }
      // The fourth batch continues from the state after the third batch's first window.
      const s1 = carried(model, window(third, 0, w));
      const stateAfter = carried(model, third);
      assert.ok(maxRelError(stateAfter[0].h.dataSync() as Float32Array, s1[0].h.dataSync() as Float32Array) < 1e-6, 'carried state = state after window 0');
      const kept4 = gradsOf(model, fourth, stateAfter);
      const h3 = gradsOf(model, window(fourth, 0, 3 * w, true), s1);
      const h2 = gradsOf(model, window(fourth, 0, 2 * w, true), s1);
      for (const name of model.params.names()) {
        const expected = h3[name].map((v, i) => 3 * v - 2 * h2[name][i]);
        assert.ok(maxRelError(kept4[name], expected) < 1e-4, `${name} (continued): ${maxRelError(kept4[name], expected)}`);
      }
      tf.dispose([s1, stateAfter] as unknown as tf.TensorContainer);
      model.dispose();
    });
  });

  describe('validation', () => {
    const problems = (input: Record<string, unknown>) => validateConfig(input).problems;

    it('accepts the new settings and their defaults', () => {
      assert.deepEqual(problems({ cell: 'rnn', activation: 'relu', truncation: 'random', batching: 'random' }), []);
      assert.deepEqual(problems({ batching: 'sequential', keepGraph: 3, window: 32 }), []);
      const { config } = validateConfig({});
      assert.equal(config.activation, 'tanh');
      assert.equal(config.truncation, 'fixed');
      assert.equal(config.keepGraph, 0);
    });

    it('refuses absurd values and combinations, each with its reason, and falls back to the default', () => {
      assert.match(problems({ activation: 'sigmoid' }).join(), /activation must be one of tanh, relu \(got "sigmoid"\)/);
      assert.match(problems({ truncation: 'sometimes' }).join(), /truncation must be one of fixed, random/);
      assert.match(problems({ keepGraph: 9, batching: 'sequential' }).join(), /keepGraph = 9 is out of range: use 0 to 8/);
      assert.match(problems({ keepGraph: -1, batching: 'sequential' }).join(), /keepGraph = -1 is out of range/);
      assert.match(problems({ keepGraph: 1.5, batching: 'sequential' }).join(), /keepGraph must be a whole number/);
      assert.match(problems({ cell: 'lstm', activation: 'relu' }).join(), /applies to the vanilla RNN only \(cell is lstm\)/);
      assert.match(problems({ keepGraph: 2, batching: 'random' }).join(), /needs sequential batching/);
      assert.match(problems({ keepGraph: 2, batching: 'sequential', cell: 'window' }).join(), /needs a recurrent cell/);
      assert.match(problems({ keepGraph: 8, batching: 'sequential', window: 256 }).join(), /a graph of 2304 steps: at most 1024/);
      assert.match(problems({ keepGraph: 1, batching: 'sequential', truncation: 'random' }).join(), /needs truncation = fixed/);
      assert.match(problems({ truncation: 'random', window: 3 }).join(), /needs window of at least 4/);
      const { config } = validateConfig({ keepGraph: 2, batching: 'random', cell: 'lstm', activation: 'relu' });
      assert.equal(config.keepGraph, 0);
      assert.equal(config.activation, 'tanh');
    });
  });
});
