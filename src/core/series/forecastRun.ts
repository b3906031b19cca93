/**
 * A forecast as a run in the run store, `.seqlab/runs/<id>/`, beside the text runs: run.json with
 * `kind: "forecast"` (its configuration in TrainConfig's terms, so every reader of runs reads it),
 * metrics.jsonl (training loss per step), evals.jsonl (one-step test error), gradmaps.jsonl (the
 * gradient through time), forecast.json (series, predictions, errors; see forecastRecord.ts) and, for
 * networks, forecast-checkpoint/ (see regressorCheckpoint.ts). The series is read and every option
 * checked before the folder is made: a refused input creates nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendName, TrainConfig } from '../../protocol/types';
import { DEFAULT_CONFIG } from '../config';
import { newRunId, RunWriter, writeFileAtomic, type RunRecord } from '../runFiles';
import { FORECAST_FILE, forecastRecordOf } from './forecastRecord';
import { saveRegressorCheckpoint } from './regressorCheckpoint';
import { DEFAULT_NETWORK, isNetwork, prepareSeries, runForecast, trainingFor, type ForecastOptions, type ForecastResult } from './runForecast';
import type { RegressorHooks } from './trainRegressor';

export const FORECAST_CHECKPOINT_DIR = 'forecast-checkpoint';

/** The run's settings in TrainConfig's terms: the lag models are `window` models over tau steps. */
export function forecastConfig(options: ForecastOptions, tau: number): TrainConfig {
  const t = trainingFor(options);
  const net = { ...DEFAULT_NETWORK, ...options.network };
  return {
    ...DEFAULT_CONFIG,
    cell: options.model === 'rnn' || options.model === 'gru' || options.model === 'lstm' ? options.model : 'window',
    hidden: Math.min(1024, Math.max(8, net.hidden)),
    layers: 1,
    embedding: 0,
    tau,
    window: net.window,
    batch: Math.min(1024, t.batch),
    optimizer: options.model === 'linear-sgd' ? 'sgd' : 'adam',
    lr: t.lr,
    clip: t.clip,
    steps: isNetwork(options.model) ? t.steps : 1,
    seed: t.seed,
    evalInterval: Math.max(1, t.evalInterval),
    gradMapInterval: t.gradMapInterval,
    sampleInterval: 0,
  };
}

export interface ForecastRunHooks extends RegressorHooks {
  /** The run folder exists (the inputs passed every check). */
  onCreated?(runDir: string, record: RunRecord): void;
}

/** Reads, checks, creates the run folder, trains, forecasts and records. Throws SeqLabError before creating anything on bad input. */
export async function forecastRun(
  options: ForecastOptions & { runsDir: string; backend?: BackendName },
  hooks: ForecastRunHooks = {},
): Promise<{ runDir: string; result: ForecastResult }> {
  const prepared = prepareSeries(options);
  const id = newRunId();
  const runDir = path.join(options.runsDir, id);
  fs.mkdirSync(options.runsDir, { recursive: true });
  const now = new Date().toISOString();
  const columns = prepared.series.names.join(', ');
  const writer = RunWriter.create(runDir, {
    kind: 'forecast',
    id,
    name: `${options.file ? path.basename(options.file) : options.generate}: ${columns} (${options.model})`,
    createdAt: now,
    updatedAt: now,
    files: options.file ? [path.resolve(options.file)] : [],
    config: forecastConfig(options, prepared.tau),
    state: 'training',
    step: 0,
    durationMs: 0,
    checkpoints: [],
  });
  hooks.onCreated?.(runDir, writer.record);
  const started = Date.now();
  let best: number | undefined;
  let last: number | undefined;
  const clip = trainingFor(options).clip;
  try {
    const result = await runForecast(
      options,
      {
        shouldStop: () => hooks.shouldStop?.() ?? false,
        onStep: (p) => {
          last = p.loss;
          writer.append('metrics', { step: p.step, loss: p.loss, gradNorm: p.gradNorm, clipped: clip > 0 && p.gradNorm > clip, tokensPerSec: 0, elapsedMs: Date.now() - started });
          hooks.onStep?.(p);
        },
        onEval: (p) => {
          best = best === undefined ? p.testMse : Math.min(best, p.testMse);
          writer.append('evals', { step: p.step, valLoss: p.testMse });
          hooks.onEval?.(p);
        },
        onGradMap: (p) => {
          writer.append('gradmaps', { step: p.step, hiddenGradNorms: [p.last], totalGradNorms: [p.total], paramGradNorms: {}, globalNorm: 0, clip });
          hooks.onGradMap?.(p);
        },
      },
      {
        prepared,
        onTrained: (network, trained) =>
          saveRegressorCheckpoint(path.join(runDir, FORECAST_CHECKPOINT_DIR), network, { norm: prepared.norm, step: trained.steps, seed: trainingFor(options).seed }),
      },
    );
    const head = isNetwork(options.model) ? (options.network?.head ?? DEFAULT_NETWORK.head) : 'mse';
    const record = forecastRecordOf(result.report, { source: prepared.source, columns: prepared.series.names, model: options.model, head, values: prepared.series.values });
    writeFileAtomic(path.join(runDir, FORECAST_FILE), JSON.stringify(record));
    writer.update({
      state: result.stopped ? 'stopped' : 'completed',
      step: result.trainLosses?.length ?? 1,
      durationMs: Date.now() - started,
      ...(last !== undefined ? { lastLoss: last } : {}),
      ...(best !== undefined ? { bestValLoss: best } : {}),
      reason: `one-step test MSE ${result.test_mse['1']?.toPrecision(4) ?? '-'} (last value ${result.baseline_mse.last_value['1']?.toPrecision(4) ?? '-'})`,
    });
    return { runDir, result };
  } catch (e) {
    writer.update({ state: (e as { code?: string }).code === 'DIVERGED' ? 'diverged' : 'failed', reason: (e as Error).message, durationMs: Date.now() - started });
    throw e;
  }
}
