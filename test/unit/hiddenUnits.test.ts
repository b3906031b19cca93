/** Hidden-unit inspection: text signals, unit rankings, LSTMVis-style matching, and the model's trace. */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { findSimilar, rankByChange, rankByCorrelation, regexSignal, signalOf } from '../../src/core/hiddenUnits';
import { RecurrentModel } from '../../src/core/recurrentModel';
import { Rng } from '../../src/core/rng';
import { tinyConfig, useBackend } from './helpers';

const chars = (s: string) => [...s];

describe('hidden units', () => {
  it('signals: inside double quotes, inside brackets, a regular expression, the position in the line', () => {
    const tokens = chars('He said "go" (now)\nok');
    assert.equal([...signalOf('quotes', tokens)].join(''), '000000001111000000000');
    assert.equal([...signalOf('brackets', tokens)].join(''), '000000000000011111000');
    assert.equal([...regexSignal(tokens, /o+/)].join(''), '000000000010000100010');
    assert.deepEqual([...signalOf('line-position', tokens)].slice(16), [16, 17, 18, 0, 1]);
    // Word tokens: the signal follows each token's first character.
    assert.equal([...signalOf('quotes', ['a', ' ', '"', 'b', '"', ' ', 'c'])].join(''), '0011100');
  });

  it('ranks the unit that follows a signal first, with its correlation; and the unit that jumps at a token', () => {
    const tokens = chars('x "abc" y "de" z '.repeat(20));
    const signal = signalOf('quotes', tokens);
    const T = tokens.length;
    const H = 5;
    const rng = new Rng(1);
    const acts = new Float32Array(T * H);
    for (let t = 0; t < T; t++) {
      for (let u = 0; u < H; u++) acts[t * H + u] = rng.normal() * 0.5;
      acts[t * H + 3] = 0.9 * signal[t] - 0.45 + 0.1 * rng.normal(); // the quote unit
      acts[t * H + 1] = -signal[t] + 0.8 * rng.normal(); // anti-correlated, noisier
    }
    const ranked = rankByCorrelation(acts, H, signal, 3);
    assert.equal(ranked[0].unit, 3);
    assert.ok(ranked[0].score > 0.95, `${ranked[0].score}`);
    assert.equal(ranked[1].unit, 1);
    assert.ok(ranked[1].score < -0.4);
    acts[40 * H + 2] = acts[39 * H + 2] + 5;
    assert.equal(rankByChange(acts, H, 40, 1)[0].unit, 2);
    assert.ok(Math.abs(rankByChange(acts, H, 40, 1)[0].score - 5) < 1e-5);
  });

  it('finds the other spans where the same units switch on, not the selection itself', () => {
    const H = 3;
    const T = 12;
    // Unit 0 on at 2-4 and 8-10; unit 1 on at 8-9 only; unit 2 never.
    const acts = new Float32Array(T * H);
    for (const t of [2, 3, 4, 8, 9, 10]) acts[t * H] = 1;
    for (const t of [8, 9]) acts[t * H + 1] = 1;
    const { on, matches } = findSimilar(acts, H, T, { start: 2, end: 5 }, [0, 1, 2]);
    assert.deepEqual(on, [0]);
    // 8-9 has unit 1 on too, which the pattern wants off: only t = 10 matches.
    assert.deepEqual(matches, [{ start: 10, end: 11 }]);
    assert.deepEqual(findSimilar(acts, H, T, { start: 8, end: 10 }, [0, 1]).matches, [], 'units 0 and 1 are on together only in the selection');
    assert.deepEqual(findSimilar(acts, H, T, { start: 0, end: 2 }, [0]).on, [], 'nothing on in the selection: no pattern');
  });

  describe('the model trace', () => {
    before(() => useBackend('cpu'));

    it('LSTM: h_t = o ⊙ tanh(c_t) and c_t = f ⊙ c_{t-1} + i ⊙ g from the traced gates; shapes per layer; no tensor left', () => {
      const H = 6;
      const model = new RecurrentModel(tinyConfig({ cell: 'lstm', hidden: H, layers: 2 }), 7, new Rng(3), 'reference');
      const ids = Int32Array.from([1, 2, 3, 4, 5, 6, 0, 1, 2]);
      const before = tf.memory().numTensors;
      const layers = model.trace(ids);
      assert.equal(tf.memory().numTensors, before);
      assert.equal(layers.length, 2);
      for (const { h, c, gates } of layers) {
        assert.equal(h.length, ids.length * H);
        assert.equal(gates!.length, ids.length * 4 * H);
        for (let t = 0; t < ids.length; t++) {
          for (let u = 0; u < H; u++) {
            const g = (k: number) => gates![t * 4 * H + k * H + u];
            const cPrev = t > 0 ? c![(t - 1) * H + u] : 0;
            assert.ok(Math.abs(c![t * H + u] - (g(1) * cPrev + g(0) * g(2))) < 1e-5);
            assert.ok(Math.abs(h[t * H + u] - g(3) * Math.tanh(c![t * H + u])) < 1e-5);
          }
        }
      }
      model.dispose();
    });

    it('GRU and RNN: h for every token, gates for the GRU', () => {
      for (const cell of ['gru', 'rnn'] as const) {
        const model = new RecurrentModel(tinyConfig({ cell, hidden: 4 }), 5, new Rng(1), 'fused');
        const [layer] = model.trace(Int32Array.from([1, 2, 3]));
        assert.equal(layer.h.length, 12);
        assert.equal(layer.gates?.length, cell === 'gru' ? 36 : undefined);
        model.dispose();
      }
    });
  });
});
