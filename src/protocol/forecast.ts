/**
 * The contracts of forecasting (issue 12), two boundaries:
 * - the extension host and the forecast worker (a forked process: dist/forecastWorker.js);
 * - the extension host and the forecast panel (a webview).
 * Plain JSON types and guards only, so the worker, the host and the browser build share them.
 */
import { isFiniteNumber, isInteger, isOneOf, isRecord, isRunId, isString } from './validate';

export const FORECAST_PROTOCOL_VERSION = 1;
export const FORECAST_MODEL_NAMES = ['linear', 'linear-sgd', 'mlp', 'rnn', 'gru', 'lstm'] as const;
export type ForecastModelName = (typeof FORECAST_MODEL_NAMES)[number];
export const GENERATOR_NAMES = ['sine', 'sines', 'walk', 'logistic'] as const;
export type GeneratorId = (typeof GENERATOR_NAMES)[number];

/** forecast.json in a forecast run folder: the series, the predictions of its test part and the errors. */
export interface ForecastRecord {
  version: 1;
  source: string;
  columns: string[];
  model: string;
  head: 'mse' | 'gaussian';
  length: number;
  trainLength: number;
  /** The series x_t, [length * dim] time-major, original units. */
  values: number[];
  /** Predictions of the test part, [(length - trainLength) * dim] each. */
  oneStep: number[];
  kStep: Record<string, number[]>;
  freeRun: number[];
  interval?: { lower: number[]; upper: number[]; coverage: number };
  test_mse: Record<string, number>;
  baseline_mse: { last_value: Record<string, number>; seasonal_naive?: Record<string, number> };
  free_run_mse: number;
}

// ================================================================== host -> worker

/** What to forecast and how: a table's columns or a generator, a model and its training. */
export interface ForecastJob {
  file?: string;
  generate?: GeneratorId;
  columns?: string[];
  timeColumn?: string;
  interpolate?: boolean;
  model: ForecastModelName;
  tau?: number;
  trainFraction?: number;
  period?: number;
  seed?: number;
  head?: 'mse' | 'gaussian';
  hidden?: number;
  window?: number;
  steps?: number;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Table size limit in bytes. */
  maxBytes?: number;
}

export type HostToForecastWorker = { readonly type: 'forecast'; readonly version: number; readonly runsDir: string; readonly job: ForecastJob } | { readonly type: 'stop' };

// ================================================================== worker -> host

export type ForecastWorkerToHost =
  | { type: 'created'; runId: string; runDir: string }
  | { type: 'step'; step: number; loss: number }
  | { type: 'eval'; step: number; trainLoss: number; testMse: number }
  | { type: 'gradmap'; step: number; total: number[]; last: number[] }
  | { type: 'done'; runId: string; runDir: string; testMse: Record<string, number>; lastValueMse: Record<string, number> }
  /** `created`: whether a run folder exists (false: the input was refused and nothing was written). */
  | { type: 'error'; message: string; hint?: string; code?: string; created: boolean };

const isNumbers = (v: unknown, max = 65_536): v is number[] => Array.isArray(v) && v.length <= max && v.every((x) => typeof x === 'number');
const isMseTable = (v: unknown): v is Record<string, number> => isRecord(v) && Object.keys(v).length <= 16 && Object.values(v).every(isFiniteNumber);

export function isForecastWorkerMessage(m: unknown): m is ForecastWorkerToHost {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'created':
      return isRunId(m.runId) && isString(m.runDir, 4096);
    case 'step':
      return isInteger(m.step, 0) && typeof m.loss === 'number';
    case 'eval':
      return isInteger(m.step, 0) && typeof m.trainLoss === 'number' && typeof m.testMse === 'number';
    case 'gradmap':
      return isInteger(m.step, 0) && isNumbers(m.total) && isNumbers(m.last);
    case 'done':
      return isRunId(m.runId) && isString(m.runDir, 4096) && isMseTable(m.testMse) && isMseTable(m.lastValueMse);
    case 'error':
      return isString(m.message, 10_000) && (m.hint === undefined || isString(m.hint, 10_000)) && (m.code === undefined || isString(m.code, 100)) && typeof m.created === 'boolean';
    default:
      return false;
  }
}

// ================================================================== host <-> panel

export interface ForecastProgress {
  /** [step, loss] pairs, newest last. */
  losses: [number, number][];
  /** [step, one-step test MSE (normalised)]. */
  evals: [number, number][];
  /** The newest gradient-through-time map, oldest input step first. */
  gradMap?: { step: number; total: number[]; last: number[] };
}

export type ForecastPanelState = 'training' | 'completed' | 'stopped' | 'failed' | 'diverged';

export type HostToForecastPanel =
  /** Everything known of the run, on `ready` and when its state changes. */
  | { type: 'snapshot'; runId: string; title: string; state: ForecastPanelState; reason?: string; progress: ForecastProgress; forecast?: ForecastRecord }
  /** New training points since the last message. */
  | { type: 'progress'; runId: string; progress: ForecastProgress };

export type ForecastPanelToHost = { type: 'ready' } | { type: 'stop'; runId: string };

export function isForecastPanelMessage(m: unknown): m is ForecastPanelToHost {
  if (!isRecord(m)) return false;
  if (m.type === 'ready') return Object.keys(m).length === 1;
  if (m.type === 'stop') return isRunId(m.runId) && Object.keys(m).length === 2;
  return false;
}

const isPairs = (v: unknown): v is [number, number][] =>
  Array.isArray(v) && v.length <= 100_000 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number'));

function isProgress(v: unknown): v is ForecastProgress {
  if (!isRecord(v) || !isPairs(v.losses) || !isPairs(v.evals)) return false;
  if (v.gradMap === undefined) return true;
  return isRecord(v.gradMap) && isInteger(v.gradMap.step, 0) && isNumbers(v.gradMap.total) && isNumbers(v.gradMap.last);
}

/** The panel's check of what the host sends (the forecast record itself was checked by the host's reader). */
export function isHostToForecastPanel(m: unknown): m is HostToForecastPanel {
  if (!isRecord(m) || !isRunId(m.runId) || !isProgress(m.progress)) return false;
  if (m.type === 'progress') return true;
  if (m.type !== 'snapshot') return false;
  if (!isString(m.title, 1000) || !isOneOf(m.state, ['training', 'completed', 'stopped', 'failed', 'diverged'] as const)) return false;
  if (m.reason !== undefined && !isString(m.reason, 10_000)) return false;
  if (m.forecast === undefined) return true;
  const f = m.forecast;
  return isRecord(f) && f.version === 1 && isNumbers(f.values, 1e8) && isNumbers(f.oneStep, 1e8) && isNumbers(f.freeRun, 1e8) && isRecord(f.kStep) && Array.isArray(f.columns);
}
