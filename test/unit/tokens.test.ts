/** Tokenizer, vocabulary and corpus: round trips, frequency rules, and texts with nothing to learn. */
import * as assert from 'node:assert/strict';
import { buildCorpus, unigramLoss } from '../../src/core/corpus';
import { SeqLabError } from '../../src/core/errors';
import { codePointCount, detokenize, detokenizeNext, forEachToken, tokenize } from '../../src/core/tokenizer';
import { UNK, Vocabulary } from '../../src/core/vocabulary';

const options = { level: 'char' as const, minFreq: 1, maxVocab: 1000, valFraction: 0.1, minTrainTokens: 10 };

describe('tokenizer', () => {
  it('char level: one token per code point, emoji and CJK included, round trip exact', () => {
    const text = 'Zeit 時間 🕰️ naïve\nend';
    const tokens = tokenize(text, 'char');
    assert.equal(tokens.length, Array.from(text).length);
    assert.ok(tokens.includes('🕰') && tokens.includes('時'));
    assert.equal(detokenize(tokens, 'char'), text);
  });

  it('word level: words, punctuation and newlines; detokenize restores prose spacing', () => {
    const text = 'The Time Traveller (for so it will be convenient to speak of him) was expounding.\nHe said: “Clearly, it’s so.”';
    const tokens = tokenize(text, 'word');
    assert.deepEqual(tokens.slice(0, 5), ['The', 'Time', 'Traveller', '(', 'for']);
    assert.ok(tokens.includes('\n') && tokens.includes('it’s') && tokens.includes('.'));
    assert.equal(detokenize(tokens, 'word'), text);
  });

  it('word level handles non-Latin scripts', () => {
    assert.deepEqual(tokenize('Привет, мир! Ελληνικά.', 'word'), ['Привет', ',', 'мир', '!', 'Ελληνικά', '.']);
  });

  it('visits the same tokens as tokenize, at both levels, without an array', () => {
    const text = 'Zeit 時間 🕰️ naïve,\n“quoted” end… 42';
    for (const level of ['char', 'word'] as const) {
      const seen: string[] = [];
      forEachToken(text, level, (t) => seen.push(t));
      assert.deepEqual(seen, tokenize(text, level), level);
    }
  });

  it('counts code points, a surrogate pair as one', () => {
    for (const text of ['', 'abc', '🕰️x', '時間', '\ud800a', 'a\udc00', '😀😀']) assert.equal(codePointCount(text), Array.from(text).length, JSON.stringify(text));
  });
});

describe('vocabulary', () => {
  it('orders by frequency, maps rare and unseen tokens to <unk>, and round-trips through JSON', () => {
    const vocab = Vocabulary.build(Array.from('aaabbc'), { minFreq: 2 });
    assert.deepEqual(vocab.tokens, [UNK, 'a', 'b']);
    assert.deepEqual(Array.from(vocab.encode(['a', 'c', 'z'])), [1, 0, 0]);
    const again = Vocabulary.fromJSON(JSON.parse(JSON.stringify(vocab.toJSON())));
    assert.deepEqual(again.tokens, vocab.tokens);
  });

  it('caps the size, <unk> included', () => {
    assert.equal(Vocabulary.build(Array.from('abcdefgh'), { maxSize: 4 }).size, 4);
  });

  it('rejects a malformed vocabulary', () => {
    assert.throws(() => Vocabulary.fromJSON({ tokens: ['a', 'b'] }), /<unk>/);
  });
});

describe('corpus', () => {
  it('gives the ids of the array-based recipe: tokenize, count the training part, encode', () => {
    const text = 'It was a time machine; it was ... a 🕰️ machine of time. '.repeat(30) + 'Rare words: zyzzyva, quixotic.';
    for (const level of ['char', 'word'] as const) {
      for (const rules of [
        { minFreq: 1, maxVocab: 1000 },
        { minFreq: 3, maxVocab: 12 },
      ]) {
        const corpus = buildCorpus(text, { ...options, ...rules, level, minTrainTokens: 5 });
        const tokens = tokenize(text, level);
        const split = Math.round(tokens.length * (1 - options.valFraction));
        const vocab = Vocabulary.build(tokens.slice(0, split), { minFreq: rules.minFreq, maxSize: rules.maxVocab });
        const ids = vocab.encode(tokens);
        const what = `${level} ${JSON.stringify(rules)}`;
        assert.deepEqual(corpus.vocab.tokens, vocab.tokens, what);
        assert.deepEqual(Array.from(corpus.train), Array.from(ids.subarray(0, split)), what);
        assert.deepEqual(Array.from(corpus.val), Array.from(ids.subarray(split)), what);
        assert.equal(corpus.charsPerToken, Array.from(text).length / tokens.length, what);
      }
    }
  });

  it('splits by position: validation is the end of the text', () => {
    const corpus = buildCorpus('abcdefghij'.repeat(10), options);
    assert.equal(corpus.train.length, 90);
    assert.equal(corpus.val.length, 10);
    assert.equal(corpus.vocab.decode(corpus.val).join(''), 'abcdefghij');
    assert.ok(corpus.unigramLoss > 0 && Math.abs(corpus.unigramLoss - unigramLoss(corpus.train, corpus.val, corpus.vocab.size)) < 1e-12);
  });

  it('refuses a text of one repeated character', () => {
    assert.throws(
      () => buildCorpus('a'.repeat(5000), options),
      (e: SeqLabError) => e.code === 'ONE_TOKEN' && /"a"/.test(e.message),
    );
  });

  it('refuses a text shorter than one window and says how short the window must be', () => {
    assert.throws(
      () => buildCorpus('abcdefghijklmnop', { ...options, minTrainTokens: 65 }),
      (e: SeqLabError) => e.code === 'TOO_FEW_TOKENS' && /at most 12 time steps/.test(e.hint ?? ''),
    );
  });

  it('maps a new text through a saved vocabulary (fine-tuning), unseen tokens to <unk>', () => {
    const vocab = Vocabulary.build(Array.from('abc'));
    const corpus = buildCorpus('abcxyz'.repeat(5), { ...options, vocab });
    assert.equal(corpus.vocab, vocab);
    assert.equal(corpus.train.filter((id) => id === 0).length, 12); // 4 x "xyz" in the 27 training tokens
  });
});

