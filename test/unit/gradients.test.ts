/**
 * The explicit backward passes against the truth: tfjs's automatic differentiation of the same
 * forward pass (tight tolerance), and central finite differences of the loss (loose: float32).
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../../src/core/createModel';
import type { LanguageModel } from '../../src/core/model';
import type { Implementation } from '../../src/core/recurrentModel';
import { Rng } from '../../src/core/rng';
import type { CellType } from '../../src/protocol/types';
import { maxRelError, randomBatch, tinyConfig, useBackend } from './helpers';

const V = 7;

function buildModel(cell: CellType, extra: Record<string, number> = {}, implementation: Implementation = 'reference'): LanguageModel {
  return createModel(tinyConfig({ cell, ...extra }), V, new Rng(1), implementation);
}

const variants: [CellType, Record<string, number>][] = [
  ['rnn', {}],
  ['gru', {}],
  ['lstm', {}],
  ['lstm', { layers: 2, embedding: 4 }],
  ['gru', { layers: 3 }],
  ['rnn', { embedding: 3, layers: 2 }],
  ['window', { tau: 3 }],
  ['window', { tau: 4, embedding: 3 }],
];

describe('gradients (cpu backend, exact reference)', () => {
  before(() => useBackend('cpu'));

  for (const [cell, extra] of variants) {
    const label = `${cell} ${JSON.stringify(extra)}`;

    it(`${label}: explicit backward equals autodiff`, () => {
      const model = buildModel(cell, extra);
      const batch = randomBatch(new Rng(2), V, 3, 5, model.prefix);
      const explicit = tf.tidy(() => model.trainStep(batch, undefined, false).grads);
      const auto = tf.variableGrads(() => model.trainStep(batch, undefined, false).loss);
      for (const name of model.params.names()) {
        const mine = explicit[name].dataSync() as Float32Array;
        const ref = auto.grads[model.params.variableName(name)].dataSync() as Float32Array;
        assert.deepEqual(explicit[name].shape, model.params.get(name).shape, name);
        assert.ok(maxRelError(mine, ref) < 1e-4, `${name}: relative error ${maxRelError(mine, ref)}`);
      }
      tf.dispose([explicit, auto.value, auto.grads]);
      model.dispose();
    });

    it(`${label}: explicit backward matches finite differences`, () => {
      const model = buildModel(cell, extra);
      const batch = randomBatch(new Rng(3), V, 3, 5, model.prefix);
      const grads = tf.tidy(() => model.trainStep(batch, undefined, false).grads);
      const n = batch.batch * batch.window;
      const lossAt = () => tf.tidy(() => model.evaluate(batch).dataSync()[0] / n);
      const rng = new Rng(4);
      const eps = 1e-2;
      let checked = 0;
      for (const name of model.params.names()) {
        const v = model.params.get(name);
        const g = grads[name].dataSync();
        for (let k = 0; k < 4; k++) {
          const i = rng.int(v.size);
          const data = v.dataSync().slice() as Float32Array;
          const orig = data[i];
          data[i] = orig + eps;
          tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
          const up = lossAt();
          data[i] = orig - eps;
          tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
          const down = lossAt();
          data[i] = orig;
          tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
          const numeric = (up - down) / (2 * eps);
          assert.ok(Math.abs(numeric - g[i]) < 2e-3 + 0.05 * Math.abs(g[i]), `${name}[${i}]: numeric ${numeric} vs explicit ${g[i]}`);
          checked++;
        }
      }
      assert.ok(checked >= 12);
      tf.dispose(grads);
      model.dispose();
    });

    for (const which of ['total', 'lastStep'] as const) {
      it(`${label}: ${which} gradient map equals the norms from autodiff`, () => {
        const model = buildModel(cell, extra);
        // 10 sequences: the last prediction's map walks back through the first 8 only (LAST_STEP_ROWS).
        const batch = randomBatch(new Rng(5), V, 10, 5, model.prefix);
        // Zero probes added to each h_t (recurrent: [B, H] per layer and step) or to each context
        // position's input vector (window: [T*B, width] per position): dloss/dprobe is the mapped quantity,
        // for the window's loss L (total) or its last prediction's loss ℓ_T (lastStep).
        const { hidden: H, layers: L, tau, embedding: E } = model.config;
        const [rows, cols, shape]: [number, number, [number, number]] = cell === 'window' ? [1, tau, [batch.batch * batch.window, E || V]] : [L, batch.window, [batch.batch, H]];
        const flat = Array.from({ length: rows * cols }, () => tf.zeros(shape) as tf.Tensor2D);
        const map = tf.tidy(() => {
          const r = model.trainStep(batch, undefined, true);
          return which === 'total' ? r.totalGradNorms! : r.lastStepGradNorms!;
        });
        const dProbes = tf.grads((...ps: tf.Tensor[]) => {
          const nested = Array.from({ length: rows }, (_, r) => ps.slice(r * cols, (r + 1) * cols) as tf.Tensor2D[]);
          const r = model.trainStep(batch, undefined, true, nested);
          return which === 'total' ? r.loss : r.lastStepLoss!;
        })(flat);
        assert.deepEqual(map.shape, [rows, cols]);
        const got = map.arraySync();
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const ref = tf.tidy(() => tf.norm(dProbes[r * cols + c]).dataSync()[0]);
            assert.ok(ref > 0, 'the reference gradient is not trivially zero');
            assert.ok(Math.abs(got[r][c] - ref) <= 1e-6 + 1e-4 * ref, `row ${r} col ${c}: ${got[r][c]} vs ${ref}`);
          }
        }
        tf.dispose([map, flat, dProbes]);
        model.dispose();
      });
    }
  }
});

/** The fused kernels compute the same function as the reference ops: loss, every gradient, the map. */
for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused kernels equal the reference (${backend} backend)`, () => {
    before(() => useBackend(backend));

    for (const [cell, extra] of variants) {
      it(`${cell} ${JSON.stringify(extra)}`, () => {
        const reference = buildModel(cell, extra, 'reference');
        const fused = buildModel(cell, extra, 'fused');
        const batch = randomBatch(new Rng(8), V, 10, 5, reference.prefix); // > LAST_STEP_ROWS: fused kernels read cache prefixes
        const run = (m: LanguageModel) =>
          tf.tidy(() => {
            const r = m.trainStep(batch, undefined, true);
            return { loss: r.loss, map: r.totalGradNorms!, lastMap: r.lastStepGradNorms!, lastLoss: r.lastStepLoss!, grads: r.grads, evalLoss: m.evaluate(batch) };
          });
        const a = run(reference);
        const b = run(fused);
        const close = (x: tf.Tensor, y: tf.Tensor, what: string) => {
          const err = maxRelError(x.dataSync() as Float32Array, y.dataSync() as Float32Array);
          assert.ok(err < 1e-5, `${what}: relative error ${err}`);
        };
        close(a.loss, b.loss, 'loss');
        close(a.evalLoss, b.evalLoss, 'evaluation loss');
        close(a.map, b.map, 'gradient map');
        close(a.lastMap, b.lastMap, 'last-step gradient map');
        close(a.lastLoss, b.lastLoss, 'last-step loss');
        for (const name of reference.params.names()) close(a.grads[name], b.grads[name], name);
        tf.dispose([a, b]);
        reference.dispose();
        fused.dispose();
      });
    }
  });
}
