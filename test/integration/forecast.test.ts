/**
 * Forecasting through the extension's commands, in a real extension host: a generated series and a
 * CSV's columns forecast in the worker, each landing in the run store as a forecast run with its panel
 * open; then every kind of bad table refused with its own message and no run folder created.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, runIds, runsDir, workspaceFolder } from './support';

type Outcome = { runId: string; runDir: string; testMse: Record<string, number> } | { error: string; code?: string; created: boolean };

function write(name: string, text: string): vscode.Uri {
  const file = path.join(workspaceFolder(), 'forecast-fixtures', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return vscode.Uri.file(file);
}

const column = (n: number, f: (t: number) => number) => Array.from({ length: n }, (_, t) => `${t},${f(t).toFixed(4)}`).join('\n');

function forecastTabs(): number {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label.startsWith('Forecast: ')).length;
}

describe('forecasting numeric sequences', function () {
  this.timeout(180_000);

  after(() => fs.rmSync(path.join(workspaceFolder(), 'forecast-fixtures'), { recursive: true, force: true }));

  it('Forecast a Generated Series (the chapter’s sine, linear AR): a forecast run in the store, its panel open', async () => {
    const tabs = forecastTabs();
    const out = await vscode.commands.executeCommand<Outcome>('sequenceLab.forecastGenerated', { generate: 'sine', model: 'linear' });
    assert.ok(out && 'runDir' in out, JSON.stringify(out));
    const record = JSON.parse(fs.readFileSync(path.join(out.runDir, 'run.json'), 'utf8')) as { kind: string; state: string };
    assert.equal(record.kind, 'forecast');
    assert.equal(record.state, 'completed');
    assert.ok(out.testMse['1'] > 0.04 && out.testMse['1'] < 0.07, JSON.stringify(out.testMse));
    assert.ok(fs.statSync(path.join(out.runDir, 'forecast.json')).size > 1000);
    // The panel's tab reaches the tab model a moment after the panel is made.
    await eventually(
      () => `a new forecast tab (${forecastTabs()} of them, ${tabs} before)`,
      () => (forecastTabs() === tabs + 1 ? true : undefined),
      10_000,
    );
  });

  it('Forecast Columns on a CSV with a GRU: trained in the worker, logs and checkpoint in the run folder', async () => {
    const csv = write('wave.csv', `t,v\n${column(300, (t) => Math.sin(t / 5) + 0.1 * Math.cos(t * 7.3))}\n`);
    const out = await vscode.commands.executeCommand<Outcome>('sequenceLab.forecastColumns', csv, {
      columns: ['v'],
      timeColumn: 't',
      model: 'gru',
      hidden: 8,
      window: 8,
      steps: 30,
      trainFraction: 0.7,
    });
    assert.ok(out && 'runDir' in out, JSON.stringify(out));
    assert.deepEqual(Object.keys(out.testMse), ['1', '4', '16', '64']);
    assert.equal(fs.readFileSync(path.join(out.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 30);
    assert.ok(fs.existsSync(path.join(out.runDir, 'forecast-checkpoint', 'weights.bin')));
  });

  const bad: [string, string, RegExp, Record<string, unknown>?][] = [
    ['missing.csv', `t,v\n${column(20, (t) => t % 7)}\n20,\n${column(20, (t) => t % 5)}\n`, /1 missing value, the first on line 22/],
    ['words.csv', `t,v\n${column(20, (t) => t % 7)}\n20,twelve\n`, /"twelve" is not a number/],
    ['flat.csv', `t,v\n${column(30, () => 2)}\n`, /is constant/],
    ['single.csv', 't,v\n1,2\n', /1 data row/],
    ['header.csv', 't,v\n', /has a header but no data rows/],
    ['mixed.csv', `t,v\n${column(10, (t) => t)}\n11;3\n`, /mixed delimiters/],
  ];
  for (const [name, text, message, options] of bad) {
    it(`${name} is refused with its reason and nothing is created`, async () => {
      const before = runIds().length;
      const out = await vscode.commands.executeCommand<Outcome>('sequenceLab.forecastColumns', write(name, text), { columns: ['v'], model: 'linear', tau: 2, ...options });
      assert.ok(out && 'error' in out, JSON.stringify(out));
      assert.match(out.error, message);
      assert.equal(out.created, false);
      assert.equal(runIds().length, before);
    });
  }

  it('missing values forecast once interpolation is asked for', async () => {
    const out = await vscode.commands.executeCommand<Outcome>(
      'sequenceLab.forecastColumns',
      write('missing.csv', `t,v\n${column(40, (t) => Math.sin(t))}\n40,\n${column(40, (t) => Math.cos(t))}\n`),
      {
        columns: ['v'],
        model: 'linear',
        tau: 2,
        interpolate: true,
      },
    );
    assert.ok(out && 'runDir' in out, JSON.stringify(out));
  });

  it('a 1 GB file is refused by its size before it is read', async () => {
    const file = path.join(workspaceFolder(), 'forecast-fixtures', 'huge.csv');
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, 1024 ** 3);
    fs.closeSync(fd);
    const before = runIds().length;
    const started = Date.now();
    const out = await vscode.commands.executeCommand<Outcome>('sequenceLab.forecastColumns', vscode.Uri.file(file), { columns: ['v'], model: 'linear' });
    assert.ok(out && 'error' in out && /huge.csv is 1024 MB, above the limit of 50 MB/.test(out.error), JSON.stringify(out));
    assert.ok(Date.now() - started < 5000, 'refused at once, without reading');
    assert.equal(runIds().length, before);
    assert.ok(fs.existsSync(runsDir()));
  });
});