describe('corpus edges and numbers', () => {
  it('refuses a text with no tokens, with a hint at word level only', () => {
    assert.throws(
      () => buildCorpus('', options),
      (e: SeqLabError) => e.code === 'EMPTY' && /no tokens/.test(e.message) && e.hint === undefined,
    );
    assert.throws(
      () => buildCorpus('   \t  ', { ...options, level: 'word' }),
      (e: SeqLabError) => e.code === 'EMPTY' && /character level/.test(e.hint ?? ''),
    );
  });

  it('says why a single repeated token cannot be learned', () => {
    assert.throws(
      () => buildCorpus('ab'.repeat(3) + 'a'.repeat(100), { ...options, minFreq: 50 }),
      (e: SeqLabError) => e.code === 'ONE_TOKEN' && /"a"/.test(e.message) && /variety/.test(e.hint ?? ''),
    );
  });

  it('builds the vocabulary from the training part only', () => {
    // 90 training characters, then validation starting with the text's only "z"
    const corpus = buildCorpus('ab'.repeat(45) + 'z' + 'ab'.repeat(4) + 'a', options);
    assert.deepEqual(corpus.vocab.tokens, [UNK, 'a', 'b']);
    assert.equal(corpus.val[0], 0);
    assert.equal(corpus.train.length, 90);
  });

  it('accepts a training part of exactly the minimum and names the count when it is short', () => {
    assert.equal(buildCorpus('abcdefghij'.repeat(2), { ...options, minTrainTokens: 18 }).train.length, 18);
    assert.throws(
      () => buildCorpus('abcdefghij'.repeat(2), { ...options, minTrainTokens: 19 }),
      (e: SeqLabError) => e.code === 'TOO_FEW_TOKENS' && /has 18 training tokens; this configuration needs at least 19/.test(e.message),
    );
  });

  it('counts characters per token at word level in code points', () => {
    const corpus = buildCorpus('time 🕰 machine. '.repeat(20), { ...options, level: 'word' });
    // per repeat: 16 code points, 4 tokens ("time", "🕰", "machine", ".")
    assert.equal(corpus.charsPerToken, 4);
  });

  it('unigram loss: add-one smoothed counts of the training part, measured on validation, or on training when there is none', () => {
    const train = Int32Array.of(1, 1, 2);
    // counts with add-one: [1, 3, 2], total 6
    assert.ok(Math.abs(unigramLoss(train, Int32Array.of(1, 2), 3) - -(Math.log(3 / 6) + Math.log(2 / 6)) / 2) < 1e-12);
    assert.ok(Math.abs(unigramLoss(train, new Int32Array(0), 3) - -(2 * Math.log(3 / 6) + Math.log(2 / 6)) / 3) < 1e-12);
  });
});

describe('code points and spacing', () => {
  it('counts a surrogate pair as one code point at the edges of the surrogate ranges, and anything else as two', () => {
    for (const text of ['\ud800\udc00', '\udbff\udfff', '\ud800\udfff', '\udbff\udc00', '\ud800\ue000', '\udc00\udc00', '\ud7ff\udc00', '\udc00\ud800', 'a\udfff']) {
      assert.equal(codePointCount(text), Array.from(text).length, JSON.stringify(text));
    }
  });

  it('streams word-level spacing the way detokenize joins', () => {
    const tokens = ['(', 'time', ')', 'machine', '.', '\n', 'He', 'said', ':', '“', 'so', '”'];
    let streamed = '';
    let previous: string | undefined;
    for (const t of tokens) {
      streamed += detokenizeNext(previous, t, 'word');
      previous = t;
    }
    assert.equal(streamed, detokenize(tokens, 'word'));
    assert.equal(streamed, '(time) machine.\nHe said: “so”');
    assert.equal(detokenizeNext(undefined, 'x', 'word'), 'x');
    assert.equal(detokenizeNext('a', 'b', 'char'), 'b');
  });
});
