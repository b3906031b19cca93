/**
 * Experiments through the extension's commands, with real training on tiny configurations: the runs of
 * a varied setting one after another and recorded in experiment.json, one value diverging while the
 * others finish, values refused before anything trains, cancel keeping the finished runs, resuming,
 * and deleting the experiment folder while its runs stay. Each step is checked on disk.
 * (A reload leaving an experiment interrupted is tested against the runner in test/unit.)
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExperimentRecord } from '../../src/core/experiments/experimentRecord';
import type { RunRecord } from '../../src/core/runFiles';
import { eventually, runIds, runsDir, workspaceFolder } from './support';

/** A few seconds per run on one core. */
const TINY = {
  hidden: 8,
  batch: 4,
  window: 8,
  steps: 6,
  evalInterval: 3,
  evalTokens: 200,
  gradMapInterval: 3,
  sampleInterval: 0,
  checkpointInterval: 3,
  seed: 3,
  lr: 0.01,
  clip: 1,
};

const fixture = () => vscode.Uri.file(path.join(workspaceFolder(), 'timemachine-excerpt.txt'));
const experimentsDir = () => path.join(workspaceFolder(), '.seqlab', 'experiments');

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.promises.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const experiment = (id: string) => readJson<ExperimentRecord>(path.join(experimentsDir(), id, 'experiment.json'));
const run = (runId: string) => readJson<RunRecord>(path.join(runsDir(), runId, 'run.json'));

async function start(options: Record<string, unknown>): Promise<string> {
  const id = await vscode.commands.executeCommand<string | undefined>('sequenceLab.runExperiment', fixture(), options);
  assert.ok(typeof id === 'string' && id, `no experiment started for ${JSON.stringify(options)}`);
  return id;
}

function waitForExperiment(id: string, states: readonly ExperimentRecord['state'][], timeoutMs = 180_000): Promise<ExperimentRecord> {
  let last: ExperimentRecord | undefined;
  return eventually(
    () => `experiment ${id} to be ${states.join(' or ')} (now ${last?.state}: ${last?.runs.map((r) => `${r.label} ${r.state}`).join(', ')})`,
    async () => {
      last = await experiment(id);
      return last && states.includes(last.state) ? last : undefined;
    },
    timeoutMs,
  );
}

