/**
 *   sequence-lab forecast FILE --column NAME[,NAME...] [--time-column NAME]
 *                         --model linear|linear-sgd|mlp|rnn|gru|lstm --tau N --train-fraction F
 *                         [--period P] [--interpolate] [network options] [--json]
 *   sequence-lab forecast --generate sine|sines|walk|logistic [same options]
 * Fits an autoregressive model on the first part of a series and reports its k-step-ahead errors on
 * the rest, beside the naive baselines.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { RUNS_FOLDER } from '../core/runFiles';
import { forecastRun } from '../core/series/forecastRun';
import { selectBackend } from '../core/backend';
import { FORECAST_MODELS, isNetwork, runForecast, type ForecastModel, type NetworkOptions } from '../core/series/runForecast';
import { GENERATORS, type GeneratorName } from '../core/series/generators';
import { HEADS, type HeadKind } from '../core/series/regressionHead';
import type { BackendChoice } from '../protocol/types';
import { UsageError } from './usageError';

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} must be a number (got ${JSON.stringify(v)}).`);
  return n;
};

const int = (v: string | undefined, flag: string, min: number, max: number): number | undefined => {
  const n = num(v, flag);
  if (n !== undefined && (!Number.isInteger(n) || n < min || n > max)) throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got ${v}).`);
  return n;
};

/** The network's flags: sizes and the training loop. */
function networkOptions(values: Record<string, string | boolean | undefined>): NetworkOptions {
  const s = (k: string) => values[k] as string | undefined;
  const head = s('head');
  if (head !== undefined && !HEADS.includes(head as HeadKind)) throw new UsageError(`--head takes ${HEADS.join(', ')}.`);
  const lr = num(s('lr'), '--lr');
  if (lr !== undefined && !(lr > 0 && lr <= 10)) throw new UsageError('--lr must be above 0 and at most 10.');
  const clip = num(s('clip'), '--clip');
  if (clip !== undefined && clip < 0) throw new UsageError('--clip must be 0 (off) or positive.');
  const out: NetworkOptions = {
    hidden: int(s('hidden'), '--hidden', 1, 1024),
    window: int(s('window'), '--window', 2, 512),
    steps: int(s('steps'), '--steps', 1, 1_000_000),
    batch: int(s('batch'), '--batch', 1, 4096),
    lr,
    clip,
    head: head as HeadKind | undefined,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as NetworkOptions;
}

export async function forecastCommand(args: string[]): Promise<number> {
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
      hidden: { type: 'string' },
      window: { type: 'string' },
      steps: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      clip: { type: 'string' },
      head: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean' },
      save: { type: 'boolean' },
    },
  });
  if (!values.generate && positionals.length !== 1) throw new UsageError('forecast needs one table file (CSV, TSV or JSON lines), or --generate NAME.');
  if (values.generate && positionals.length) throw new UsageError('Give a file or --generate, not both.');
  if (values.generate && !GENERATORS.includes(values.generate as GeneratorName)) throw new UsageError(`--generate takes ${GENERATORS.join(', ')}.`);
  const model = values.model as ForecastModel;
  if (!FORECAST_MODELS.includes(model)) throw new UsageError(`--model takes ${FORECAST_MODELS.join(', ')}.`);
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(values.backend)) throw new UsageError('--backend takes auto, tensorflow, wasm, cpu.');
  const network = networkOptions(values);
  if (isNetwork(model)) await selectBackend(values.backend as BackendChoice);
  const options = {
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
    tau: int(values.tau, '--tau', 1, 256),
    trainFraction: num(values['train-fraction'], '--train-fraction'),
    period: num(values.period, '--period'),
    seed: int(values.seed, '--seed', 0, 2 ** 31 - 1),
    network,
  };
  // --save: the same forecast as a run in .seqlab/runs, beside the text runs (the editor lists it).
  const saved = values.save ? await forecastRun({ ...options, runsDir: path.resolve(RUNS_FOLDER) }) : undefined;
  const result = saved ? saved.result : await runForecast(options);
  const coverage = result.report.interval?.coverage;
  if (values.json) {
    const { source, columns, tau, length, trainLength, test_mse, baseline_mse, free_run_mse } = result;
    const line = {
      source,
      columns,
      model,
      tau,
      length,
      trainLength,
      test_mse,
      baseline_mse,
      free_run_mse,
      ...(coverage !== undefined ? { interval_coverage: coverage } : {}),
      ...(saved ? { runDir: saved.runDir } : {}),
    };
    process.stdout.write(JSON.stringify(line) + '\n');
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
    ...(coverage !== undefined ? [`One-step 95% interval covers ${(100 * coverage).toFixed(1)}% of the test values.`] : []),
    ...(saved ? [`Saved as a run: ${saved.runDir}`] : []),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
