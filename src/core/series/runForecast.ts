/**
 * One forecasting run over a series, from a file's columns or a built-in generator: split by position,
 * normalise on the training part, fit the model, forecast the test part k steps ahead and free-running,
 * and report errors in the series' own units next to the naive baselines. What the command line prints
 * with --json, and what the panel draws.
 */
import { SeqLabError } from '../errors';
import { DEFAULT_HORIZONS, forecast, type ForecastReport } from './forecast';
import { generateSeries, GENERATORS, type GeneratorName } from './generators';
import { lagDesign } from './lags';
import { fitLinearAR, fitLinearARBySgd, type NextStepModel } from './linearAR';
import { fitNormalizer, normalize, type Series } from './series';
import { readNumericTable, type TableOptions } from './table';

export const FORECAST_MODELS = ['linear', 'linear-sgd'] as const;
export type ForecastModel = (typeof FORECAST_MODELS)[number];

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
  /** SGD only: the training loss per epoch (normalised units). */
  trainLosses?: number[];
  report: ForecastReport;
  series: Series;
}

export function runForecast(options: ForecastOptions): ForecastResult {
  let series: Series;
  let source: string;
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
    series = readNumericTable(options.file, options.table).series;
    source = options.file;
  } else {
    throw new SeqLabError('BAD_CONFIG', 'Nothing to forecast.', 'Name a CSV, TSV or JSON-lines file, or a generator (--generate sine).');
  }
  tau ??= 4;
  trainFraction ??= 0.6;
  if (!Number.isInteger(tau) || tau < 1 || tau > 256) throw new SeqLabError('BAD_CONFIG', `tau = ${tau} is out of range.`, 'Use a whole number of lags from 1 to 256.');
  if (!(trainFraction > 0 && trainFraction < 1))
    throw new SeqLabError('BAD_CONFIG', `The training fraction ${trainFraction} must be between 0 and 1.`, 'For example 0.6: the first 60% trains, the rest is predicted.');
  const trainLength = Math.round(trainFraction * series.length);
  const width = tau * series.dim + 1;
  if (trainLength - tau < width || trainLength >= series.length) {
    throw new SeqLabError(
      'TABLE_NO_ROWS',
      `${series.length} rows split at ${trainLength} leave too little to fit ${width} coefficients and predict the rest.`,
      'Use a longer series, a smaller tau, or another training fraction.',
    );
  }
  if (period !== undefined && (!Number.isInteger(period) || period < 1))
    throw new SeqLabError('BAD_CONFIG', `The period ${period} must be a whole number of steps.`, 'Leave it out if the series has no season.');
  const norm = fitNormalizer(series, trainLength);
  const normalized = normalize(series, norm);
  const design = lagDesign(normalized, tau, 0, trainLength);
  let model: NextStepModel;
  let trainLosses: number[] | undefined;
  if (options.model === 'linear') model = fitLinearAR(design, tau);
  else {
    const sgd = fitLinearARBySgd(design, tau, { seed: options.seed, lr: 0.05, epochs: 40 });
    model = sgd.model;
    trainLosses = sgd.losses;
  }
  const report = forecast(model, series, normalized, norm, trainLength, { horizons: options.horizons ?? DEFAULT_HORIZONS, period });
  return {
    source,
    columns: series.names,
    model: options.model,
    tau,
    length: series.length,
    trainLength,
    test_mse: report.testMse,
    baseline_mse: report.baselineMse,
    free_run_mse: report.freeRunMse,
    ...(trainLosses ? { trainLosses } : {}),
    report,
    series,
  };
}
