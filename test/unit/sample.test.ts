/** Sampling and inspection, on a scripted model whose predictions are known exactly. */
import * as assert from 'node:assert/strict';
import type { LanguageModel, Predictor } from '../../src/core/model';
import type { Rng } from '../../src/core/rng';
import { generate, inspect, pickToken } from '../../src/core/sample';
import { Vocabulary } from '../../src/core/vocabulary';

/** A stand-in for Rng that returns the given values in turn. */
function scriptedRng(...values: number[]): Rng {
  let i = 0;
  return { next: () => values[Math.min(i++, values.length - 1)] } as unknown as Rng;
}

const log = (ps: number[]): Float32Array => Float32Array.from(ps, Math.log);

/**
 * A model over `vocab` whose prediction after token t is `table(t)` (probabilities), recording what
 * it was fed and whether its predictor was disposed.
 */
function scriptedModel(vocabSize: number, table: (token: number) => number[]): { model: LanguageModel; fed: number[]; disposed: () => boolean } {
  const fed: number[] = [];
  let disposed = false;
  const predictor: Predictor = {
    feed: (token) => {
      fed.push(token);
      return log(table(token));
    },
    fork: () => predictor,
    dispose: () => {
      disposed = true;
    },
  };
  const model = { vocabSize, predictor: () => predictor } as unknown as LanguageModel;
  return { model, fed, disposed: () => disposed };
}

/** Certain of the next token: after id t comes id t + 1 (wrapping, skipping <unk>). */
function successor(vocabSize: number): (token: number) => number[] {
  return (t) => Array.from({ length: vocabSize }, (_, i) => (i === (t % (vocabSize - 1)) + 1 ? 0.97 : 0.03 / (vocabSize - 1)));
}

describe('picking a token', () => {
  it('temperature 0 (or below) takes the most likely token, the first of a tie', () => {
    assert.equal(pickToken(log([0.1, 0.4, 0.4, 0.1]), 0, 0, scriptedRng(0.99)), 1);
    assert.equal(pickToken(log([0.1, 0.2, 0.7]), -1, 0, scriptedRng(0)), 2);
    assert.equal(pickToken(log([0.7, 0.2, 0.1]), 0, 0, scriptedRng(0.99)), 0);
  });

  it('draws by cumulative probability at temperature 1', () => {
    // p = 0.5, 0.25, 0.25: [0, 0.5) -> 0, [0.5, 0.75) -> 1, [0.75, 1) -> 2
    const logp = log([0.5, 0.25, 0.25]);
    assert.deepEqual(
      [0, 0.49, 0.51, 0.74, 0.76, 0.999].map((u) => pickToken(logp, 1, 0, scriptedRng(u))),
      [0, 0, 1, 1, 2, 2],
    );
  });

  it('flattens with a higher temperature and sharpens with a lower one', () => {
    const logp = log([0.5, 0.25, 0.25]);
    // T = 2: weights 1, 0.707, 0.707 (sum 2.414); u = 0.45 lands in the second token's share.
    assert.equal(pickToken(logp, 1, 0, scriptedRng(0.45)), 0);
    assert.equal(pickToken(logp, 2, 0, scriptedRng(0.45)), 1);
    // T = 0.5: p ∝ 0.25, 0.0625, 0.0625 -> the first token takes 2/3 of the mass.
    assert.equal(pickToken(logp, 0.5, 0, scriptedRng(0.6)), 0);
    assert.equal(pickToken(logp, 0.5, 0, scriptedRng(0.7)), 1);
  });

  it('keeps only the k most likely tokens, most likely first', () => {
    const logp = log([0.2, 0.5, 0.3]);
    assert.equal(pickToken(logp, 1, 1, scriptedRng(0.99)), 1);
    // k = 2: tokens 1 (0.5) then 2 (0.3), renormalised: [0, 0.625) -> 1, then 2; token 0 never.
    assert.deepEqual(
      [0, 0.6, 0.65, 0.999].map((u) => pickToken(logp, 1, 2, scriptedRng(u))),
      [1, 1, 2, 2],
    );
    // k = 0 or k >= V keeps every token in id order: u = 0.1 falls in token 0's share.
    for (const k of [0, 3, 5]) assert.equal(pickToken(logp, 1, k, scriptedRng(0.1)), 0, `k ${k}`);
  });

  it('falls back to the last candidate when rounding leaves a remainder', () => {
    assert.equal(pickToken(log([0.5, 0.5]), 1, 0, scriptedRng(1.01)), 1);
    assert.equal(pickToken(log([0.2, 0.5, 0.3]), 1, 2, scriptedRng(1.01)), 2);
  });

  it('works with very negative log-probabilities (no underflow to 0/0), at any temperature', () => {
    const logp = Float32Array.of(-1000, -1001, -2000);
    assert.equal(pickToken(logp, 1, 0, scriptedRng(0.5)), 0);
    assert.equal(pickToken(logp, 1, 0, scriptedRng(0.9)), 1);
    // T = 0.5: weights 1, e^-2 = 0.135, 0 -> token 1 from u = 0.881 on
    assert.equal(pickToken(logp, 0.5, 0, scriptedRng(0.87)), 0);
    assert.equal(pickToken(logp, 0.5, 0, scriptedRng(0.95)), 1);
  });

  it('gives a draw exactly on a boundary to the token below it', () => {
    assert.equal(pickToken(log([0.5, 0.5]), 1, 0, scriptedRng(0.5)), 0);
  });
});

