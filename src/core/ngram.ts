/**
 * Count-based n-gram language models, the chapter's baselines before any network: P(x_t | the n-1
 * tokens before it), estimated from training counts with add-α (Laplace, α = 1) smoothing,
 *   P(w | c) = (count(c, w) + α) / (count(c) + α V),
 * and measured as cross-entropy on the validation split, in nats per token, beside the network's loss.
 * The unigram (n = 1) is corpus.ts's `unigramLoss`; bigram and trigram are here.
 */

/** Cross-entropy on `val` of an add-α n-gram model fitted on `train` (n = 1, 2 or 3), nats/token. */
export function ngramLoss(train: Int32Array, val: Int32Array, vocabSize: number, n: 1 | 2 | 3, alpha = 1): number {
  const V = vocabSize;
  // Contexts are the n-1 previous ids packed into one number (c = a V + b); V² < 2^53 for any vocabulary we build.
  const context = (ids: Int32Array, t: number) => (n === 1 ? 0 : n === 2 ? ids[t - 1] : ids[t - 2] * V + ids[t - 1]);
  const pairs = new Map<number, Map<number, number>>();
  const totals = new Map<number, number>();
  for (let t = n - 1; t < train.length; t++) {
    const c = context(train, t);
    let row = pairs.get(c);
    if (!row) pairs.set(c, (row = new Map()));
    row.set(train[t], (row.get(train[t]) ?? 0) + 1);
    totals.set(c, (totals.get(c) ?? 0) + 1);
  }
  let sum = 0;
  let count = 0;
  for (let t = n - 1; t < val.length; t++) {
    const c = context(val, t);
    const pair = pairs.get(c)?.get(val[t]) ?? 0;
    const total = totals.get(c) ?? 0;
    sum -= Math.log((pair + alpha) / (total + alpha * V));
    count++;
  }
  return count ? sum / count : NaN;
}

/** The three baselines drawn on the loss chart. */
export function ngramBaselines(train: Int32Array, val: Int32Array, vocabSize: number): { unigram: number; bigram: number; trigram: number } {
  return { unigram: ngramLoss(train, val, vocabSize, 1), bigram: ngramLoss(train, val, vocabSize, 2), trigram: ngramLoss(train, val, vocabSize, 3) };
}