describe('experiments through the commands', function () {
  this.timeout(400_000);

  it('trains each value one after another on the same file and seed, recording every run in experiment.json', async () => {
    const id = await start({ vary: 'hidden=8,16', settings: TINY });
    const first = await experiment(id);
    assert.equal(first?.state, 'running');
    assert.deepEqual(
      first?.runs.map((r) => r.label),
      ['8', '16'],
    );
    const done = await waitForExperiment(id, ['completed']);
    assert.deepEqual(
      done.runs.map((r) => r.state),
      ['completed', 'completed'],
    );
    const records = await Promise.all(done.runs.map((r) => run(r.runId!)));
    assert.deepEqual(
      records.map((r) => [r?.state, r?.config.hidden, r?.config.seed, r?.step]),
      [
        ['completed', 8, 3, 6],
        ['completed', 16, 3, 6],
      ],
    );
    for (const r of records) assert.deepEqual(r?.files, [fixture().fsPath]);
    // The second run was created after the first ended: one after another.
    assert.ok(records[0]!.updatedAt <= records[1]!.createdAt, `${records[0]!.updatedAt} <= ${records[1]!.createdAt}`);
    assert.equal(done.base.steps, 6);
    assert.deepEqual(done.files, [fixture().fsPath]);
  });

  it('records the value that diverges as diverged, and the others finish', async () => {
    const id = await start({ vary: 'lr=0.01,10,0.02', settings: { ...TINY, optimizer: 'adam', clip: 0, steps: 40, evalInterval: 20 } });
    const done = await waitForExperiment(id, ['completed']);
    assert.deepEqual(
      done.runs.map((r) => [r.label, r.state]),
      [
        ['0.01', 'completed'],
        ['10', 'diverged'],
        ['0.02', 'completed'],
      ],
    );
    const diverged = await run(done.runs[1].runId!);
    assert.equal(diverged?.state, 'diverged');
    assert.match(diverged?.reason ?? '', /diverged/);
    assert.ok((diverged?.step ?? 40) < 40, `it stopped early, at step ${diverged?.step}`);
  });

  it('runs the context probe of the probe preset in the worker after each run, into the run folder', async () => {
    const id = await start({ preset: 'context-probe', settings: TINY });
    const done = await waitForExperiment(id, ['completed']);
    assert.equal(done.presetId, 'context-probe');
    assert.equal(done.probe, true);
    for (const r of done.runs) {
      assert.equal(r.state, 'completed');
      // Written once the run completed: the probe runs after training, in the utility worker.
      const probe = await eventually(
        () => `probe.json of run ${r.runId}`,
        () => readJson<{ k: number; loss: number }[]>(path.join(runsDir(), r.runId!, 'probe.json')),
        60_000,
      );
      assert.deepEqual(
        probe.map((p) => p.k),
        [1, 2, 4, 8],
        'k = 1, 2, 4 up to the window of 8',
      );
      for (const p of probe) assert.ok(Number.isFinite(p.loss) && p.loss > 0 && p.loss < 10, `loss at k = ${p.k}: ${p.loss}`);
    }
  });

  it('refuses values the setting does not accept before anything trains', async () => {
    const experimentsBefore = fs.existsSync(experimentsDir()) ? fs.readdirSync(experimentsDir()).length : 0;
    const runsBefore = runIds().length;
    for (const vary of ['cell=rnn,transformer', 'hidden=16,4', 'seed=1,2', 'hidden=16']) {
      const id = await vscode.commands.executeCommand<string | undefined>('sequenceLab.runExperiment', fixture(), { vary, settings: TINY });
      assert.equal(id, undefined, `${vary} was refused`);
    }
    assert.equal(await vscode.commands.executeCommand('sequenceLab.runExperiment', fixture(), { preset: 'no-such-preset', settings: TINY }), undefined);
    assert.equal(await vscode.commands.executeCommand('sequenceLab.runExperiment', fixture(), { vary: 'hidden=8,16', settings: { steps: -1 } }), undefined);
    assert.equal(fs.existsSync(experimentsDir()) ? fs.readdirSync(experimentsDir()).length : 0, experimentsBefore, 'no experiment folder was written');
    assert.equal(runIds().length, runsBefore, 'no run folder was created');
  });

  it('cancel stops the run training now, drops the rest and keeps the finished runs; resume trains what is left', async () => {
    const id = await start({ vary: 'steps=6,3000,7', settings: TINY });
    await eventually(
      () => `the second run of ${id} to train`,
      async () => {
        const e = await experiment(id);
        const second = e?.runs[1].runId ? await run(e.runs[1].runId) : undefined;
        return second?.state === 'training' && second.step > 0 ? true : undefined;
      },
      120_000,
    );
    assert.equal(await vscode.commands.executeCommand('sequenceLab.cancelExperiment', id), true);
    const cancelled = await waitForExperiment(id, ['cancelled'], 30_000);
    assert.deepEqual(
      cancelled.runs.map((r) => r.state),
      ['completed', 'stopped', undefined],
    );
    assert.equal(cancelled.runs[2].runId, undefined, 'the third run never got a folder');
    assert.equal((await run(cancelled.runs[0].runId!))?.state, 'completed', 'the finished run is kept');
    assert.equal((await run(cancelled.runs[1].runId!))?.state, 'stopped');

    // Resume continues the stopped run (the same folder) and trains the one never started: shorten the long one first.
    assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeExperiment', id), true);
    const resumed = await eventually(
      () => `experiment ${id} to resume its second run`,
      async () => {
        const e = await experiment(id);
        return e?.state === 'running' && e.runs[1].state && ['queued', 'starting', 'training'].includes(e.runs[1].state) ? e : undefined;
      },
      60_000,
    );
    assert.equal(resumed.runs[1].runId, cancelled.runs[1].runId);
    // The long run would take minutes: cancel again, and the experiment is cancelled with its first run still completed.
    assert.equal(await vscode.commands.executeCommand('sequenceLab.cancelExperiment', id), true);
    const again = await waitForExperiment(id, ['cancelled'], 30_000);
    assert.equal(again.runs[0].state, 'completed');
    assert.equal(again.runs[1].runId, cancelled.runs[1].runId, 'resuming continued the stopped run, not a new one');

    // Delete removes the experiment folder only: its runs stay.
    const kept = again.runs.map((r) => r.runId).filter((r): r is string => !!r);
    assert.equal(await vscode.commands.executeCommand('sequenceLab.deleteExperiment', id, { confirm: false }), true);
    assert.equal(fs.existsSync(path.join(experimentsDir(), id)), false);
    for (const runId of kept) assert.ok(fs.existsSync(path.join(runsDir(), runId, 'run.json')), `run ${runId} stays`);
  });

  it('resumes an interrupted experiment from disk: finished runs are kept, the rest trained', async () => {
    // As a reload leaves one: interrupted, its first run finished, the second never started.
    const id = await start({ vary: 'hidden=8,12', settings: TINY });
    const done = await waitForExperiment(id, ['completed']);
    const file = path.join(experimentsDir(), id, 'experiment.json');
    const interrupted: ExperimentRecord = { ...done, state: 'interrupted', runs: [done.runs[0], { label: done.runs[1].label, values: done.runs[1].values }] };
    await fs.promises.writeFile(file, JSON.stringify(interrupted));
    assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeExperiment', id), true);
    const after = await waitForExperiment(id, ['completed']);
    assert.equal(after.runs[0].runId, done.runs[0].runId, 'the finished run is kept');
    assert.notEqual(after.runs[1].runId, undefined);
    assert.notEqual(after.runs[1].runId, done.runs[1].runId, 'the run never started is trained anew');
    assert.deepEqual(
      after.runs.map((r) => r.state),
      ['completed', 'completed'],
    );
    // A completed experiment has nothing to resume, and says so.
    assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeExperiment', id), false);
  });
});