describe('generating text', () => {
  const vocab = Vocabulary.fromJSON({ tokens: ['<unk>', 'a', 'b', 'c', '\n'] });

  it('warms up on the prompt, then feeds back each generated token, and disposes of its predictor', () => {
    const { model, fed, disposed } = scriptedModel(5, successor(5));
    const pieces: string[] = [];
    const text = generate(model, vocab, 'char', { prompt: 'ab', length: 4, temperature: 0, topK: 0, rng: scriptedRng(0), onToken: (p) => pieces.push(p) });
    assert.equal(text, 'c\nab');
    assert.deepEqual(pieces, ['c', '\n', 'a', 'b']);
    // 2 prompt tokens, then every generated token but the last
    assert.deepEqual(fed, [1, 2, 3, 4, 1]);
    assert.equal(disposed(), true);
  });

  it('starts from a newline when the prompt is empty, or from token 1 if there is none', () => {
    const a = scriptedModel(5, successor(5));
    assert.equal(generate(a.model, vocab, 'char', { prompt: '', length: 2, temperature: 0, topK: 0, rng: scriptedRng(0) }), 'ab');
    assert.deepEqual(a.fed, [4, 1]);
    const noNewline = Vocabulary.fromJSON({ tokens: ['<unk>', 'x', 'y'] });
    const b = scriptedModel(3, successor(3));
    assert.equal(generate(b.model, noNewline, 'char', { prompt: '', length: 3, temperature: 0, topK: 0, rng: scriptedRng(0) }), 'yxy');
    assert.deepEqual(b.fed, [1, 2, 1]);
    const onlyUnk = Vocabulary.fromJSON({ tokens: ['<unk>'] });
    const c = scriptedModel(1, () => [1]);
    assert.equal(generate(c.model, onlyUnk, 'char', { prompt: '', length: 1, temperature: 0, topK: 0, rng: scriptedRng(0) }), '<unk>');
    assert.deepEqual(c.fed, [0]);
  });

  it("spaces words after the prompt's last word, and none before punctuation", () => {
    const words = Vocabulary.fromJSON({ tokens: ['<unk>', 'time', 'machine', '.'] });
    const { model } = scriptedModel(4, successor(4));
    assert.equal(generate(model, words, 'word', { prompt: 'the time', length: 3, temperature: 0, topK: 0, rng: scriptedRng(0) }), ' machine. time');
    const fresh = scriptedModel(4, successor(4));
    // No prompt (and no newline in the vocabulary): warm up on token 1; the first word has no space before it.
    assert.equal(generate(fresh.model, words, 'word', { prompt: '', length: 2, temperature: 0, topK: 0, rng: scriptedRng(0) }), 'machine.');
  });

  it('samples with the temperature, top-k and generator it is given', () => {
    // After any token: a 0.5, b 0.3, c 0.2 (newline and <unk> never).
    const { model } = scriptedModel(5, () => [0, 0.5, 0.3, 0.2, 0]);
    assert.equal(generate(model, vocab, 'char', { prompt: 'a', length: 4, temperature: 1, topK: 0, rng: scriptedRng(0.1, 0.6, 0.9, 0.55) }), 'abcb');
    assert.equal(generate(model, vocab, 'char', { prompt: 'a', length: 2, temperature: 1, topK: 2, rng: scriptedRng(0.9, 0.1) }), 'ba');
  });

  it('disposes of the predictor when the model throws', () => {
    let disposed = false;
    const model = {
      predictor: () => ({
        feed: () => {
          throw new Error('boom');
        },
        dispose: () => {
          disposed = true;
        },
      }),
    } as unknown as LanguageModel;
    assert.throws(() => generate(model, vocab, 'char', { prompt: 'a', length: 1, temperature: 0, topK: 0, rng: scriptedRng(0) }), /boom/);
    assert.equal(disposed, true);
    disposed = false;
    assert.throws(() => inspect(model, vocab, 'char', 'ab', 1), /boom/);
    assert.equal(disposed, true);
  });
});

