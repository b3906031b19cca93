/**
 * forecast.json, the part of a forecast run folder that a text run does not have: the series, the
 * predictions and the errors, what the forecast panel draws. Written once when the forecast is made;
 * read back as untrusted input (a run folder can come with a repository): size bounded before reading,
 * no symbolic link followed, every field checked for type, length and finiteness.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ForecastRecord } from '../../protocol/forecast';
import type { ForecastReport } from './forecast';

export type { ForecastRecord };

export const FORECAST_FILE = 'forecast.json';
/** 64 MB: a 50 MB table's series and its predictions. */
export const MAX_FORECAST_BYTES = 64 * 1024 * 1024;
const MAX_NAME = 200;

export function forecastRecordOf(
  r: ForecastReport,
  meta: { source: string; columns: readonly string[]; model: string; head: 'mse' | 'gaussian'; values: Float64Array },
): ForecastRecord {
  const dim = meta.columns.length;
  return {
    version: 1,
    source: meta.source,
    columns: [...meta.columns],
    model: meta.model,
    head: meta.head,
    length: meta.values.length / dim,
    trainLength: r.trainLength,
    values: [...meta.values],
    oneStep: [...r.oneStep],
    kStep: Object.fromEntries(Object.entries(r.kStep).map(([k, v]) => [k, [...v]])),
    freeRun: [...r.freeRun],
    ...(r.interval ? { interval: { lower: [...r.interval.lower], upper: [...r.interval.upper], coverage: r.interval.coverage } } : {}),
    test_mse: r.testMse,
    baseline_mse: r.baselineMse,
    free_run_mse: r.freeRunMse,
  };
}

class Bad extends Error {}
const fail = (why: string): never => {
  throw new Bad(why);
};
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const finite = (v: unknown, where: string): number => (typeof v === 'number' && Number.isFinite(v) ? v : fail(`${where} must be a finite number`));
const str = (v: unknown, where: string): string => (typeof v === 'string' && v.length <= 4096 ? v : fail(`${where} must be a string`));
function numbers(v: unknown, length: number, where: string): number[] {
  if (!Array.isArray(v) || v.length !== length) return fail(`${where} must be ${length} numbers`);
  v.forEach((x, i) => finite(x, `${where}[${i}]`));
  return v as number[];
}
function byHorizon(v: unknown, where: string, each: (x: unknown, w: string) => unknown): Record<string, never> {
  if (!isObj(v)) return fail(`${where} must be an object`);
  const keys = Object.keys(v);
  if (keys.length > 16 || !keys.every((k) => /^[1-9]\d{0,4}$/.test(k))) fail(`${where} must be keyed by horizons`);
  for (const k of keys) each(v[k], `${where}.${k}`);
  return v as Record<string, never>;
}

/** Checks a parsed forecast.json. Throws Error with the reason. */
export function checkForecastRecord(v: unknown): ForecastRecord {
  try {
    if (!isObj(v) || v.version !== 1) fail('it is not a version 1 forecast');
    const o = v as Record<string, unknown>;
    if (!Array.isArray(o.columns) || o.columns.length < 1 || o.columns.length > 1024) fail('columns must be 1 to 1024 names');
    const columns = (o.columns as unknown[]).map((c, i) => (typeof c === 'string' && c.length <= MAX_NAME ? c : fail(`columns[${i}] must be a short string`)));
    const dim = columns.length;
    const length = finite(o.length, 'length');
    const trainLength = finite(o.trainLength, 'trainLength');
    if (!Number.isInteger(length) || !Number.isInteger(trainLength) || trainLength < 1 || trainLength >= length)
      fail('length and trainLength must be whole numbers with 0 < trainLength < length');
    const test = (length - trainLength) * dim;
    if (o.head !== 'mse' && o.head !== 'gaussian') fail('head must be mse or gaussian');
    const record: ForecastRecord = {
      version: 1,
      source: str(o.source, 'source'),
      columns,
      model: str(o.model, 'model'),
      head: o.head as 'mse' | 'gaussian',
      length,
      trainLength,
      values: numbers(o.values, length * dim, 'values'),
      oneStep: numbers(o.oneStep, test, 'oneStep'),
      kStep: byHorizon(o.kStep, 'kStep', (x, w) => numbers(x, test, w)),
      freeRun: numbers(o.freeRun, test, 'freeRun'),
      test_mse: byHorizon(o.test_mse, 'test_mse', finite),
      baseline_mse: { last_value: {} },
      free_run_mse: finite(o.free_run_mse, 'free_run_mse'),
    };
    if (!isObj(o.baseline_mse)) fail('baseline_mse must be an object');
    const b = o.baseline_mse as Record<string, unknown>;
    record.baseline_mse.last_value = byHorizon(b.last_value, 'baseline_mse.last_value', finite);
    if (b.seasonal_naive !== undefined) record.baseline_mse.seasonal_naive = byHorizon(b.seasonal_naive, 'baseline_mse.seasonal_naive', finite);
    if (o.interval !== undefined) {
      if (!isObj(o.interval)) fail('interval must be an object');
      const iv = o.interval as Record<string, unknown>;
      const coverage = finite(iv.coverage, 'interval.coverage');
      record.interval = { lower: numbers(iv.lower, test, 'interval.lower'), upper: numbers(iv.upper, test, 'interval.upper'), coverage };
    }
    return record;
  } catch (e) {
    if (e instanceof Bad) throw new Error(`${FORECAST_FILE}: ${e.message}`);
    throw e;
  }
}

/** A run folder's forecast.json, checked; throws with the reason (missing, a link, too large, malformed). */
export async function readForecastRecord(runDir: string): Promise<ForecastRecord> {
  const file = path.join(runDir, FORECAST_FILE);
  const st = await fs.promises.lstat(file).catch(() => undefined);
  if (!st) throw new Error(`${FORECAST_FILE} is missing (the forecast has not been made yet)`);
  if (!st.isFile()) throw new Error(`${FORECAST_FILE} is not a regular file (links are not followed)`);
  if (st.size > MAX_FORECAST_BYTES) throw new Error(`${FORECAST_FILE} is ${(st.size / 1048576).toFixed(1)} MB, above the limit of ${MAX_FORECAST_BYTES / 1048576} MB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.promises.readFile(file, 'utf8'));
  } catch {
    throw new Error(`${FORECAST_FILE} is not JSON`);
  }
  return checkForecastRecord(parsed);
}
