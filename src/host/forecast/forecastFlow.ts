/**
 * The questions before a forecast, one quick pick or input box after another: columns, time column,
 * split, model, tau (Forecast Columns…), or the generator and model (Forecast a Generated Series…).
 * Escape at any step cancels; nothing is created until the worker has read and checked the input.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SeqLabError } from '../../core/errors';
import { peekTable } from '../../core/series/table';
import { FORECAST_MODEL_NAMES, GENERATOR_NAMES, type ForecastJob, type ForecastModelName, type GeneratorId } from '../../protocol/forecast';

const MODEL_DETAIL: Record<ForecastModelName, string> = {
  linear: 'autoregressive linear over tau lags, least squares in closed form',
  'linear-sgd': 'the same linear model trained by minibatch SGD',
  mlp: 'an MLP over tau lags',
  rnn: 'a vanilla RNN regressor over x_t (latent state)',
  gru: 'a GRU regressor over x_t',
  lstm: 'an LSTM regressor over x_t',
};

const GENERATOR_DETAIL: Record<GeneratorId, string> = {
  sine: 'sin(0.01 t) + N(0, 0.2²), T = 1000, 600 for training: the chapter’s series',
  sines: 'a sum of two sines with noise (period 40)',
  walk: 'a Gaussian random walk: the last value is the best forecast',
  logistic: 'the logistic map at r = 3.9: chaos',
};

async function pickModel(): Promise<{ model: ForecastModelName; head?: 'mse' | 'gaussian' } | undefined> {
  const items = [
    ...FORECAST_MODEL_NAMES.map((m) => ({ label: m, detail: MODEL_DETAIL[m], model: m, head: undefined as 'gaussian' | undefined })),
    ...(['mlp', 'gru', 'lstm'] as const).map((m) => ({
      label: `${m} + Gaussian head`,
      detail: `${MODEL_DETAIL[m]}, with a 95% predictive interval`,
      model: m,
      head: 'gaussian' as const,
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Forecast: model', placeHolder: 'Which model forecasts the series?' });
  return picked && { model: picked.model, ...(picked.head ? { head: picked.head } : {}) };
}

async function askNumber(title: string, value: string, check: (n: number) => string | undefined): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    value,
    validateInput: (v) => (Number.isFinite(Number(v)) && v.trim() !== '' ? check(Number(v)) : 'Enter a number.'),
  });
  return text === undefined ? undefined : Number(text);
}

const wholeIn = (lo: number, hi: number) => (n: number) => (Number.isInteger(n) && n >= lo && n <= hi ? undefined : `A whole number from ${lo} to ${hi}.`);

/** The forecast of a table file's columns; undefined when cancelled. Throws SeqLabError when the file is refused before any question. */
export async function askTableJob(file: string, maxBytes: number, backend: ForecastJob['backend']): Promise<ForecastJob | undefined> {
  const peek = peekTable(file, maxBytes);
  const numericCount = peek.numeric.filter(Boolean).length;
  if (!numericCount)
    throw new SeqLabError('TABLE_NOT_NUMERIC', `${path.basename(file)} has no numeric column in its first rows.`, 'Forecasting needs a column of numbers, one per line.');
  const columns = await vscode.window.showQuickPick(
    peek.columns.map((c, j) => ({
      label: c,
      description: peek.numeric[j] ? 'numeric' : 'not numeric',
      picked: peek.numeric[j] && j > 0 ? true : peek.numeric[j] && numericCount === 1,
    })),
    { title: 'Forecast: columns to forecast (x_t)', canPickMany: true, placeHolder: 'One or more numeric columns' },
  );
  if (!columns?.length) return undefined;
  const chosen = columns.map((c) => c.label);
  const timeItems = [{ label: '(none)', description: 'rows are in time order' }, ...peek.columns.filter((c) => !chosen.includes(c)).map((c) => ({ label: c, description: '' }))];
  const time = await vscode.window.showQuickPick(timeItems, { title: 'Forecast: time column (optional)', placeHolder: 'A column that labels the rows, left out of x_t' });
  if (!time) return undefined;
  const trainFraction = await askNumber('Forecast: fraction of rows to train on (the rest is predicted)', '0.6', (n) =>
    n > 0 && n < 1 ? undefined : 'A fraction between 0 and 1, e.g. 0.6.',
  );
  if (trainFraction === undefined) return undefined;
  const model = await pickModel();
  if (!model) return undefined;
  const tau = await askNumber('Forecast: tau, the lags a linear or MLP model sees', '4', wholeIn(1, 256));
  if (tau === undefined) return undefined;
  return {
    file,
    columns: chosen,
    ...(time.label !== '(none)' ? { timeColumn: time.label } : {}),
    trainFraction,
    tau,
    ...model,
    backend,
    maxBytes,
  };
}

/** The forecast of a built-in series; undefined when cancelled. */
export async function askGeneratedJob(backend: ForecastJob['backend']): Promise<ForecastJob | undefined> {
  const g = await vscode.window.showQuickPick(
    GENERATOR_NAMES.map((name) => ({ label: name, detail: GENERATOR_DETAIL[name] })),
    { title: 'Forecast a generated series', placeHolder: 'Which series?' },
  );
  if (!g) return undefined;
  const model = await pickModel();
  if (!model) return undefined;
  return { generate: g.label as GeneratorId, ...model, backend };
}
