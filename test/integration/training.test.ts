/**
 * Training through the extension's commands, as the views and a person drive it: a short run on the
 * fixture file from the settings, the run folder it leaves, stop, resume, pause, sampling, inspection,
 * comparison, queueing, bad files and deletion. Each step is checked on disk, where the run lives.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../src/core/runFiles';
import { readRunHistoryAsync } from '../../src/host/runs/runListing';
import { readRunLock } from '../../src/host/runs/runLock';
import type { RunState } from '../../src/protocol/types';
import { eventually, runsDir, sleep, workspaceFolder } from './support';

const FIXTURE = 'timemachine-excerpt.txt';
/** Small enough to train in seconds on one core, big enough that the loss must fall. */
const QUICK: Record<string, unknown> = {
  hidden: 32,
  batch: 8,
  window: 16,
  steps: 60,
  lr: 0.01,
  clip: 1,
  seed: 1,
  evalInterval: 20,
  evalTokens: 2000,
  gradMapInterval: 5,
  sampleInterval: 20,
  sampleLength: 40,
  checkpointInterval: 20,
};
const ENDED: readonly RunState[] = ['completed', 'stopped', 'diverged', 'failed', 'interrupted'];

function fixture(name = FIXTURE): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceFolder(), name));
}

/**
 * The run's record as on disk. Read asynchronously: this code runs in the extension host whose event
 * loop is measured while a run trains, and a test's work must not count as the host's.
 */
