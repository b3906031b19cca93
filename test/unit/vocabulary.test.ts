/** The vocabulary: which tokens it keeps, in which order, and how unknown ids and tokens are mapped. */
import * as assert from 'node:assert/strict';
import { UNK, Vocabulary } from '../../src/core/vocabulary';

describe('vocabulary rules', () => {
  it('orders tokens by count, most frequent first, ties by code point', () => {
    const vocab = Vocabulary.build(Array.from('cbbaadddd'));
    assert.deepEqual(vocab.tokens, [UNK, 'd', 'a', 'b', 'c']);
    assert.equal(vocab.size, 5);
    assert.deepEqual(
      Vocabulary.fromCounts([
        ['b', 2],
        ['a', 2],
        ['c', 3],
      ]).tokens,
      [UNK, 'c', 'a', 'b'],
    );
    assert.deepEqual(
      Vocabulary.fromCounts([
        ['a', 2],
        ['b', 2],
      ]).tokens,
      [UNK, 'a', 'b'],
    );
  });

  it('puts hundreds of equally frequent tokens in code point order, whatever order they came in', () => {
    const chars = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i));
    const shuffled = chars
      .map((c, i) => [c, (i * 7919) % 300] as const)
      .sort((a, b) => a[1] - b[1])
      .map(([c]) => c);
    const counts = shuffled.map((c) => [c, 5] as [string, number]);
    counts.splice(150, 0, ['z', 6]);
    assert.deepEqual(Vocabulary.fromCounts(counts).tokens, [UNK, 'z', ...chars]);
  });

  it('keeps tokens counted at least minFreq times, and never one counted 0 times', () => {
    const counts: [string, number][] = [
      ['a', 3],
      ['b', 2],
      ['c', 1],
      ['z', 0],
    ];
    assert.deepEqual(Vocabulary.fromCounts(counts, { minFreq: 2 }).tokens, [UNK, 'a', 'b']);
    assert.deepEqual(Vocabulary.fromCounts(counts, { minFreq: 3 }).tokens, [UNK, 'a']);
    for (const minFreq of [undefined, 0, 1]) assert.deepEqual(Vocabulary.fromCounts(counts, { minFreq }).tokens, [UNK, 'a', 'b', 'c'], `minFreq ${minFreq}`);
  });

  it('caps the size with <unk> counted, dropping the rarest', () => {
    const tokens = Array.from('aaaabbbccd');
    assert.deepEqual(Vocabulary.build(tokens, { maxSize: 3 }).tokens, [UNK, 'a', 'b']);
    assert.deepEqual(Vocabulary.build(tokens, { maxSize: 1 }).tokens, [UNK]);
    assert.deepEqual(Vocabulary.build(tokens, { maxSize: 0 }).tokens, [UNK]);
    assert.equal(Vocabulary.build(tokens, { maxSize: 100 }).size, 5);
    assert.equal(Vocabulary.build(tokens).size, 5);
  });

  it('does not list a text\'s literal "<unk>" twice', () => {
    assert.deepEqual(Vocabulary.build(['<unk>', '<unk>', 'a']).tokens, [UNK, 'a']);
  });
});

describe('vocabulary mapping', () => {
  const vocab = Vocabulary.fromJSON({ tokens: [UNK, 'the', 'time', '.'] });

  it('maps tokens to ids and back; unknown tokens to 0, unknown ids to <unk>', () => {
    assert.equal(vocab.id('time'), 2);
    assert.equal(vocab.id('machine'), 0);
    assert.equal(vocab.id(UNK), 0);
    assert.deepEqual(Array.from(vocab.encode(['the', 'time', 'machine', '.'])), [1, 2, 0, 3]);
    assert.deepEqual(vocab.encode([]), new Int32Array(0));
    assert.deepEqual(vocab.decode([3, 1, 0, 4, -1]), ['.', 'the', UNK, UNK, UNK]);
    assert.deepEqual(vocab.decode(Int32Array.of(2)), ['time']);
  });

  it('round-trips through JSON, and its JSON is a copy', () => {
    const json = vocab.toJSON();
    assert.deepEqual(json, { tokens: [UNK, 'the', 'time', '.'] });
    json.tokens.push('extra');
    assert.equal(vocab.size, 4);
    assert.deepEqual(Vocabulary.fromJSON(JSON.parse(JSON.stringify(vocab.toJSON()))).tokens, vocab.tokens);
  });

  it('refuses a vocabulary that does not start with <unk>, lists a token twice, or is not a list', () => {
    for (const tokens of [['a', UNK], [UNK, 'a', 'a'], [UNK, UNK], [], 'abc', undefined]) {
      assert.throws(() => Vocabulary.fromJSON({ tokens } as unknown as { tokens: string[] }), /Invalid vocabulary/, JSON.stringify(tokens));
    }
    assert.deepEqual(Vocabulary.fromJSON({ tokens: [UNK] }).tokens, [UNK]);
  });
});
