/**
 * End to end, as a person: right-click the text file, "Run an Experiment on File…", pick the "Why LSTM
 * and GRU?" preset, and watch the experiment in the Sequence Lab sidebar until its three runs are done;
 * experiment.json names the three runs, each completed. The workspace's settings are shrunk for this
 * test (as a person would, in .vscode/settings.json) and put back afterwards.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import type { ExperimentRecord } from '../../src/core/experiments/experimentRecord';
import { FIXTURE_FILE } from '../harness/sampleWorkspace';
import { E2E_TRAINING_SETTINGS, session } from './hooks';
import { runRecord, until } from './runPanels';

/** Three runs of a few seconds each. */
const TINY_SETTINGS = {
  ...E2E_TRAINING_SETTINGS,
  'sequenceLab.hidden': 16,
  'sequenceLab.steps': 12,
  'sequenceLab.evalInterval': 4,
  'sequenceLab.evalTokens': 500,
  'sequenceLab.sampleInterval': 0,
  'sequenceLab.checkpointInterval': 0,
};

function experiments(workspace: string): ExperimentRecord[] {
  const dir = path.join(workspace, '.seqlab', 'experiments');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((id) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, id, 'experiment.json'), 'utf8')) as ExperimentRecord;
      } catch {
        return undefined;
      }
    })
    .filter((e): e is ExperimentRecord => !!e);
}

describe('an experiment preset from the explorer, in the workbench', function () {
  this.timeout(420_000);
  let settingsFile: string;

  let started: ExperimentRecord | undefined;

  /** Cancels a running experiment from the palette, as a person would ("Sequence Lab: Cancel Experiment", then pick it). */
  async function cancelFromPalette(id: string): Promise<void> {
    const { driver, workspace } = session();
    const name = experiments(workspace).find((e) => e.id === id)?.name ?? '';
    await driver.runCommand('Sequence Lab: Cancel Experiment');
    const option = driver.page.locator('.quick-input-widget .quick-input-list').getByRole('option', { name }).first();
    await option.waitFor({ timeout: 15_000 });
    await option.click();
    await until(
      `experiment ${id} to be cancelled`,
      () => experiments(workspace).find((e) => e.id === id)?.state,
      (state) => state === 'cancelled',
      60_000,
    );
  }

  before(() => {
    const { workspace } = session();
    settingsFile = path.join(workspace, '.vscode', 'settings.json');
    fs.writeFileSync(settingsFile, JSON.stringify(TINY_SETTINGS, null, 2));
  });

  after(async () => {
    // A failed test must not leave the experiment training the rest of its runs into the next tests.
    const { workspace } = session();
    if (started && experiments(workspace).find((e) => e.id === started!.id)?.state === 'running') await cancelFromPalette(started.id);
    fs.writeFileSync(settingsFile, JSON.stringify(E2E_TRAINING_SETTINGS, null, 2));
  });

  it('runs "Why LSTM and GRU?" to the end and lists it in the sidebar with its runs done', async () => {
    const { driver, workspace } = session();
    // The workbench reads the changed settings file when its watcher fires, which can take seconds on a
    // busy machine: an experiment started before that (on 100,000 steps) is cancelled from the palette and started again.
    for (let attempt = 1; ; attempt++) {
      const before = new Set(experiments(workspace).map((e) => e.id));
      await driver.explorerContextMenu(FIXTURE_FILE, 'Run an Experiment on File…');
      const item = driver.page
        .locator('.quick-input-widget .quick-input-list')
        .getByRole('option', { name: /Why LSTM and GRU\?/ })
        .first();
      await item.waitFor({ timeout: 15_000 });
      await item.click();
      started = await until(
        'a new experiment.json',
        () => experiments(workspace).find((e) => !before.has(e.id)),
        (e) => e !== undefined,
        30_000,
      );
      if (started!.base.steps === TINY_SETTINGS['sequenceLab.steps']) break;
      assert.ok(attempt < 4, `the workbench did not apply the test's settings (steps ${started!.base.steps})`);
      await cancelFromPalette(started!.id);
      await driver.page.waitForTimeout(5_000);
    }
    assert.equal(started!.presetId, 'lstm-gru');
    assert.deepEqual(
      started!.runs.map((r) => r.label),
      ['RNN', 'GRU', 'LSTM'],
    );

    await driver.showViewContainer('Sequence Lab');
    const sidebar: Frame = await driver.webviewFrame(`[data-testid="experiment-item"][data-experiment-id="${started!.id}"]`, 60_000);
    const entry = sidebar.locator(`[data-testid="experiment-item"][data-experiment-id="${started!.id}"]`).first();
    assert.match(await entry.innerText(), /Why LSTM and GRU\?/);

    const done = await until(
      `experiment ${started!.id} to complete`,
      () => experiments(workspace).find((e) => e.id === started!.id),
      (e) => e?.state === 'completed',
      360_000,
    );
    assert.deepEqual(
      done!.runs.map((r) => r.state),
      ['completed', 'completed', 'completed'],
    );
    const cells = done!.runs.map((r) => runRecord(workspace, r.runId!)?.config.cell);
    assert.deepEqual(cells, ['rnn', 'gru', 'lstm']);
    // The sidebar follows: completed, 3 of 3 runs done.
    await until(
      'the sidebar entry to show the experiment completed',
      async () => [await entry.getAttribute('data-state', { timeout: 2_000 }), await entry.locator('.experiment-progress').innerText({ timeout: 2_000 })],
      ([state, progress]) => state === 'completed' && progress === '3/3 runs done',
      30_000,
    );
  });
});
