/**
 * One forecasting run over a series, from a file's columns or a built-in generator: split by position,
 * normalise on the training part only, fit the model (linear AR in closed form or by SGD, or a network
 * trained by backpropagation), forecast the test part k steps ahead and free-running, and report errors
 * in the series' own units next to the naive baselines. What the command line prints with --json, and
 * what the panel draws.
 */
import { SeqLabError } from '../errors';
import { createRegressor } from './createRegressor';
import { DEFAULT_HORIZONS, forecast, type ForecastReport } from './forecast';
import { generateSeries, GENERATORS, type GeneratorName } from './generators';
import { lagDesign } from './lags';
import { fitLinearAR, fitLinearARBySgd, type NextStepModel } from './linearAR';
import type { NetworkKind, NetworkRegressor } from './networkRegressor';
import type { HeadKind } from './regressionHead';
import type { SequencePredictor } from './sequencePredictor';
import { fitNormalizer, normalize, type Normalizer, type Series } from './series';
import { readNumericTable, type TableOptions } from './table';
import { DEFAULT_REGRESSOR_TRAINING, trainRegressor, type RegressorHooks, type RegressorTraining } from './trainRegressor';

export const FORECAST_MODELS = ['linear', 'linear-sgd', 'mlp', 'rnn', 'gru', 'lstm'] as const;
export type ForecastModel = (typeof FORECAST_MODELS)[number];

export const isNetwork = (m: ForecastModel): m is NetworkKind => m !== 'linear' && m !== 'linear-sgd';

export interface NetworkOptions extends Partial<RegressorTraining> {
  hidden?: number;
  /** Latent models: the training window, also the context a forecast starts from. */
  window?: number;
  head?: HeadKind;
}

export const DEFAULT_NETWORK = { hidden: 32, window: 32, head: 'mse' as HeadKind };

export interface ForecastOptions {
  /** A table file, or a generator name with `generate`. */
  file?: string;
  generate?: GeneratorName;
  table?: TableOptions;
  model: ForecastModel;
  /** Lags; the generator's suggestion when omitted. */
  tau?: number;
  /** Fraction of the series, from its start, to train on. */
  trainFraction?: number;
  /** Seasonal-naive period. */
  period?: number;
  seed?: number;
  horizons?: readonly number[];
  network?: NetworkOptions;
}

/** A series ready to fit: read or generated, checked, split and normalised. */
export interface PreparedSeries {
  source: string;
  series: Series;
  normalized: Series;
  norm: Normalizer;
  tau: number;
  period?: number;
  trainLength: number;
  /** The time column's cells, if the table named one. */
  time?: string[];
}

export interface ForecastResult {
  source: string;
  columns: readonly string[];
  model: ForecastModel;
  tau: number;
  length: number;
  trainLength: number;
  test_mse: Record<string, number>;
  baseline_mse: ForecastReport['baselineMse'];
  free_run_mse: number;
  /** Networks and SGD: the training loss per step (per epoch for SGD), normalised units. */
  trainLosses?: number[];
  /** Networks: training ended early on request. */
  stopped?: boolean;
  report: ForecastReport;
  series: Series;
}

/** Reads or generates the series and checks every option against it; throws SeqLabError. Nothing is written. */
export function prepareSeries(options: ForecastOptions): PreparedSeries {
  let series: Series;
  let source: string;
  let time: string[] | undefined;
  let tau = options.tau;
  let period = options.period;
  let trainFraction = options.trainFraction;
  if (options.generate) {
    if (!GENERATORS.includes(options.generate))
      throw new SeqLabError('BAD_CONFIG', `There is no generator ${JSON.stringify(options.generate)}.`, `Use one of ${GENERATORS.join(', ')}.`);
    const g = generateSeries(options.generate, { seed: options.seed });
    series = g.series;
    source = `generated: ${g.description}`;
    tau ??= g.defaults.tau;
    period ??= g.defaults.period;
    trainFraction ??= g.defaults.trainLength / series.length;
  } else if (options.file) {
    const table = readNumericTable(options.file, options.table);
    series = table.series;
    time = table.time;
    source = options.file;
  } else {
    throw new SeqLabError('BAD_CONFIG', 'Nothing to forecast.', 'Name a CSV, TSV or JSON-lines file, or a generator (--generate sine).');
  }
  tau ??= 4;
  trainFraction ??= 0.6;
  if (!FORECAST_MODELS.includes(options.model))
    throw new SeqLabError('BAD_CONFIG', `There is no model ${JSON.stringify(options.model)}.`, `Use one of ${FORECAST_MODELS.join(', ')}.`);
  if (!Number.isInteger(tau) || tau < 1 || tau > 256) throw new SeqLabError('BAD_CONFIG', `tau = ${tau} is out of range.`, 'Use a whole number of lags from 1 to 256.');
  if (!(trainFraction > 0 && trainFraction < 1))
    throw new SeqLabError('BAD_CONFIG', `The training fraction ${trainFraction} must be between 0 and 1.`, 'For example 0.6: the first 60% trains, the rest is predicted.');
  const trainLength = Math.round(trainFraction * series.length);
  const context = isNetwork(options.model) && options.model !== 'mlp' ? (options.network?.window ?? DEFAULT_NETWORK.window) : tau;
  // A linear fit needs as many rows as coefficients; a network at least a few windows to draw from.
  const needed = isNetwork(options.model) ? context + 2 : tau + tau * series.dim + 1;
  if (trainLength < needed || trainLength >= series.length) {
    throw new SeqLabError(
      'TABLE_NO_ROWS',
      `${series.length} rows split at ${trainLength} leave too little to ${isNetwork(options.model) ? `train on windows of ${context}` : `fit ${tau * series.dim + 1} coefficients`} and predict the rest.`,
      `Use a longer series, a smaller ${options.model === 'linear' || options.model === 'linear-sgd' || options.model === 'mlp' ? 'tau' : 'window'}, or another training fraction.`,
    );
  }
  if (period !== undefined && (!Number.isInteger(period) || period < 1))
    throw new SeqLabError('BAD_CONFIG', `The period ${period} must be a whole number of steps.`, 'Leave it out if the series has no season.');
  const norm = fitNormalizer(series, trainLength);
  return { source, series, normalized: normalize(series, norm), norm, tau, period, trainLength, ...(time ? { time } : {}) };
}

