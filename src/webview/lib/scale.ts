/**
 * Axis arithmetic: nice tick steps, log helpers, and the loss chart's second axis (perplexity or
 * bits per character), whose ticks are placed at loss positions so one plotted curve reads on both
 * axes. Pure.
 */

/** log10 for positive finite values, NaN otherwise (zero norms have no place on a log scale). */
export function log10Safe(x: number): number {
  return x > 0 && Number.isFinite(x) ? Math.log10(x) : NaN;
}

/** A 1-2-5 step giving about `target` intervals over `span`. */
export function niceStep(span: number, target: number): number {
  if (!(span > 0) || !(target > 0)) return 1;
  const raw = span / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const nice = norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10;
  return nice * mag;
}

/** Multiples of a nice step inside [min, max]. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  if (max === min) return [min];
  const step = niceStep(max - min, target);
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/**
 * Powers of ten inside [min, max] (both positive), every k-th decade so that there are at most
 * `maxTicks`: the ticks and grid lines of a log axis that may span a dozen decades, where one line
 * per 1..9 multiple would fill the chart.
 */
export function decadeTicks(min: number, max: number, maxTicks: number): number[] {
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max)) return [];
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  if (hi < lo) return [];
  const every = Math.max(1, Math.ceil((hi - lo + 1) / Math.max(1, maxTicks)));
  const out: number[] = [];
  // Multiples of `every` (…, 1e-8, 1e-4, 1): the same decades stay labelled as the range changes.
  for (let e = Math.ceil(lo / every) * every; e <= hi; e += every) out.push(Number(`1e${e}`));
  return out;
}

/** Smallest and largest finite value, or undefined if there is none. */
export function finiteRange(values: Iterable<number | null | undefined>): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (typeof v === 'number' && Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { min, max } : undefined;
}

// ---------------------------------------------------------------- second axis of the loss chart

export type SecondaryAxis = 'perplexity' | 'bpc';

/** Perplexity of a loss in nats per token. */
export function perplexity(lossNats: number): number {
  return Math.exp(lossNats);
}

/** Bits per character of a loss in nats per token, given the mean characters per token. */
export function bitsPerChar(lossNats: number, charsPerToken: number): number {
  return lossNats / Math.LN2 / (charsPerToken > 0 ? charsPerToken : 1);
}

export interface AxisTicks {
  /** Where the ticks go, in loss units (nats per token). */
  readonly positions: number[];
  /** What each tick reads, in the secondary unit. */
  readonly labels: string[];
}

/**
 * Ticks for the secondary axis over the loss range [lossMin, lossMax]. Bits per character are a
 * linear function of the loss, so nice values map straight back. Perplexity is exp(loss): ticks
 * follow a 1-2-5 progression per decade, thinned to at most about eight.
 */
export function secondaryTicks(lossMin: number, lossMax: number, mode: SecondaryAxis, charsPerToken = 1): AxisTicks {
  if (!Number.isFinite(lossMin) || !Number.isFinite(lossMax) || lossMax < lossMin) return { positions: [], labels: [] };
  if (mode === 'bpc') {
    const k = Math.LN2 * (charsPerToken > 0 ? charsPerToken : 1);
    const values = niceTicks(lossMin / k, lossMax / k, 5);
    return { positions: values.map((v) => v * k), labels: values.map((v) => formatTick(v)) };
  }
  const lo = Math.exp(lossMin);
  const hi = Math.exp(lossMax);
  let values = perplexityCandidates(lo, hi, [1, 2, 5]);
  if (values.length > 8) values = perplexityCandidates(lo, hi, [1]);
  if (values.length > 8) values = values.filter((_, i) => i % Math.ceil(values.length / 6) === 0);
  if (values.length < 3) values = niceTicks(lo, hi, 4).filter((v) => v > 0);
  return { positions: values.map((v) => Math.log(v)), labels: values.map((v) => formatTick(v)) };
}

function perplexityCandidates(lo: number, hi: number, mantissas: readonly number[]): number[] {
  const out: number[] = [];
  if (!(hi > 0)) return out;
  for (let e = Math.floor(Math.log10(Math.max(lo, 1e-300))); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mantissas) {
      const v = m * Math.pow(10, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
    }
  }
  return out;
}

/** Compact tick label: up to three significant digits, no trailing zeros. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}
