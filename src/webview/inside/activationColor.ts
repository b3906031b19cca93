/**
 * The colour of a token under one unit: blue for a positive activation, red for a negative one, the
 * opacity its magnitude (each unit is scaled to [-1, 1] by its largest value), so a zero leaves the
 * text on the editor's own background in every theme. Pure.
 */
const POSITIVE = '33, 150, 243';
const NEGATIVE = '244, 67, 54';

export function activationColor(value: number): string {
  const v = Number.isFinite(value) ? Math.max(-1, Math.min(1, value)) : 0;
  const alpha = Math.round(Math.abs(v) * 0.85 * 100) / 100;
  return `rgba(${v >= 0 ? POSITIVE : NEGATIVE}, ${alpha})`;
}

/** Surprisal in nats as a red of rising opacity (saturating at 6 nats, about 1 in 400). */
export function surprisalColor(nats: number): string {
  const a = Math.round(Math.min(1, Math.max(0, nats / 6)) * 0.8 * 100) / 100;
  return `rgba(${NEGATIVE}, ${a})`;
}
