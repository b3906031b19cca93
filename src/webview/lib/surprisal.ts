/** Presentation of per-token surprisal (the sidebar's Inspect view). Pure. */
import type { InspectedToken } from '../../protocol/worker';

/** Whitespace made visible for tooltips and lists: a space is "␣", a newline "↵", a tab "⇥". */
export function visibleToken(token: string): string {
  return token.replace(/ /g, '␣').replace(/\r?\n/g, '↵').replace(/\t/g, '⇥');
}

/** Colour level 0..levels-1 of a surprisal against a scale maximum; -1 when there is no surprisal. */
export function surprisalLevel(surprisal: number | undefined, scaleMax: number, levels = 8): number {
  if (surprisal === undefined || !Number.isFinite(surprisal)) return -1;
  if (!(scaleMax > 0)) return 0;
  return Math.min(levels - 1, Math.max(0, Math.floor((surprisal / scaleMax) * levels)));
}

/**
 * The top of the colour scale: the 95th percentile of the surprisals, so one very unlikely token
 * does not wash out the rest (at least 1 nat).
 */
export function surprisalScale(tokens: readonly InspectedToken[]): number {
  const values = tokens
    .map((t) => t.surprisal)
    .filter((s): s is number => s !== undefined && Number.isFinite(s))
    .sort((a, b) => a - b);
  if (!values.length) return 1;
  return Math.max(1, values[Math.min(values.length - 1, Math.floor(0.95 * values.length))]);
}

/** Tooltip of one token: its probability, its surprisal, and the model's top predictions. */
export function tokenTooltip(t: InspectedToken): string {
  const lines: string[] = [];
  if (t.surprisal === undefined) lines.push(`"${visibleToken(t.token)}": first token, no prefix to predict it from`);
  else
    lines.push(`"${visibleToken(t.token)}": p = ${Math.exp(-t.surprisal).toPrecision(3)}, surprisal ${t.surprisal.toFixed(2)} nats (${(t.surprisal / Math.LN2).toFixed(2)} bits)`);
  if (t.top.length) {
    lines.push('Top predictions:');
    for (const p of t.top) lines.push(`  ${visibleToken(p.token).padEnd(6)} ${p.p.toFixed(3)}`);
  }
  return lines.join('\n');
}
