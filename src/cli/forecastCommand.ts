/**
 *   sequence-lab forecast FILE --column NAME[,NAME...] [--time-column NAME] --model linear|linear-sgd
 *                         --tau N --train-fraction F [--period P] [--interpolate] [--json]
 *   sequence-lab forecast --generate sine|sines|walk|logistic [same options]
 * Fits an autoregressive model on the first part of a series and reports its k-step-ahead errors on
 * the rest, beside the naive baselines.
 */
import { parseArgs } from 'node:util';
import { FORECAST_MODELS, runForecast, type ForecastModel } from '../core/series/runForecast';
import { GENERATORS, type GeneratorName } from '../core/series/generators';
import { UsageError } from './usageError';

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} must be a number (got ${JSON.stringify(v)}).`);
  return n;
};

export function forecastCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      column: { type: 'string' },
      'time-column': { type: 'string' },
      model: { type: 'string', default: 'linear' },
      tau: { type: 'string' },
      'train-fraction': { type: 'string' },
      period: { type: 'string' },
      generate: { type: 'string' },
      interpolate: { type: 'boolean' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!values.generate && positionals.length !== 1) throw new UsageError('forecast needs one table file (CSV, TSV or JSON lines), or --generate NAME.');
  if (values.generate && positionals.length) throw new UsageError('Give a file or --generate, not both.');
  if (values.generate && !GENERATORS.includes(values.generate as GeneratorName)) throw new UsageError(`--generate takes ${GENERATORS.join(', ')}.`);
  const model = values.model as ForecastModel;
  if (!FORECAST_MODELS.includes(model)) throw new UsageError(`--model takes ${FORECAST_MODELS.join(', ')} (the network regressors are not in this version).`);
  const result = runForecast({
    file: positionals[0],
    generate: values.generate as GeneratorName | undefined,
    table: {
      columns: values.column
        ?.split(',')
        .map((c) => c.trim())
        .filter(Boolean),
      timeColumn: values['time-column'],
      interpolate: !!values.interpolate,
    },
    model,
    tau: num(values.tau, '--tau'),
    trainFraction: num(values['train-fraction'], '--train-fraction'),
    period: num(values.period, '--period'),
    seed: num(values.seed, '--seed'),
  });
  if (values.json) {
    const { source, columns, tau, length, trainLength, test_mse, baseline_mse, free_run_mse } = result;
    process.stdout.write(JSON.stringify({ source, columns, model, tau, length, trainLength, test_mse, baseline_mse, free_run_mse }) + '\n');
    return 0;
  }
  const lines = [
    `${result.source}: ${result.columns.join(', ')}; ${result.length} steps, the first ${result.trainLength} for training; ${model}, tau ${result.tau}`,
    'k-step-ahead mean squared error on the test part (original units):',
    `  ${'k'.padStart(4)}  ${'model'.padStart(10)}  ${'last value'.padStart(10)}${result.baseline_mse.seasonal_naive ? `  ${'seasonal'.padStart(10)}` : ''}`,
    ...Object.keys(result.test_mse).map(
      (k) =>
        `  ${k.padStart(4)}  ${result.test_mse[k].toPrecision(4).padStart(10)}  ${result.baseline_mse.last_value[k].toPrecision(4).padStart(10)}${result.baseline_mse.seasonal_naive?.[k] !== undefined ? `  ${result.baseline_mse.seasonal_naive[k].toPrecision(4).padStart(10)}` : ''}`,
    ),
    `Free-running from the end of the training part: ${result.free_run_mse.toPrecision(4)}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
