/**
 * Token statistics of a corpus: the most frequent tokens and Zipf's law, n_i ∝ i^(-α) for the i-th most
 * frequent token, whose exponent is the slope of log frequency against log rank (the chapter's plot:
 * a straight line on log-log axes, for words; characters bend away from it).
 */
import type { TokenStatsInfo } from '../protocol/types';

export interface TokenStats {
  /** Distinct tokens seen. */
  distinct: number;
  total: number;
  /** The most frequent first: [token id, count]. */
  top: [number, number][];
  /** Count at each rank (1-based rank i at index i-1), for the log-log plot. */
  rankCounts: number[];
  /** Zipf exponent α from a least-squares line through (log i, log n_i), over `fitRanks`. */
  zipfExponent: number;
  /** log n_i ≈ intercept - α log i. */
  zipfIntercept: number;
  /** The ranks fitted, [first, last], 1-based. */
  fitRanks: [number, number];
}

/**
 * @param ids the corpus as token ids
 * @param skipRanks leave the first ranks out of the fit (the chapter fits past the first few, which
 *   flatten: "the", "of", " " and "e" are too common for the line)
 */
export function tokenStats(ids: Int32Array, vocabSize: number, topK = 20, skipRanks = 0): TokenStats {
  const counts = new Float64Array(vocabSize);
  for (const id of ids) counts[id]++;
  const ranked = Array.from(counts, (c, id) => [id, c] as [number, number])
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const rankCounts = ranked.map(([, c]) => c);
  // Fit ranks with counts above 1: the tail of singletons is a flat line of ties, not the law.
  let last = rankCounts.length;
  while (last > 0 && rankCounts[last - 1] <= 1) last--;
  const first = Math.min(skipRanks + 1, Math.max(1, last));
  let sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  const m = last - first + 1;
  for (let i = first; i <= last; i++) {
    const x = Math.log(i);
    const y = Math.log(rankCounts[i - 1]);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const slope = m >= 2 ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : NaN;
  return {
    distinct: ranked.length,
    total: ids.length,
    top: ranked.slice(0, topK),
    rankCounts,
    zipfExponent: -slope,
    zipfIntercept: m >= 2 ? (sy - slope * sx) / m : NaN,
    fitRanks: [first, last],
  };
}

/** Ranks 1, then log-spaced up to `n` (and `n` itself): a rank-frequency curve of at most about `points` points. */
export function logSpacedRanks(n: number, points = 200): number[] {
  const ranks: number[] = [];
  if (n < 1) return ranks;
  const ratio = Math.pow(n, 1 / Math.max(1, points - 1));
  for (let r = 1; r < n; r = Math.max(r + 1, Math.round(r * ratio))) ranks.push(r);
  ranks.push(n);
  return ranks;
}

/**
 * The token-statistics view's data, as recorded in run.json: the top tokens as text and the rank
 * curve thinned to log-spaced ranks (a word-level vocabulary has thousands of ranks; the plot needs
 * a few hundred points). Characters fit from rank 1; words skip the first three, as the chapter does.
 */
export function tokenStatsInfo(ids: Int32Array, tokens: readonly string[], level: 'char' | 'word', topK = 20): TokenStatsInfo {
  const stats = tokenStats(ids, tokens.length, topK, level === 'word' ? 3 : 0);
  return {
    distinct: stats.distinct,
    total: stats.total,
    top: stats.top.map(([id, count]) => ({ token: tokens[id].slice(0, 100), count })),
    curve: logSpacedRanks(stats.rankCounts.length).map((r) => [r, stats.rankCounts[r - 1]] as [number, number]),
    zipfExponent: stats.zipfExponent,
    zipfIntercept: stats.zipfIntercept,
    fitRanks: stats.fitRanks,
  };
}
