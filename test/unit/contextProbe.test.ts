/** The context-length probe against the same predictions made one token at a time. */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { contextProbe, probeLengths } from '../../src/core/contextProbe';
import { RecurrentModel } from '../../src/core/recurrentModel';
import { Rng } from '../../src/core/rng';
import type { CellType } from '../../src/protocol/types';
import { tinyConfig, useBackend } from './helpers';

const V = 7;

describe('context-length probe', () => {
  before(() => useBackend('cpu'));

  it('probes k = 1, 2, 4, ... and the window itself', () => {
    assert.deepEqual(probeLengths(64), [1, 2, 4, 8, 16, 32, 64]);
    assert.deepEqual(probeLengths(12), [1, 2, 4, 8, 12]);
    assert.deepEqual(probeLengths(1), [1]);
  });

  for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
    it(`equals feeding the last k tokens to a fresh predictor, for each position (${cell}, 2 layers)`, () => {
      const model = new RecurrentModel(tinyConfig({ cell, layers: 2 }), V, new Rng(2), 'reference');
      const rng = new Rng(4);
      const ids = Int32Array.from({ length: 300 }, () => rng.int(V));
      const before = tf.memory().numTensors;
      const probe = contextProbe(model, ids, [1, 3, 8], 40, 16);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      const available = ids.length - 8;
      for (const { k, loss } of probe) {
        let sum = 0;
        for (let i = 0; i < 40; i++) {
          const p = 8 + Math.floor((i * available) / 40);
          const predictor = model.predictor();
          let logp = new Float32Array(0) as Float32Array;
          for (let t = p - k; t < p; t++) logp = predictor.feed(ids[t]);
          predictor.dispose();
          sum -= logp[ids[p]];
        }
        assert.ok(Math.abs(loss - sum / 40) < 1e-4, `k = ${k}: ${loss} against ${sum / 40}`);
      }
      model.dispose();
    });
  }
});
