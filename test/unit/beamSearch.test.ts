/** Beam search against greedy decoding, exhaustive search, and the model's own probabilities. */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { beamSearch } from '../../src/core/beamSearch';
import { createModel } from '../../src/core/createModel';
import type { LanguageModel } from '../../src/core/model';
import { Rng } from '../../src/core/rng';
import { generate } from '../../src/core/sample';
import { Vocabulary } from '../../src/core/vocabulary';
import type { CellType } from '../../src/protocol/types';
import { tinyConfig, useBackend } from './helpers';

const vocab = Vocabulary.fromJSON({ tokens: ['<unk>', ...'abcdef \n'] });

/** A model with random weights large enough for peaked, varied distributions. */
function model(cell: CellType): LanguageModel {
  const m = createModel(tinyConfig({ cell, tau: 3 }), vocab.size, new Rng(5), 'reference');
  const rng = new Rng(9);
  m.params.write(m.params.read().map((w) => ({ ...w, data: Float32Array.from(w.data, () => (rng.next() - 0.5) * 3) })));
  return m;
}

/** log p of `ids` after `prompt`, fed one by one to a fresh predictor. */
function pathLogProb(m: LanguageModel, prompt: string, ids: number[]): number {
  const p = m.predictor();
  let logp: Float32Array = new Float32Array(0);
  for (const ch of prompt) logp = p.feed(vocab.id(ch));
  let sum = 0;
  for (const id of ids) {
    sum += logp[id];
    logp = p.feed(id);
  }
  p.dispose();
  return sum;
}

describe('beam search', () => {
  before(() => useBackend('cpu'));

  for (const cell of ['lstm', 'gru', 'window'] as CellType[]) {
    it(`width 1 is greedy decoding, and each beam's score is the model's log-probability of its text (${cell})`, () => {
      const m = model(cell);
      const before = tf.memory().numTensors;
      const greedy = generate(m, vocab, 'char', { prompt: 'ab', length: 12, temperature: 0, topK: 0, rng: new Rng(1) });
      const [one] = beamSearch(m, vocab, 'char', { prompt: 'ab', length: 12, width: 1 });
      assert.equal(one.text, greedy);
      const beams = beamSearch(m, vocab, 'char', { prompt: 'ab', length: 8, width: 4 });
      assert.equal(beams.length, 4);
      for (let i = 1; i < beams.length; i++) assert.ok(beams[i - 1].logProb >= beams[i].logProb, 'best first');
      for (const b of beams) assert.ok(Math.abs(b.logProb - pathLogProb(m, 'ab', b.ids)) < 1e-4, `${b.logProb} vs ${pathLogProb(m, 'ab', b.ids)}`);
      assert.equal(new Set(beams.map((b) => b.text)).size, 4, 'four different continuations');
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind by forked predictors');
      m.dispose();
    });
  }

  it('with a width of at least V, two steps of beam search find the most likely two-token continuation (exhaustive)', () => {
    const m = model('lstm');
    const [best] = beamSearch(m, vocab, 'char', { prompt: 'c', length: 2, width: vocab.size });
    let top = -Infinity;
    for (let a = 0; a < vocab.size; a++) for (let b = 0; b < vocab.size; b++) top = Math.max(top, pathLogProb(m, 'c', [a, b]));
    assert.ok(Math.abs(best.logProb - top) < 1e-4, `${best.logProb} vs ${top}`);
    m.dispose();
  });
});
