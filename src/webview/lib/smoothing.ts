/**
 * Exponential moving average of a noisy series, the way TensorBoard smooths training curves:
 * s_i = w * s_{i-1} + (1 - w) * y_i, divided by (1 - w^n) so the first points are not pulled
 * toward zero (the average starts empty, not at 0). Pure: no DOM, unit-tested in Node.
 */

/** Incremental form, so streamed points are smoothed in O(1) each instead of recomputing the series. */
export class Ema {
  private biased = 0;
  private count = 0;
  private lastValue = NaN;

  /** @param weight in [0, 1): 0 is no smoothing, values near 1 are smooth and slow. */
  constructor(readonly weight: number) {
    if (!(weight >= 0 && weight < 1)) throw new RangeError(`EMA weight must be in [0, 1), got ${weight}`);
  }

  /** Adds one observation and returns the smoothed value. Non-finite inputs are skipped (the last value repeats). */
  push(value: number): number {
    if (!Number.isFinite(value)) return this.lastValue;
    this.biased = this.weight * this.biased + (1 - this.weight) * value;
    this.count++;
    this.lastValue = this.biased / (1 - Math.pow(this.weight, this.count));
    return this.lastValue;
  }
}

/** Smooths a whole series; `out[i]` is the EMA of `values[0..i]` (NaN until the first finite value). */
export function emaSmooth(values: ArrayLike<number>, weight: number): number[] {
  const ema = new Ema(weight);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = ema.push(values[i]);
  return out;
}