describe('inspecting text', () => {
  const vocab = Vocabulary.fromJSON({ tokens: ['<unk>', 'a', 'b', 'c', '\n'] });

  it("gives each token after the first its surprisal and the model's top guesses", () => {
    const { model, fed, disposed } = scriptedModel(5, successor(5));
    const { tokens, meanSurprisal } = inspect(model, vocab, 'char', 'abd', 2);
    assert.deepEqual(
      tokens.map((t) => t.token),
      ['a', 'b', 'd'],
    );
    assert.equal(tokens[0].surprisal, undefined);
    assert.deepEqual(tokens[0].top, []);
    const sure = -Math.log(Math.fround(0.97));
    const other = -Math.fround(Math.log(0.03 / 4));
    assert.ok(Math.abs(tokens[1].surprisal! - sure) < 1e-6, `${tokens[1].surprisal}`);
    assert.ok(Math.abs(tokens[2].surprisal! - other) < 1e-5, `${tokens[2].surprisal}`); // 'd' is <unk>
    assert.deepEqual(
      tokens[1].top.map((g) => g.token),
      ['b', '<unk>'],
    );
    assert.ok(Math.abs(tokens[1].top[0].p - 0.97) < 1e-6);
    assert.deepEqual(
      tokens[2].top.map((g) => g.token),
      ['c', '<unk>'],
    );
    assert.ok(Math.abs(meanSurprisal - (tokens[1].surprisal! + tokens[2].surprisal!) / 2) < 1e-9);
    assert.deepEqual(fed, [1, 2, 0]);
    assert.equal(disposed(), true);
  });

  it('reads at most maxTokens tokens, and a single token has mean surprisal 0', () => {
    const { model } = scriptedModel(5, successor(5));
    const { tokens } = inspect(model, vocab, 'char', 'abcabc', 3, 4);
    assert.deepEqual(
      tokens.map((t) => t.token),
      ['a', 'b', 'c', 'a'],
    );
    assert.equal(tokens[3].top.length, 3);
    const one = inspect(scriptedModel(5, successor(5)).model, vocab, 'char', 'a', 3);
    assert.equal(one.meanSurprisal, 0);
    assert.equal(one.tokens.length, 1);
    const none = inspect(scriptedModel(5, successor(5)).model, vocab, 'char', '', 3);
    assert.deepEqual(none, { tokens: [], meanSurprisal: 0 });
  });
});