async function record(runId: string): Promise<RunRecord | undefined> {
  try {
    const r = JSON.parse(await fs.promises.readFile(path.join(runsDir(), runId, 'run.json'), 'utf8')) as RunRecord;
    return typeof r.id === 'string' && r.config ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The run's history as on disk (asynchronous, as `record`). */
async function history(runId: string) {
  const h = await readRunHistoryAsync(path.join(runsDir(), runId));
  assert.ok(h, `run ${runId}: run.json is missing or unreadable`);
  return h;
}

function waitForState(runId: string, states: readonly RunState[], timeoutMs = 120_000): Promise<RunRecord> {
  let last: RunRecord | undefined;
  return eventually(
    () => `run ${runId} to reach ${states.join(' or ')} (now ${last?.state})`,
    async () => {
      const r = (last = await record(runId));
      return r && states.includes(r.state) ? r : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the run has trained past `step` (its record is rewritten as it trains). */
function waitForStep(runId: string, step: number, timeoutMs = 120_000): Promise<RunRecord> {
  let last: RunRecord | undefined;
  return eventually(
    () => `run ${runId} to pass step ${step} (now ${last?.step}, ${last?.state})`,
    async () => {
      const r = (last = await record(runId));
      if (r && ENDED.includes(r.state) && r.state !== 'completed') throw new Error(`run ${runId} ended early: ${r.state} ${r.reason ?? ''}`);
      return r && r.step > step ? r : undefined;
    },
    timeoutMs,
  );
}

async function train(command: string, ...args: unknown[]): Promise<string> {
  const runId = await vscode.commands.executeCommand<string | undefined>(command, ...args);
  assert.ok(typeof runId === 'string' && runId, `${command} started no run`);
  return runId;
}

async function stopIfLive(runId: string | undefined): Promise<void> {
  if (!runId) return;
  const r = await record(runId);
  if (r && !ENDED.includes(r.state)) {
    await vscode.commands.executeCommand('sequenceLab.stop', runId);
    await waitForState(runId, ENDED, 60_000);
  }
}

describe('training through the commands', function () {
  this.timeout(300_000);
  let completed: string;

  before(async () => {
    const settings = vscode.workspace.getConfiguration('sequenceLab');
    for (const [key, value] of Object.entries(QUICK)) await settings.update(key, value, vscode.ConfigurationTarget.Workspace);
  });

  it('trains on a file with the settings as they are, to completion', async () => {
    completed = await train('sequenceLab.trainOnFile', fixture());
    const done = await waitForState(completed, ENDED);
    assert.equal(done.state, 'completed', `run ended ${done.state}: ${done.reason ?? ''}`);
    assert.equal(done.step, QUICK.steps);
    assert.deepEqual(done.files, [fixture().fsPath]);
    assert.equal(done.config.hidden, QUICK.hidden, 'the workspace settings did not reach the run');
  });

  it('leaves a complete run folder: record, logs, gradient maps, samples, checkpoints, README', async () => {
    const dir = path.join(runsDir(), completed);
    const { record: r, metrics, evals, gradMaps, samples } = await history(completed);
    assert.equal(metrics.length, QUICK.steps, 'one metric point per step');
    assert.deepEqual(
      metrics.map((m) => m.step),
      Array.from({ length: Number(QUICK.steps) }, (_, i) => i + 1),
    );
    assert.ok(metrics.every((m) => Number.isFinite(m.loss) && Number.isFinite(m.gradNorm) && m.tokensPerSec > 0));
    assert.ok(evals.length >= 3, `expected an evaluation every ${QUICK.evalInterval} steps, got ${evals.length}`);
    assert.ok(r.info, 'the run records its facts (backend, vocabulary, parameters)');
    const last = evals[evals.length - 1];
    assert.ok(last.valLoss < r.info.uniformLoss, `validation loss ${last.valLoss} did not fall below a uniform guess (${r.info.uniformLoss})`);
    assert.ok(gradMaps.length >= 10, `expected a gradient map every ${QUICK.gradMapInterval} steps, got ${gradMaps.length}`);
    for (const map of gradMaps) {
      assert.equal(map.hiddenGradNorms.length, r.config.layers);
      assert.equal(map.hiddenGradNorms[0].length, QUICK.window, 'one norm per time step of the window');
      assert.ok(map.hiddenGradNorms.flat().every((v) => Number.isFinite(v) && v >= 0));
    }
    assert.ok(samples.length >= 2, `expected samples every ${QUICK.sampleInterval} steps`);
    assert.ok(samples.every((s) => typeof s.text === 'string' && s.text.length > 0));
    assert.ok(r.checkpoints.length >= 1, 'no checkpoint recorded');
    for (const c of r.checkpoints) assert.ok(fs.existsSync(path.join(dir, c.path)), `checkpoint folder ${c.path} is missing`);
    assert.match(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), /Sequence Lab run/);
  });

  it('samples text from the trained run', async () => {
    const text = await vscode.commands.executeCommand<string | undefined>('sequenceLab.sample', completed, { prompt: 'The Time ', length: 50, temperature: 0.8, seed: 3 });
    assert.equal(typeof text, 'string');
    assert.ok(text!.length >= 50, `expected at least 50 characters, got ${JSON.stringify(text)}`);
  });

  it('inspects a text with the trained model: one row per token, surprisal finite', async () => {
    const result = await vscode.commands.executeCommand<{ tokens: { token: string; surprisal?: number }[]; meanSurprisal: number } | undefined>(
      'sequenceLab.inspectText',
      completed,
      'The Time Traveller',
    );
    assert.ok(result, 'no inspection result');
    assert.equal(result.tokens.map((t) => t.token).join(''), 'The Time Traveller');
    assert.ok(Number.isFinite(result.meanSurprisal) && result.meanSurprisal > 0);
  });

  it('inspects the selected lines of an editor, and names them', async () => {
    const editor = await vscode.window.showTextDocument(fixture());
    // Lines 9 and 10 selected whole: the selection ends at column 0 of line 11, which holds none of it.
    editor.selection = new vscode.Selection(8, 0, 10, 0);
    const result = await vscode.commands.executeCommand<{ tokens: { token: string }[]; source: string } | undefined>('sequenceLab.inspectText', completed);
    assert.ok(result, 'no inspection result');
    assert.equal(result.source, `selection in ${FIXTURE}, lines 9-10`);
    assert.equal(result.tokens.map((t) => t.token).join(''), editor.document.getText(editor.selection));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('opens the panel and the run folder of a run', async () => {
    assert.equal(await vscode.commands.executeCommand('sequenceLab.openPanel', completed), completed);
    const webviewTabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
    assert.ok(webviewTabs.length >= 1, 'no webview tab after openPanel');
    const folder = await vscode.commands.executeCommand<string>('sequenceLab.openRunFolder', completed);
    assert.equal(folder, path.join(runsDir(), completed));
  });

  it('stops a long run within seconds, and resumes it from where it stopped', async () => {
    const runId = await train('sequenceLab.trainWithSettings', fixture(), { steps: 100_000 });
    try {
      await waitForStep(runId, 5);
      assert.equal(await vscode.commands.executeCommand('sequenceLab.stop', runId), true);
      const stopped = await waitForState(runId, ENDED, 30_000);
      assert.equal(stopped.state, 'stopped');
      assert.ok(stopped.checkpoints.length >= 1, 'a stopped run keeps a checkpoint to resume from');
      const stoppedAt = stopped.step;

      assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', runId), runId);
      const resumed = await waitForStep(runId, stoppedAt + 3);
      assert.equal(resumed.id, runId, 'resuming continues the same run');
      const steps = (await history(runId)).metrics.map((m) => m.step);
      assert.ok(
        steps.every((s, i) => i === 0 || s > steps[i - 1]),
        'metrics steps went backwards after resuming',
      );
    } finally {
      await stopIfLive(runId);
    }
  });

  it('pauses and resumes the training run', async () => {
    const runId = await train('sequenceLab.trainWithSettings', fixture(), { steps: 100_000 });
    try {
      await waitForStep(runId, 3);
      assert.equal(await vscode.commands.executeCommand('sequenceLab.pauseResume', runId), 'paused');
      await waitForState(runId, ['paused'], 30_000);
      const before = (await record(runId))!.step;
      await sleep(2000);
      assert.equal((await record(runId))!.step, before, 'a paused run went on training');
      assert.equal(await vscode.commands.executeCommand('sequenceLab.pauseResume', runId), 'training');
      await waitForStep(runId, before + 2);
    } finally {
      await stopIfLive(runId);
    }
  });

  it('queues a second run while one trains, then trains it', async () => {
    const first = await train('sequenceLab.trainWithSettings', fixture(), { steps: 100_000 });
    let second: string | undefined;
    try {
      await waitForStep(first, 2);
      second = await train('sequenceLab.trainWithSettings', fixture(), { cell: 'gru', steps: 10 });
      assert.equal((await record(second))?.state, 'queued');
      await vscode.commands.executeCommand('sequenceLab.stop', first);
      const done = await waitForState(second, ENDED);
      assert.equal(done.state, 'completed', `${done.state}: ${done.reason ?? ''}`);
      assert.equal(done.config.cell, 'gru');
    } finally {
      await stopIfLive(first);
      await stopIfLive(second);
    }
  });

  it('trains one model on several files matched by a glob', async () => {
    fs.writeFileSync(path.join(workspaceFolder(), 'second.txt'), 'It was a bright cold day in April, and the clocks were striking thirteen.\n'.repeat(80));
    const runId = await train('sequenceLab.trainOnFiles', '*.txt', { steps: 5 });
    const done = await waitForState(runId, ENDED);
    assert.equal(done.state, 'completed', `${done.state}: ${done.reason ?? ''}`);
    assert.deepEqual(done.files.map((f) => path.basename(f)).sort(), ['second.txt', FIXTURE]);
  });

  it('compares runs in the panel', async () => {
    const candidates = fs.readdirSync(runsDir()).filter((id) => id !== completed);
    const steps = await Promise.all(candidates.map(async (id) => (await record(id))?.step));
    const others = candidates.filter((_, i) => steps[i]);
    const ids = [completed, others[0]];
    assert.deepEqual(await vscode.commands.executeCommand('sequenceLab.compareRuns', ids), ids);
  });

  it('refuses an empty, a binary and a non-UTF-8 file before a run exists, and trains nothing on them', async () => {
    const bad: Record<string, Uint8Array | string> = {
      'empty.txt': '',
      'binary.txt': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3]),
      'latin1.txt': Buffer.from('caf\xe9 au lait '.repeat(100), 'latin1'),
    };
    const before = fs.readdirSync(runsDir()).length;
    for (const [name, content] of Object.entries(bad)) {
      fs.writeFileSync(path.join(workspaceFolder(), name), content);
      const runId = await vscode.commands.executeCommand<string | undefined>('sequenceLab.trainOnFile', fixture(name));
      assert.equal(runId, undefined, `${name}: a run was created`);
    }
    assert.equal(fs.readdirSync(runsDir()).length, before, 'no run folder was left behind');
  });

  it('keeps training when its file is deleted mid-run; resuming it is then refused and loses nothing', async () => {
    const name = 'deleted-while-training.txt';
    const file = path.join(workspaceFolder(), name);
    fs.copyFileSync(path.join(workspaceFolder(), FIXTURE), file);
    const runId = await train('sequenceLab.trainWithSettings', fixture(name), { steps: 100_000 });
    try {
      await waitForStep(runId, 3);
      fs.rmSync(file);
      // The text was read when training started: the run goes on.
      const later = await waitForStep(runId, (await record(runId))!.step + 3);
      assert.equal(later.state, 'training');
      assert.equal(await vscode.commands.executeCommand('sequenceLab.stop', runId), true);
      const stopped = await waitForState(runId, ENDED, 30_000);
      assert.equal(stopped.state, 'stopped');
      // Resuming would read the text again: refused, and the run and its checkpoints stay as they were.
      assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', runId), undefined);
      const after = (await record(runId))!;
      assert.equal(after.state, 'stopped');
      assert.equal(after.step, stopped.step);
      assert.ok(after.checkpoints.length >= 1 && after.checkpoints.every((c) => fs.existsSync(path.join(runsDir(), runId, c.path, 'checkpoint.json'))), 'checkpoints kept');
    } finally {
      await stopIfLive(runId);
    }
  });

  it('declines to resume on a text that changed since the checkpoint, leaving the run as it was; continuing as fine-tuning trains on', async () => {
    const name = 'changed-after-stop.txt';
    const file = path.join(workspaceFolder(), name);
    fs.copyFileSync(path.join(workspaceFolder(), FIXTURE), file);
    const runId = await train('sequenceLab.trainWithSettings', fixture(name), { steps: 100_000 });
    try {
      await waitForStep(runId, 3);
      assert.equal(await vscode.commands.executeCommand('sequenceLab.stop', runId), true);
      const stopped = await waitForState(runId, ENDED, 30_000);
      assert.equal(stopped.state, 'stopped');
      fs.appendFileSync(file, '\nA line that was not in the text when the run trained.\n');
      // The worker hashes the text, finds it changed, and declines: nothing trains, the run goes back to stopped.
      assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', runId), runId);
      const declined = await waitForState(runId, ['stopped'], 60_000);
      assert.equal(declined.step, stopped.step);
      assert.equal(declined.reason, stopped.reason, 'the run reads as it did before');
      assert.equal((await history(runId)).metrics.at(-1)?.step, stopped.step, 'no step was trained on the changed text');
      // "Continue as Fine-Tuning" (the notification's button) resumes with the new text accepted.
      assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', runId, { allowChangedText: true }), runId);
      const tuned = await waitForStep(runId, stopped.step + 3);
      assert.equal(tuned.state, 'training');
      const steps = (await history(runId)).metrics.map((m) => m.step);
      assert.ok(
        steps.every((st, i) => i === 0 || st > steps[i - 1]),
        'fine-tuning continues at the checkpoint step',
      );
    } finally {
      await stopIfLive(runId);
    }
  });

  it('lists only the checkpoints a run keeps: the newest few and the best, each on disk', async () => {
    const runId = await train('sequenceLab.trainWithSettings', fixture(), { steps: 60, checkpointInterval: 5 });
    assert.equal((await waitForState(runId, ENDED)).state, 'completed');
    // The worker writes its last run.json, then the host writes the final one: read that.
    const diagnostics = () => vscode.commands.executeCommand<{ activeRunId?: string }>('sequenceLab.getDiagnostics');
    for (let i = 0; i < 100 && (await diagnostics())?.activeRunId === runId; i++) await sleep(100);
    assert.notEqual((await diagnostics())?.activeRunId, runId, 'the host still holds the run');
    const r = (await record(runId))!;
    const onDisk = fs
      .readdirSync(path.join(runsDir(), runId, 'checkpoints'))
      .filter((n) => n.startsWith('step-'))
      .sort();
    // Twelve were written; the worker pruned all but three newest and the best (which may be one of them).
    assert.ok(r.checkpoints.length >= 3 && r.checkpoints.length <= 4, `checkpoints listed: ${r.checkpoints.map((c) => c.step).join(', ')}`);
    assert.deepEqual(r.checkpoints.map((c) => path.basename(c.path)).sort(), onDisk);
    assert.equal(r.checkpoints.at(-1)!.step, 60);
  });

  it('marks a run failed when its worker is killed (as by the out-of-memory killer), keeps its checkpoints, and resumes it', async () => {
    const runId = await train('sequenceLab.trainWithSettings', fixture(), { steps: 100_000, checkpointInterval: 10 });
    try {
      await waitForStep(runId, 12);
      const lock = readRunLock(path.join(runsDir(), runId));
      assert.ok(lock?.workerPid, 'the run lock names its worker');
      process.kill(lock.workerPid, 'SIGKILL');
      const failed = await waitForState(runId, ENDED, 30_000);
      assert.equal(failed.state, 'failed');
      assert.match(failed.reason ?? '', /SIGKILL/, 'the reason names how the worker ended');
      const checkpoint = Math.max(...failed.checkpoints.map((c) => c.step));
      assert.ok(checkpoint >= 10, `a checkpoint survives the crash (have ${JSON.stringify(failed.checkpoints)})`);
      // The host lives on: it resumes the run from that checkpoint.
      assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', runId), runId);
      await waitForStep(runId, checkpoint + 3);
      const steps = (await history(runId)).metrics.map((m) => m.step);
      assert.deepEqual(
        steps.slice(0, checkpoint + 3),
        Array.from({ length: checkpoint + 3 }, (_, i) => i + 1),
        'no step lost or repeated',
      );
    } finally {
      await stopIfLive(runId);
    }
  });

  it('trains with the defaults in place of absurd settings', async () => {
    const settings = vscode.workspace.getConfiguration('sequenceLab');
    await settings.update('hidden', 100_000, vscode.ConfigurationTarget.Workspace);
    await settings.update('lr', -3, vscode.ConfigurationTarget.Workspace);
    let runId: string | undefined;
    try {
      runId = await train('sequenceLab.trainOnFile', fixture());
      const r = await waitForStep(runId, 1);
      assert.equal(r.config.hidden, 128, 'hidden 100000 fell back to the default');
      assert.equal(r.config.lr, 0.01, 'a negative learning rate fell back to the default');
      assert.equal(r.config.window, QUICK.window, 'the valid settings are kept');
    } finally {
      await stopIfLive(runId);
      await settings.update('hidden', QUICK.hidden, vscode.ConfigurationTarget.Workspace);
      await settings.update('lr', QUICK.lr, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('ends a run whose loss explodes as diverged, saying what to change', async () => {
    const runId = await train('sequenceLab.trainWithSettings', fixture(), { optimizer: 'adam', lr: 10, clip: 0, steps: 500, evalInterval: 1000 });
    const r = await waitForState(runId, ENDED, 60_000);
    assert.equal(r.state, 'diverged');
    assert.match(r.reason ?? '', /diverged\. Lower the learning rate or enable gradient clipping/);
    assert.ok(r.step < 500, `stopped early, at step ${r.step}`);
    // The step that diverged was neither applied nor logged: the history holds the good steps only.
    const losses = (await history(runId)).metrics.map((m) => m.loss);
    assert.equal(losses.length, r.step);
    assert.ok(losses.every(Number.isFinite), `logged losses: ${losses.slice(-5).join(', ')}`);
  });

  it('deletes a run and its folder', async () => {
    const runId = await train('sequenceLab.trainWithSettings', fixture(), { steps: 3 });
    await waitForState(runId, ENDED);
    assert.equal(await vscode.commands.executeCommand('sequenceLab.deleteRun', runId, { confirm: false }), true);
    assert.equal(fs.existsSync(path.join(runsDir(), runId)), false);
  });

  it('kept the extension host responsive while training', async () => {
    const diagnostics = await vscode.commands.executeCommand<{ eventLoop: { worst: { maxMs: number; ownMaxMs: number; p99Ms: number; durationMs: number } } }>(
      'sequenceLab.getDiagnostics',
    );
    const worst = diagnostics?.eventLoop?.worst;
    assert.ok(worst && worst.durationMs > 0, 'the event loop was not monitored while training');
    console.log(
      `      event-loop delay while training: max ${worst.maxMs.toFixed(1)} ms (own work at most ${worst.ownMaxMs.toFixed(1)} ms), p99 ${worst.p99Ms.toFixed(1)} ms over ${(worst.durationMs / 1000).toFixed(0)} s`,
    );
    // The largest delay includes waiting for a core on a busy machine; the host's own work in it may not
    // pass the budget (the tests poll asynchronously, so their work does not count here).
    assert.ok(worst.ownMaxMs < 50, `the host's own work held its loop ${worst.ownMaxMs.toFixed(1)} ms in one go`);
    // p99 of the whole delay is mostly waiting for one of two cores while the worker trains flat out: a
    // sanity bound, loose enough for a loaded machine (CI's runs measured 45-50 ms, 50.8 once).
    assert.ok(worst.p99Ms < 100, `p99 event-loop delay ${worst.p99Ms} ms`);
  });
});