/** The network an options object describes, over a prepared series. */
export function networkFor(prepared: PreparedSeries, options: ForecastOptions): NetworkRegressor {
  const kind = options.model as NetworkKind;
  const net = { ...DEFAULT_NETWORK, ...options.network };
  return createRegressor(
    { kind, head: net.head, dim: prepared.series.dim, hidden: net.hidden, context: kind === 'mlp' ? prepared.tau : net.window },
    options.seed ?? DEFAULT_REGRESSOR_TRAINING.seed,
  );
}

export function trainingFor(options: ForecastOptions): RegressorTraining {
  const n = options.network ?? {};
  const d = DEFAULT_REGRESSOR_TRAINING;
  return {
    steps: n.steps ?? d.steps,
    batch: n.batch ?? d.batch,
    lr: n.lr ?? d.lr,
    clip: n.clip ?? d.clip,
    seed: options.seed ?? d.seed,
    evalInterval: n.evalInterval ?? d.evalInterval,
    gradMapInterval: n.gradMapInterval ?? d.gradMapInterval,
  };
}

/** What a caller may add to a run: a series prepared already, and a look at the trained network before it is disposed (to checkpoint it). */
export interface RunExtras {
  prepared?: PreparedSeries;
  onTrained?(network: NetworkRegressor, training: { steps: number; stopped: boolean }): void;
}

/** Fits, forecasts and reports. Networks need a tfjs backend selected first. */
export async function runForecast(options: ForecastOptions, hooks: RegressorHooks = {}, extras: RunExtras = {}): Promise<ForecastResult> {
  const prepared = extras.prepared ?? prepareSeries(options);
  const { series, normalized, norm, tau, trainLength } = prepared;
  let model: NextStepModel | SequencePredictor;
  let trainLosses: number[] | undefined;
  let network: NetworkRegressor | undefined;
  let stopped: boolean | undefined;
  if (options.model === 'linear') model = fitLinearAR(lagDesign(normalized, tau, 0, trainLength), tau);
  else if (options.model === 'linear-sgd') {
    const sgd = fitLinearARBySgd(lagDesign(normalized, tau, 0, trainLength), tau, { seed: options.seed, lr: 0.05, epochs: 40 });
    model = sgd.model;
    trainLosses = sgd.losses;
  } else {
    network = networkFor(prepared, options);
    model = network;
  }
  try {
    if (network) {
      const trained = await trainRegressor(network, normalized, trainLength, trainingFor(options), hooks);
      trainLosses = trained.losses;
      stopped = trained.stopped;
      extras.onTrained?.(network, trained);
    }
    const report = forecast(model, series, normalized, norm, trainLength, { horizons: options.horizons ?? DEFAULT_HORIZONS, period: prepared.period });
    return {
      source: prepared.source,
      columns: series.names,
      model: options.model,
      tau,
      length: series.length,
      trainLength,
      test_mse: report.testMse,
      baseline_mse: report.baselineMse,
      free_run_mse: report.freeRunMse,
      ...(trainLosses ? { trainLosses } : {}),
      ...(stopped ? { stopped } : {}),
      report,
      series,
    };
  } finally {
    network?.dispose();
  }
}
