/**
 * The autoregressive view: predict x_t from the last tau values, x_{t-tau} .. x_{t-1}. Each target
 * t in [from, to) gives one row of features [x_{t-tau}, ..., x_{t-1}] (tau * d numbers, oldest first).
 */
import type { Series } from './series';

export interface LagDesign {
  /** [rows, tau * dim] */
  features: Float64Array;
  /** [rows, dim] */
  targets: Float64Array;
  rows: number;
  width: number;
  dim: number;
}

/** Rows for targets t = max(from, tau) .. to - 1. */
export function lagDesign(series: Series, tau: number, from: number, to: number): LagDesign {
  const { dim, values } = series;
  const first = Math.max(from, tau);
  const rows = Math.max(0, to - first);
  const width = tau * dim;
  const features = new Float64Array(rows * width);
  const targets = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const t = first + r;
    features.set(values.subarray((t - tau) * dim, t * dim), r * width);
    targets.set(values.subarray(t * dim, (t + 1) * dim), r * dim);
  }
  return { features, targets, rows, width, dim };
}
