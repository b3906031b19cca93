/**
 * Our WebAssembly SIMD kernels (src/core/kernels/asm, through kernels/simdLayers.ts) against the truth:
 * tfjs's autodiff of the reference model with the same weights, the reference's gradient maps, central
 * finite differences of the SIMD model's own loss, and training curves on the same seed. Shapes include
 * a hidden size that is not a multiple of 4 (the kernels' partial lane groups) and batches above
 * LAST_STEP_ROWS (the last prediction's map walks a prefix of the cached rows).
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/core/backend';
import { createModel } from '../../src/core/createModel';
import { simdKernels } from '../../src/core/kernels/simdModule';
import type { LanguageModel } from '../../src/core/model';
import { defaultImplementation, Implementation, RecurrentModel } from '../../src/core/recurrentModel';
import { Rng } from '../../src/core/rng';
import { Trainer } from '../../src/core/trainer';
import { Vocabulary } from '../../src/core/vocabulary';
import type { CellType } from '../../src/protocol/types';
import { maxRelError, randomBatch, tinyConfig, useBackend } from './helpers';

const V = 7;

function build(cell: CellType, extra: Record<string, number>, implementation: Implementation): LanguageModel {
  return createModel(tinyConfig({ cell, ...extra }), V, new Rng(1), implementation);
}

const variants: [CellType, Record<string, number>][] = [
  ['rnn', {}],
  ['gru', {}],
  ['lstm', {}],
  ['lstm', { hidden: 5, layers: 2, embedding: 4 }],
  ['gru', { hidden: 9, layers: 3 }],
  ['rnn', { hidden: 7, embedding: 3, layers: 2 }],
  ['lstm', { hidden: 16 }],
];

describe('SIMD kernels: loading', () => {
  it('a build validates on this runtime and is what the models use by default on wasm and cpu', async () => {
    const k = simdKernels();
    assert.ok(k, 'no SIMD build validated');
    assert.ok(['simd', 'relaxed-simd'].includes(k.variant));
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      assert.equal(defaultImplementation(), 'simd');
      const model = new RecurrentModel(tinyConfig({ cell: 'lstm' }), V, new Rng(1));
      assert.equal(model.implementation, 'simd');
      model.dispose();
    }
  });
});

describe('SIMD kernels: the backend line', () => {
  it('says that the recurrent layers run in our SIMD kernels on wasm and cpu', async () => {
    for (const name of ['wasm', 'cpu'] as const) {
      const selection = await selectBackend(name);
      assert.match(selection.reason, new RegExp(`^${name} \\+ SIMD kernels \\((relaxed SIMD, fused multiply-add|128-bit SIMD)\\) for the recurrent layers; ${name} was chosen`));
    }
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`SIMD kernels equal autodiff and the reference (${backend} backend)`, () => {
    before(() => useBackend(backend));

    for (const [cell, extra] of variants) {
      const label = `${cell} ${JSON.stringify(extra)}`;

      it(`${label}: loss, every gradient, both maps, the final state`, () => {
        const reference = build(cell, extra, 'reference');
        const simd = build(cell, extra, 'simd');
        const batch = randomBatch(new Rng(8), V, 10, 6, 0);
        const run = (m: LanguageModel) =>
          tf.tidy(() => {
            const r = m.trainStep(batch, undefined, true);
            return {
              loss: r.loss,
              map: r.totalGradNorms!,
              lastMap: r.lastStepGradNorms!,
              lastLoss: r.lastStepLoss!,
              cellMap: r.lastStepCellGradNorms,
              grads: r.grads,
              evalLoss: m.evaluate(batch),
              h: r.finalState!.map((s) => s.h),
              c: r.finalState!.map((s) => s.c ?? tf.zeros([1])),
            };
          });
        const a = run(reference);
        const b = run(simd);
        // Autodiff of the reference (the gradient of its row gather needs UnsortedSegmentSum, which wasm lacks).
        const auto = backend === 'cpu' ? tf.variableGrads(() => reference.trainStep(batch, undefined, false).loss) : undefined;
        // The reference's own float32 rounding on wasm (XNNPACK's sums, its sigmoid and tanh) differs from cpu's by a few 1e-6.
        const close = (x: tf.Tensor, y: tf.Tensor, what: string, tol = backend === 'cpu' ? 1e-5 : 5e-5) => {
          assert.deepEqual(x.shape, y.shape, what);
          const err = maxRelError(x.dataSync() as Float32Array, y.dataSync() as Float32Array);
          assert.ok(err < tol, `${what}: relative error ${err}`);
        };
        close(a.loss, b.loss, 'loss');
        close(a.evalLoss, b.evalLoss, 'evaluation loss');
        close(a.map, b.map, 'gradient map');
        assert.ok(Math.min(...(b.map.dataSync() as Float32Array)) > 0, 'the map is not trivially zero');
        close(a.lastMap, b.lastMap, 'last-step gradient map');
        close(a.lastLoss, b.lastLoss, 'last-step loss');
        // The LSTM's memory cell: ||dl_T/dc_t|| through c_{t+1}, the other half of the state gradient.
        assert.equal(!!b.cellMap, cell === 'lstm', 'a c_t map for the LSTM only');
        if (a.cellMap && b.cellMap) close(a.cellMap, b.cellMap, 'last-step c_t gradient map');
        a.h.forEach((h, l) => close(h, b.h[l], `final h of layer ${l}`));
        a.c.forEach((c, l) => close(c, b.c[l], `final c of layer ${l}`));
        for (const name of reference.params.names()) {
          close(a.grads[name], b.grads[name], `${name} against the reference's explicit backward`);
          if (auto) close(auto.grads[reference.params.variableName(name)], b.grads[name], `${name} against autodiff`, 1e-4);
        }
        tf.dispose([a, b]);
        if (auto) tf.dispose([auto.value, auto.grads]);
        reference.dispose();
        simd.dispose();
      });
    }
  });
}

describe('SIMD kernels against finite differences (wasm backend)', () => {
  before(() => useBackend('wasm'));

  for (const [cell, extra] of variants.slice(0, 6)) {
    it(`${cell} ${JSON.stringify(extra)}`, () => {
      const model = build(cell, extra, 'simd');
      const batch = randomBatch(new Rng(3), V, 3, 5, 0);
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
          const lossWith = (x: number) => {
            data[i] = x;
            tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
            return lossAt();
          };
          const numeric = (lossWith(orig + eps) - lossWith(orig - eps)) / (2 * eps);
          lossWith(orig);
          assert.ok(Math.abs(numeric - g[i]) < 2e-3 + 0.05 * Math.abs(g[i]), `${name}[${i}]: numeric ${numeric} vs SIMD ${g[i]}`);
          checked++;
        }
      }
      assert.ok(checked >= 12);
      tf.dispose(grads);
      model.dispose();
    });
  }
});

describe('SIMD kernels: training curves on the same seed match the fused kernels', () => {
  before(() => useBackend('wasm'));

  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    it(`${cell}: 40 steps of Adam with clipping, sequential batches (carried state)`, async () => {
      const vocab = Vocabulary.fromJSON({ tokens: ['<unk>', ...'abcdefghij'] });
      const rng = new Rng(11);
      // A learnable text: a repeating pattern with noise, so the loss falls and the curves mean something.
      const train = Int32Array.from({ length: 4000 }, (_, i) => (rng.next() < 0.1 ? rng.int(11) : 1 + ((i * 3) % 10)));
      const corpus = { vocab, level: 'char' as const, train, val: train.subarray(0, 500), charsPerToken: 1, unigramLoss: Math.log(11) };
      const config = tinyConfig({ cell, hidden: 12, batch: 8, window: 16, steps: 40, lr: 1e-2, clip: 1, batching: 'sequential', gradMapInterval: 5 });
      const curve = async (implementation: Implementation) => {
        const model = createModel(config, 11, new Rng(config.seed), implementation);
        const trainer = new Trainer(model, corpus, config);
        const losses: number[] = [];
        for (let s = 0; s < config.steps; s++) {
          losses.push((await trainer.trainOneStep()).loss);
          trainer.step++;
        }
        await trainer.dispose();
        model.dispose();
        return losses;
      };
      const fused = await curve('fused');
      const simd = await curve('simd');
      assert.ok(fused.at(-1)! < fused[0] - 0.3, `the loss falls (${fused[0]} -> ${fused.at(-1)})`);
      for (let s = 0; s < fused.length; s++) assert.ok(Math.abs(fused[s] - simd[s]) < 1e-3 * fused[s], `step ${s + 1}: fused ${fused[s]}, SIMD ${simd[s]}`);
    });
  }
});
