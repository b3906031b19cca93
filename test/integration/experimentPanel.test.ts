/**
 * The experiment panel inside a real extension host: two tiny runs trained with the existing command
 * (one of them diverging), an experiment.json written with writeExperiment naming them and a run not
 * started yet, then sequenceLab.showExperiment. The panel's title follows the experiment as its runs
 * end (run events) and as experiment.json changes (the file watcher); one panel per experiment; ids
 * that are not plain names or folders that are links are refused and open nothing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { EXPERIMENTS_FOLDER, writeExperiment, type ExperimentRecord } from '../../src/core/experiments/experimentRecord';
import type { RunState } from '../../src/protocol/types';
import { eventually, runsDir, workspaceFolder } from './support';

const TINY = {
  hidden: 16,
  batch: 8,
  window: 16,
  steps: 40,
  seed: 1,
  evalInterval: 10,
  evalTokens: 1000,
  gradMapInterval: 5,
  sampleInterval: 10,
  sampleLength: 30,
  checkpointInterval: 0,
};
const ENDED: readonly RunState[] = ['completed', 'stopped', 'diverged', 'failed', 'interrupted'];

/** The webview tabs of experiment panels, by label. */
function experimentTabs(): string[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('sequenceLab.experimentPanel'))
    .map((t) => t.label);
}

async function runState(runId: string): Promise<RunState | undefined> {
  try {
    return (JSON.parse(await fs.promises.readFile(path.join(runsDir(), runId, 'run.json'), 'utf8')) as { state: RunState }).state;
  } catch {
    return undefined;
  }
}

describe('the experiment panel', function () {
  this.timeout(300_000);
  const id = `itest-${Date.now()}`;
  let dir: string;
  let record: ExperimentRecord;
  const runIds: string[] = [];

  before(async () => {
    const file = vscode.Uri.file(path.join(workspaceFolder(), 'timemachine-excerpt.txt'));
    for (const patch of [
      { cell: 'lstm', lr: 0.01, clip: 1 },
      { cell: 'rnn', optimizer: 'adam', lr: 10, clip: 0 },
    ]) {
      const runId = await vscode.commands.executeCommand<string | undefined>('sequenceLab.trainWithSettings', file, { ...TINY, ...patch });
      assert.ok(runId, 'a run started');
      runIds.push(runId);
    }
    dir = path.join(workspaceFolder(), EXPERIMENTS_FOLDER, id);
    record = {
      format: 'sequence-lab-experiment',
      version: 1,
      id,
      name: 'LSTM against an exploding RNN',
      createdAt: new Date().toISOString(),
      files: [file.fsPath],
      base: { ...DEFAULT_CONFIG, ...TINY },
      vary: [{ name: 'model', values: ['LSTM', 'RNN lr 10', 'GRU'].map((label) => ({ label, patch: {} })) }],
      runs: [
        { label: 'LSTM', values: { model: 'LSTM' }, runId: runIds[0] },
        { label: 'RNN lr 10', values: { model: 'RNN lr 10' }, runId: runIds[1] },
        { label: 'GRU', values: { model: 'GRU' } },
      ],
      state: 'running',
    };
    writeExperiment(dir, record);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(workspaceFolder(), EXPERIMENTS_FOLDER, 'linked'), { force: true });
    for (const runId of runIds) {
      if (!ENDED.includes((await runState(runId)) ?? 'completed')) await vscode.commands.executeCommand('sequenceLab.stop', runId);
      await vscode.commands.executeCommand('sequenceLab.deleteRun', runId, { confirm: false });
    }
  });

  it('opens one panel for the experiment, and follows its runs as they end', async () => {
    assert.equal(await vscode.commands.executeCommand('sequenceLab.showExperiment', id), id);
    await eventually(
      () => `an experiment tab (tabs: ${experimentTabs().join(', ')})`,
      () => (experimentTabs().some((l) => l.startsWith(record.name)) ? true : undefined),
    );
    // Both runs end (the RNN diverges): the panel re-reads on the run events, and counts them done.
    for (const runId of runIds)
      await eventually(
        () => `run ${runId} to end`,
        async () => (ENDED.includes((await runState(runId)) ?? 'queued') ? true : undefined),
        180_000,
      );
    assert.equal(await runState(runIds[1]), 'diverged');
    await eventually(
      () => `the panel to count 2 of 3 runs done (tabs: ${experimentTabs().join(', ')})`,
      () => (experimentTabs().includes(`${record.name} (2/3)`) ? true : undefined),
    );
    // Asking again reveals the same panel.
    assert.equal(await vscode.commands.executeCommand('sequenceLab.showExperiment', id), id);
    assert.equal(experimentTabs().length, 1);
  });

  it('follows experiment.json as it changes on disk', async () => {
    writeExperiment(dir, { ...record, name: 'Renamed experiment', runs: record.runs.slice(0, 2), state: 'cancelled' });
    await eventually(
      () => `the panel to show the new name and two runs (tabs: ${experimentTabs().join(', ')})`,
      () => (experimentTabs().includes('Renamed experiment (2/2)') ? true : undefined),
    );
  });

  it('refuses ids that are not plain names, experiments that do not exist, and linked folders, opening nothing', async () => {
    fs.symlinkSync(dir, path.join(workspaceFolder(), EXPERIMENTS_FOLDER, 'linked'));
    for (const bad of ['../runs', 'a/b', '..', 'no-such-experiment', 'linked', 42]) {
      assert.equal(await vscode.commands.executeCommand('sequenceLab.showExperiment', bad), undefined, String(bad));
    }
    assert.equal(experimentTabs().length, 1);
  });
});
