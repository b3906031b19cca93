/** The token-statistics card's pure parts (no DOM): visible whitespace and the fitted Zipf line. */
import type { TokenStatsInfo } from '../../protocol/types';

/** Whitespace made visible: a space, a line break or a tab would read as nothing in the table. */
export function visibleToken(token: string): string {
  return token.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\r/g, '␍').replace(/\t/g, '⇥');
}

/** The fitted line over the fitted ranks, at the curve's ranks (null outside them). */
export function zipfLine(stats: TokenStatsInfo): (number | null)[] {
  const [first, last] = stats.fitRanks;
  return stats.curve.map(([r]) => (r >= first && r <= last && Number.isFinite(stats.zipfExponent) ? Math.exp(stats.zipfIntercept) * r ** -stats.zipfExponent : null));
}
