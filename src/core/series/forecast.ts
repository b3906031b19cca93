/**
 * Forecasting a series' test part (targets t = trainLength .. T-1) with any SequencePredictor:
 * - k-step-ahead: from the true values up to t-k, predict t-k+1, feed the prediction back as input,
 *   and so on up to t (k = 1 is the one-step-ahead prediction);
 * - free-running: from the end of the training part, every prediction fed back, to the end;
 * - naive baselines: the last value seen (x̂_t = x_{t-k}) and, given a period p, the value one or
 *   more periods back (x̂_t = x_{t - p⌈k/p⌉}).
 * The model works in normalised units; errors are reported in the series' own units.
 */
import type { NextStepModel } from './linearAR';
import { lagPredictor, type SequencePredictor } from './sequencePredictor';
import type { Normalizer, Series } from './series';

export const DEFAULT_HORIZONS = [1, 4, 16, 64] as const;
/** The two-sided 95% quantile of a standard normal: the predictive interval is μ ± Z95 σ. */
export const Z95 = 1.959964;

/** Mean squared error over components and targets t in [from, to) of predictions [(to - from) * dim], original units. */
function mse(series: Series, from: number, preds: Float64Array): number {
  const { dim, values } = series;
  let sum = 0;
  for (let i = 0; i < preds.length; i++) sum += (preds[i] - values[from * dim + i]) ** 2;
  return sum / preds.length;
}

/** In place: normalised values [n * dim] to original units. */
function denormalize(x: Float64Array, n: Normalizer): Float64Array {
  const dim = n.mean.length;
  for (let i = 0; i < x.length; i++) x[i] = x[i] * n.std[i % dim] + n.mean[i % dim];
  return x;
}

/** Contexts [N, context, dim] ending at x_{t-k} for each target t in [from, to). */
function contextsFor(normalized: Series, context: number, from: number, to: number, k: number): Float64Array {
  const { dim, values } = normalized;
  const n = to - from;
  const out = new Float64Array(n * context * dim);
  for (let i = 0; i < n; i++) {
    const end = from + i - k + 1; // one past the last true value used
    out.set(values.subarray((end - context) * dim, end * dim), i * context * dim);
  }
  return out;
}

export interface PredictiveInterval {
  /** μ ∓ 1.96 σ of each one-step prediction of the test part [(T - trainLength) * dim], original units. */
  lower: Float64Array;
  upper: Float64Array;
  /** Fraction of the test values inside their interval (0.95 if the Gaussian is calibrated). */
  coverage: number;
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
  /** Gaussian head only: the one-step predictive interval. */
  interval?: PredictiveInterval;
}

export interface ForecastOptions {
  horizons?: readonly number[];
  /** Seasonal-naive period, if the series has one. */
  period?: number;
}

const isLagModel = (m: NextStepModel | SequencePredictor): m is NextStepModel => 'predict' in m;

export function forecast(
  model: NextStepModel | SequencePredictor,
  series: Series,
  normalized: Series,
  norm: Normalizer,
  trainLength: number,
  options: ForecastOptions = {},
): ForecastReport {
  const predictor = isLagModel(model) ? lagPredictor(model) : model;
  const { context, dim } = predictor;
  const T = series.length;
  if (trainLength < context || trainLength >= T) throw new Error(`the training part (${trainLength} of ${T} steps) must be at least ${context} steps and leave a test part`);
  const horizons = (options.horizons ?? DEFAULT_HORIZONS).filter((k) => trainLength - k + 1 >= context);
  const n = T - trainLength;
  const testMse: Record<string, number> = {};
  const kStep: Record<string, Float64Array> = {};
  const lastValue: Record<string, number> = {};
  const seasonal: Record<string, number> = {};
  const back = (lag: number) => series.values.slice((trainLength - lag) * dim, (T - lag) * dim);
  let interval: PredictiveInterval | undefined;
  for (const k of horizons) {
    const r = predictor.rollout(contextsFor(normalized, context, trainLength, T, k), n, k);
    const preds = denormalize(r.mean[k - 1], norm);
    kStep[k] = preds;
    testMse[k] = mse(series, trainLength, preds);
    lastValue[k] = mse(series, trainLength, back(k));
    if (options.period) {
      const lag = options.period * Math.ceil(k / options.period);
      if (trainLength - lag >= 0) seasonal[k] = mse(series, trainLength, back(lag));
    }
    if (k === 1 && r.logVar) interval = intervalOf(preds, r.logVar[0], norm, series, trainLength);
  }
  const free = predictor.rollout(normalized.values.slice((trainLength - context) * dim, trainLength * dim), 1, n);
  const freeRun = new Float64Array(n * dim);
  free.mean.forEach((m, s) => freeRun.set(m, s * dim));
  denormalize(freeRun, norm);
  return {
    trainLength,
    testMse,
    baselineMse: { last_value: lastValue, ...(options.period ? { seasonal_naive: seasonal } : {}) },
    oneStep: kStep[1] ?? new Float64Array(0),
    kStep,
    freeRun,
    freeRunMse: mse(series, trainLength, freeRun),
    ...(interval ? { interval } : {}),
  };
}

function intervalOf(mean: Float64Array, logVar: Float64Array, norm: Normalizer, series: Series, trainLength: number): PredictiveInterval {
  const dim = norm.mean.length;
  const lower = new Float64Array(mean.length);
  const upper = new Float64Array(mean.length);
  let inside = 0;
  for (let i = 0; i < mean.length; i++) {
    const half = Z95 * Math.exp(logVar[i] / 2) * norm.std[i % dim];
    lower[i] = mean[i] - half;
    upper[i] = mean[i] + half;
    const y = series.values[trainLength * dim + i];
    if (y >= lower[i] && y <= upper[i]) inside++;
  }
  return { lower, upper, coverage: inside / mean.length };
}
