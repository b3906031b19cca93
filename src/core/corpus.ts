/**
 * From text to the id sequences the model trains on: tokenize, build (or reuse) the vocabulary, and
 * split by position into training and validation parts (validation is the end of the text).
 */
import type { TokenLevel } from '../protocol/types';
import { SeqLabError } from './errors';
import { codePointCount, forEachToken } from './tokenizer';
import { Vocabulary } from './vocabulary';

export interface Corpus {
  vocab: Vocabulary;
  level: TokenLevel;
  train: Int32Array;
  val: Int32Array;
  /** Mean characters (code points) per token: converts nats/token into bits per character. */
  charsPerToken: number;
  /** Cross-entropy on `val` of the training unigram distribution (add-one smoothed), nats/token. */
  unigramLoss: number;
}

export interface CorpusOptions {
  level: TokenLevel;
  minFreq: number;
  maxVocab: number;
  valFraction: number;
  /** Reuse this vocabulary (resume, fine-tuning): unseen tokens map to `<unk>`. */
  vocab?: Vocabulary;
  /** The smallest training split that makes sense: one batch window plus its target. */
  minTrainTokens: number;
}

/**
 * One pass over the text, with no array of token strings (a 50 MB file has 50 million): each token
 * gets a provisional id in order of first appearance, the vocabulary is built from the counts in the
 * training part, and the provisional ids are mapped to vocabulary ids in place.
 */
export function buildCorpus(text: string, options: CorpusOptions): Corpus {
  // Never more tokens than UTF-16 units: one buffer holds them all.
  const ids = new Int32Array(text.length);
  const firstSeen = new Map<string, number>();
  const distinct: string[] = [];
  let n = 0;
  forEachToken(text, options.level, (token) => {
    let id = firstSeen.get(token);
    if (id === undefined) {
      id = distinct.length;
      firstSeen.set(token, id);
      distinct.push(token);
    }
    ids[n++] = id;
  });
  if (n === 0) {
    throw new SeqLabError('EMPTY', 'The text has no tokens at this level.', options.level === 'word' ? 'Word level needs letters or digits; try character level.' : undefined);
  }
  const split = Math.round(n * (1 - options.valFraction));
  let vocab = options.vocab;
  if (!vocab) {
    const counts = new Float64Array(distinct.length);
    for (let i = 0; i < split; i++) counts[ids[i]]++;
    vocab = Vocabulary.fromCounts(
      distinct.map((t, i) => [t, counts[i]] as const),
      { minFreq: options.minFreq, maxSize: options.maxVocab },
    );
    if (vocab.size <= 2) {
      const only = vocab.tokens[1] ?? '';
      throw new SeqLabError(
        'ONE_TOKEN',
        `The text consists of a single repeated token (${JSON.stringify(only)}): there is nothing to predict.`,
        'Train on text with some variety. A language model learns which token follows which.',
      );
    }
  }
  const final = Int32Array.from(distinct, (t) => vocab.id(t));
  for (let i = 0; i < n; i++) ids[i] = final[ids[i]];
  // Word level uses a fraction of the buffer: copy that part, so the rest is freed.
  const used = n === ids.length ? ids : ids.slice(0, n);
  const train = used.subarray(0, split);
  const val = used.subarray(split);
  if (train.length < options.minTrainTokens) {
    throw new SeqLabError(
      'TOO_FEW_TOKENS',
      `The text has ${train.length} training tokens; this configuration needs at least ${options.minTrainTokens}.`,
      `Use a longer text, or a shorter window (at most ${Math.max(2, train.length - 2)} time steps).`,
    );
  }
  const chars = options.level === 'char' ? n : codePointCount(text);
  return { vocab, level: options.level, train, val, charsPerToken: chars / n, unigramLoss: unigramLoss(train, val, vocab.size) };
}

/** Cross-entropy of an add-one-smoothed unigram model fitted on `train`, measured on `val`. */
export function unigramLoss(train: Int32Array, val: Int32Array, vocabSize: number): number {
  const counts = new Float64Array(vocabSize).fill(1);
  for (const id of train) counts[id]++;
  const total = train.length + vocabSize;
  const target = val.length > 0 ? val : train;
  let sum = 0;
  for (const id of target) sum -= Math.log(counts[id] / total);
  return sum / target.length;
}
