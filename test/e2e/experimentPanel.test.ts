/**
 * End to end, as a person: an experiment in the workspace (two tiny runs, RNN and LSTM, trained by the
 * command line's `experiment`, recorded as the "Why LSTM and GRU?" preset), opened from the command
 * palette. Read from the rendered webview: the header with the preset's question and answer, every
 * figure of the results table against the run folders' own files, the loss curves of both runs, the
 * gradient maps on one colour scale, the samples at one step, and "Open as Markdown" as an untitled editor.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { readExperiment, writeExperiment, type ExperimentRecord } from '../../src/core/experiments/experimentRecord';
import { presetById } from '../../src/core/experiments/presets';
import { FIXTURE_FILE } from '../harness/sampleWorkspace';
import { expectedCells } from '../unit/experimentPanelFigures';
import { session } from './hooks';
import { runsDir, until } from './runPanels';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const TINY = ['--hidden', '16', '--batch', '8', '--window', '16', '--steps', '30', '--eval-interval', '10', '--eval-tokens', '1000', '--grad-map-interval', '5'];

describe('the experiment panel, in the workbench', function () {
  this.timeout(300_000);
  let record: ExperimentRecord;
  let panel: Frame | undefined;
  const frame = (): Frame => {
    if (!panel) throw new Error('no experiment panel (see the first failure)');
    return panel;
  };

  before(() => {
    const { workspace } = session();
    const r = spawnSync(
      process.execPath,
      [CLI, 'experiment', FIXTURE_FILE, '--vary', 'cell=rnn,lstm', ...TINY, '--sample-interval', '10', '--sample-length', '30', '--quiet', '--json'],
      {
        cwd: workspace,
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const dir = JSON.parse(r.stdout.trim()).experimentDir as string;
    const read = readExperiment(dir);
    assert.ok(read.ok, read.ok ? '' : read.reason);
    // As the "Why LSTM and GRU?" preset records its runs: labelled by the preset's values.
    record = { ...read.record, name: 'Why LSTM and GRU? (e2e)', presetId: 'lstm-gru', runs: read.record.runs.map((x) => ({ ...x, label: x.label.toUpperCase() })) };
    writeExperiment(dir, record);
  });

  it('opens from the command palette, with the preset’s question and answer', async () => {
    const { driver } = session();
    await driver.runCommand('Sequence Lab: Show Experiment...');
    const item = driver.page.locator('.quick-input-widget .quick-input-list').getByRole('option', { name: record.name }).first();
    await item.waitFor({ timeout: 15_000 });
    await item.click();
    panel = await driver.waitForFrame('the experiment panel', async (f) => (await f.locator('[data-testid="results-row"]').count()) === 2, 90_000);
    const text = (id: string) => frame().locator(`[data-testid="${id}"]`).first().innerText();
    assert.equal(await text('experiment-name'), record.name);
    const preset = presetById('lstm-gru')!;
    assert.equal(await text('experiment-question'), preset.question);
    assert.match(await text('experiment-answer'), /^Memory horizons \(steps\): RNN \d+, GRU \?, LSTM \d+;/);
    assert.match(await text('experiment-status'), /completed · 2\/2 runs done/);
  });

  it('shows every figure of the results table as the run folders record it', async () => {
    const { workspace } = session();
    const rows = await frame()
      .locator('[data-testid="results-row"]')
      .evaluateAll((trs) => trs.map((tr) => Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children, (c) => c.textContent ?? '')));
    assert.deepEqual(
      rows,
      record.runs.map((x) => expectedCells(path.join(runsDir(workspace), x.runId!), x.label, 'completed')),
    );
  });

  it('draws both runs’ loss curves, their gradient maps on one colour scale, and samples at one step', async () => {
    const f = frame();
    assert.equal(await f.locator('[data-testid="compare-chart"]').getAttribute('data-series'), '2');
    const maps = await f.locator('[data-testid="experiment-map"]').evaluateAll((els) => els.map((e) => ({ ...(e as unknown as { dataset: Record<string, string> }).dataset })));
    assert.equal(maps.length, 2);
    for (const m of maps) assert.ok(Number(m.columns) > 0, `a map has columns: ${JSON.stringify(m)}`);
    assert.equal(maps[0].min, maps[1].min, 'one colour scale: the same minimum');
    assert.equal(maps[0].max, maps[1].max, 'one colour scale: the same maximum');
    const steps = await f.locator('[data-testid="experiment-sample"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-step')));
    assert.equal(steps.length, 2);
    assert.ok(Number(steps[0]) > 0 && steps[1] === steps[0], `one step for both samples: ${steps.join(', ')}`);
  });

  it('opens the table as an untitled Markdown document', async () => {
    const { driver } = session();
    await frame().locator('[data-testid="export-markdown-document"]').first().click();
    await until(
      'an untitled editor with the results table',
      // The editor draws spaces as no-break spaces.
      async () => (await driver.page.locator('.editor-instance .monaco-editor .view-lines').allInnerTexts()).join('\n').replace(/\u00a0/g, ' '),
      (t) => t.includes('best val loss (nats)') && t.includes('| RNN | completed |'),
      60_000,
    );
    // Closed unsaved, as a person done reading it would: left open, a later "Close All Editors" would
    // stop the whole workbench at its "save changes?" dialog.
    await driver.runCommand('View: Revert and Close Editor');
    await driver.page.locator('.editor-instance .monaco-editor .view-lines', { hasText: 'best val loss (nats)' }).waitFor({ state: 'detached', timeout: 30_000 });
  });
});
