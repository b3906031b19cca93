/**
 * The two-thread pool of the SIMD kernels (parallel/kernelPool.ts): the same step on two threads gives
 * the same numbers as on one. Each element of a product is summed by one thread in the same order, and
 * each row's gate arithmetic by one thread, so the gradients are bit for bit equal; only the maps'
 * sums of squares are added in another order.
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { RecurrentModel } from '../../src/core/recurrentModel';
import { Rng } from '../../src/core/rng';
import type { CellType } from '../../src/protocol/types';
import { randomBatch, tinyConfig, useBackend } from './helpers';

const V = 7;

const variants: [Exclude<CellType, 'window'>, Record<string, number>][] = [
  ['lstm', { hidden: 37, layers: 2 }],
  ['gru', { hidden: 12, embedding: 5 }],
  ['rnn', { hidden: 20 }],
];

describe('SIMD kernels on two threads', () => {
  before(() => useBackend('wasm'));

  for (const [cell, extra] of variants) {
    it(`${cell} ${JSON.stringify(extra)}: the same loss, gradients and maps as one thread, over three steps`, () => {
      const one = new RecurrentModel(tinyConfig({ cell, ...extra }), V, new Rng(1), 'simd');
      const two = new RecurrentModel(tinyConfig({ cell, ...extra }), V, new Rng(1), 'simd');
      assert.equal(two.useKernelThreads(), true, 'the pool started');
      for (let step = 0; step < 3; step++) {
        const batch = randomBatch(new Rng(20 + step), V, 11, 6, 0);
        const run = (m: RecurrentModel) =>
          tf.tidy(() => {
            const r = m.trainStep(batch, undefined, true);
            return { loss: r.loss, grads: r.grads, map: r.totalGradNorms!, lastMap: r.lastStepGradNorms! };
          });
        const a = run(one);
        const b = run(two);
        assert.equal(a.loss.dataSync()[0], b.loss.dataSync()[0], 'loss');
        for (const name of one.params.names()) assert.deepEqual(b.grads[name].dataSync(), a.grads[name].dataSync(), name);
        for (const [x, y, what] of [[a.map, b.map, 'map'] as const, [a.lastMap, b.lastMap, 'last-step map'] as const]) {
          const p = x.dataSync();
          const q = y.dataSync();
          for (let i = 0; i < p.length; i++) assert.ok(Math.abs(p[i] - q[i]) <= 1e-6 * Math.abs(p[i]) + 1e-12, `${what}[${i}]: ${p[i]} vs ${q[i]}`);
        }
        tf.dispose([a, b]);
      }
      one.dispose();
      two.dispose();
    });
  }
});
