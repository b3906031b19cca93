/**
 * Forecasts in the run store: the run folder the worker and `forecast --save` write, read back by the
 * checked readers beside text runs; a refused input creates nothing; the table peek the column picker uses.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { checkRunRecord, readRunJson } from '../../src/core/runFolderReader';
import { listRuns, readRunFolder, summarize } from '../../src/core/runFiles';
import { checkForecastRecord, readForecastRecord } from '../../src/core/series/forecastRecord';
import { forecastRun } from '../../src/core/series/forecastRun';
import { loadRegressorCheckpoint } from '../../src/core/series/regressorCheckpoint';
import { peekTable } from '../../src/core/series/table';
import { modelLabel } from '../../src/webview/lib/runLabels';
import { useBackend } from './helpers';

describe('numeric sequences: forecast runs in the run store', function () {
  let dir: string;
  let runsDir: string;
  before(() => useBackend('wasm'));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-fr-'));
    runsDir = path.join(dir, '.seqlab', 'runs');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a GRU forecast writes a run the checked readers accept as kind "forecast", with its logs, forecast.json and checkpoint', async () => {
    const created: string[] = [];
    const { runDir, result } = await forecastRun(
      { generate: 'sine', model: 'gru', network: { hidden: 8, window: 8, steps: 20, batch: 8, evalInterval: 10, gradMapInterval: 10 }, runsDir },
      { onCreated: (d) => created.push(d) },
    );
    assert.deepEqual(created, [runDir]);
    const record = readRunJson(runDir);
    assert.ok(record.ok, record.ok ? '' : record.reason);
    assert.equal(record.record.kind, 'forecast');
    assert.equal(record.record.state, 'completed');
    assert.equal(record.record.config.cell, 'gru');
    assert.equal(summarize(record.record).kind, 'forecast');
    assert.match(modelLabel(summarize(record.record)), /^forecast · GRU/, 'the sidebar tells it from a text run');
    const history = readRunFolder(runDir);
    assert.ok(history.ok);
    assert.equal(history.record.metrics.length, 20);
    assert.deepEqual(
      history.record.evals.map((e) => e.step),
      [10, 20],
    );
    assert.equal(history.record.gradMaps[0].hiddenGradNorms[0].length, 8);
    const f = await readForecastRecord(runDir);
    assert.equal(f.values.length, 1000);
    assert.equal(f.oneStep.length, 400);
    assert.deepEqual(f.test_mse, result.test_mse);
    const { model, checkpoint } = loadRegressorCheckpoint(path.join(runDir, 'forecast-checkpoint'));
    assert.equal(checkpoint.step, 20);
    model.dispose();
    assert.equal(listRuns(runsDir).length, 1);
  });

  it('a refused input creates nothing: not the run folder, not .seqlab', async () => {
    const csv = path.join(dir, 'gaps.csv');
    fs.writeFileSync(csv, 't,v\n1,1\n2,\n3,3\n4,2\n5,6\n6,1\n7,4\n8,2\n9,5\n10,3\n11,1\n12,2\n');
    await assert.rejects(forecastRun({ file: csv, model: 'linear', tau: 2, runsDir }), /missing value/);
    assert.ok(!fs.existsSync(path.join(dir, '.seqlab')));
    const { result } = await forecastRun({ file: csv, table: { interpolate: true, timeColumn: 't' }, model: 'linear', tau: 1, trainFraction: 0.8, runsDir });
    assert.ok(Number.isFinite(result.test_mse['1']));
  });

  it('run.json: an old run without a kind is a text run, an unknown kind is refused with its reason', () => {
    const base = {
      id: 'r1',
      name: 'x',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: 'now',
      files: [],
      config: {},
      state: 'completed',
      step: 0,
      durationMs: 0,
      checkpoints: [],
    };
    const old = checkRunRecord({ ...base, config: { ...DEFAULT_CONFIG } });
    assert.ok(old.ok, old.ok ? '' : old.reason);
    assert.equal(old.record.kind, undefined);
    const bad = checkRunRecord({ ...base, config: { ...DEFAULT_CONFIG }, kind: 'spreadsheet' });
    assert.ok(!bad.ok && /kind must be one of text, forecast/.test(bad.reason), bad.ok ? '' : bad.reason);
  });

  it('forecast.json is checked: wrong lengths and non-finite numbers are refused', () => {
    const good = {
      version: 1,
      source: 's',
      columns: ['a'],
      model: 'linear',
      head: 'mse',
      length: 4,
      trainLength: 2,
      values: [1, 2, 3, 4],
      oneStep: [3, 4],
      kStep: { 1: [3, 4] },
      freeRun: [3, 3],
      test_mse: { 1: 0 },
      baseline_mse: { last_value: { 1: 1 } },
      free_run_mse: 0.5,
    };
    assert.equal(checkForecastRecord(good).length, 4);
    assert.throws(() => checkForecastRecord({ ...good, oneStep: [1] }), /oneStep must be 2 numbers/);
    assert.throws(() => checkForecastRecord({ ...good, values: [1, 2, 3, null] }), /values\[3\] must be a finite number/);
    assert.throws(() => checkForecastRecord({ ...good, kStep: { 'x;': [3, 4] } }), /keyed by horizons/);
  });

  it('the column picker peeks at a table: numeric columns marked; a file above the limit is refused by its size, unread', () => {
    const csv = path.join(dir, 'a.csv');
    fs.writeFileSync(csv, 'day,city,load\n1,Oslo,3.5\n2,Oslo,NA\n3,Bergen,4\n');
    assert.deepEqual(peekTable(csv), { columns: ['day', 'city', 'load'], numeric: [true, false, true] });
    const big = path.join(dir, 'huge.csv');
    const fd = fs.openSync(big, 'w');
    fs.ftruncateSync(fd, 1024 ** 3); // 1 GB, sparse
    fs.closeSync(fd);
    assert.throws(() => peekTable(big, 50 * 1024 * 1024), /huge.csv is 1024 MB, above the limit of 50 MB: it was not read/);
  });
});
