/**
 * Forecasting a series' test part (targets t = trainLength .. T-1) with a next-step model:
 * - k-step-ahead: from the true values up to t-k, predict t-k+1, feed the prediction back as input,
 *   and so on up to t (k = 1 is the one-step-ahead prediction);
 * - free-running: from the end of the training part, every prediction fed back, to the end;
 * - naive baselines: the last value seen (x̂_t = x_{t-k}) and, given a period p, the value one or
 *   more periods back (x̂_t = x_{t - p⌈k/p⌉}).
 * The model works in normalised units; errors are reported in the series' own units.
 */
import type { NextStepModel } from './linearAR';
import { denormalizeInPlace, type Normalizer, type Series } from './series';

export const DEFAULT_HORIZONS = [1, 4, 16, 64] as const;

/** The k-step-ahead prediction of x_t, normalised units. Needs t - k + 1 >= tau. */
export function predictAhead(model: NextStepModel, normalized: Series, t: number, k: number): Float64Array {
  const { tau, dim } = model;
  const window = normalized.values.slice((t - k + 1 - tau) * dim, (t - k + 1) * dim);
  let next = window.subarray(0, 0) as Float64Array;
  for (let step = 0; step < k; step++) {
    next = model.predict(window);
    window.copyWithin(0, dim);
    window.set(next, (tau - 1) * dim);
  }
  return next;
}

/** Mean squared error over components and targets t in [from, to), of predictions in original units. */
function mse(series: Series, from: number, to: number, predict: (t: number) => Float64Array): number {
  const { dim, values } = series;
  let sum = 0;
  for (let t = from; t < to; t++) {
    const p = predict(t);
    for (let j = 0; j < dim; j++) sum += (p[j] - values[t * dim + j]) ** 2;
  }
  return sum / ((to - from) * dim);
}

export interface ForecastReport {
  trainLength: number;
  /** k -> mean squared error on the test part, original units; horizons too long for the split are left out. */
  testMse: Record<string, number>;
  baselineMse: { last_value: Record<string, number>; seasonal_naive?: Record<string, number> };
  /** One-step-ahead predictions of the test part [(T - trainLength) * dim], original units. */
  oneStep: Float64Array;
  /** k-step predictions of the test part for each horizon, original units. */
  kStep: Record<string, Float64Array>;
  /** Free-running forecast from the end of the training part [(T - trainLength) * dim]. */
  freeRun: Float64Array;
  freeRunMse: number;
}

export interface ForecastOptions {
  horizons?: readonly number[];
  /** Seasonal-naive period, if the series has one. */
  period?: number;
}

export function forecast(model: NextStepModel, series: Series, normalized: Series, norm: Normalizer, trainLength: number, options: ForecastOptions = {}): ForecastReport {
  const { tau, dim } = model;
  const T = series.length;
  if (trainLength < tau || trainLength >= T) throw new Error(`the training part (${trainLength} of ${T} steps) must be at least tau = ${tau} and leave a test part`);
  const horizons = (options.horizons ?? DEFAULT_HORIZONS).filter((k) => trainLength - k + 1 >= tau);
  const original = (t: number, k: number) => denormalizeInPlace(predictAhead(model, normalized, t, k), norm);
  const testMse: Record<string, number> = {};
  const kStep: Record<string, Float64Array> = {};
  const lastValue: Record<string, number> = {};
  const seasonal: Record<string, number> = {};
  for (const k of horizons) {
    const preds = new Float64Array((T - trainLength) * dim);
    testMse[k] = mse(series, trainLength, T, (t) => {
      const p = original(t, k);
      preds.set(p, (t - trainLength) * dim);
      return p;
    });
    kStep[k] = preds;
    lastValue[k] = mse(series, trainLength, T, (t) => series.values.slice((t - k) * dim, (t - k + 1) * dim));
    if (options.period) {
      const back = options.period * Math.ceil(k / options.period);
      if (trainLength - back >= 0) seasonal[k] = mse(series, trainLength, T, (t) => series.values.slice((t - back) * dim, (t - back + 1) * dim));
    }
  }
  const freeRun = new Float64Array((T - trainLength) * dim);
  const window = normalized.values.slice((trainLength - tau) * dim, trainLength * dim);
  for (let t = trainLength; t < T; t++) {
    const next = model.predict(window);
    window.copyWithin(0, dim);
    window.set(next, (tau - 1) * dim);
    freeRun.set(denormalizeInPlace(next.slice(), norm), (t - trainLength) * dim);
  }
  const freeRunMse = mse(series, trainLength, T, (t) => freeRun.subarray((t - trainLength) * dim, (t - trainLength + 1) * dim));
  return {
    trainLength,
    testMse,
    baselineMse: { last_value: lastValue, ...(options.period ? { seasonal_naive: seasonal } : {}) },
    oneStep: kStep[1] ?? new Float64Array(0),
    kStep,
    freeRun,
    freeRunMse,
  };
}
