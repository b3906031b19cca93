/** Count-based baselines and token statistics, by hand on tiny corpora and on The Time Machine excerpt. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCorpus, unigramLoss } from '../../src/core/corpus';
import { ngramBaselines, ngramLoss } from '../../src/core/ngram';
import { tokenStats } from '../../src/core/tokenStats';

const EXCERPT = fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/workspace/timemachine-excerpt.txt'), 'utf8');
const corpusOf = (level: 'char' | 'word') => buildCorpus(EXCERPT, { level, minFreq: 1, maxVocab: 100_000, valFraction: 0.1, minTrainTokens: 10 });

describe('n-gram baselines (add-one smoothing)', () => {
  it('matches a hand computation: bigram on 0 1 0 1 0 1, measured on 0 1 0', () => {
    const train = Int32Array.of(0, 1, 0, 1, 0, 1);
    const val = Int32Array.of(0, 1, 0);
    // P(1|0) = (3 + 1) / (3 + 3), P(0|1) = (2 + 1) / (2 + 3).
    const expected = -(Math.log(4 / 6) + Math.log(3 / 5)) / 2;
    assert.ok(Math.abs(ngramLoss(train, val, 3, 2) - expected) < 1e-12);
    // Trigram: contexts (0,1) -> 0 twice, (1,0) -> 1 twice; val has one trigram, (0,1) -> 0: (2 + 1) / (2 + 3).
    assert.ok(Math.abs(ngramLoss(train, val, 3, 3) + Math.log(3 / 5)) < 1e-12);
    // An unseen context falls back to uniform: 1 / V.
    assert.ok(Math.abs(ngramLoss(train, Int32Array.of(2, 2), 3, 2) - Math.log(3)) < 1e-12);
  });

  it('the unigram is corpus.ts’s, and on characters of The Time Machine each longer context predicts better', () => {
    const c = corpusOf('char');
    assert.ok(Math.abs(ngramLoss(c.train, c.val, c.vocab.size, 1) - unigramLoss(c.train, c.val, c.vocab.size)) < 1e-9);
    const b = ngramBaselines(c.train, c.val, c.vocab.size);
    assert.ok(b.unigram > b.bigram && b.bigram > b.trigram, JSON.stringify(b));
    assert.ok(b.unigram < Math.log(c.vocab.size), 'the unigram beats a uniform guess');
  });
});

describe('token statistics and Zipf’s law', () => {
  it('recovers the exponent of counts made to follow n_i = 10000 / i^1.2', () => {
    const ids: number[] = [];
    for (let i = 1; i <= 60; i++) for (let k = 0; k < Math.round(10000 / i ** 1.2); k++) ids.push(i - 1);
    const s = tokenStats(Int32Array.from(ids), 60, 5);
    assert.ok(Math.abs(s.zipfExponent - 1.2) < 0.01, `${s.zipfExponent}`);
    assert.deepEqual(
      s.top.map(([id]) => id),
      [0, 1, 2, 3, 4],
    );
    assert.equal(s.distinct, 60);
    assert.equal(s.total, ids.length);
  });

  it('words of The Time Machine: "the" the most frequent word (after newline and comma), an exponent near 1', () => {
    const c = corpusOf('word');
    const s = tokenStats(Int32Array.from([...c.train, ...c.val]), c.vocab.size, 10);
    const words = s.top.map(([id]) => c.vocab.tokens[id]).filter((w) => /^[a-z]/i.test(w));
    assert.equal(words[0], 'the');
    assert.ok(s.zipfExponent > 0.6 && s.zipfExponent < 1.3, `exponent ${s.zipfExponent} over ranks ${s.fitRanks}`);
  });
});
