/**
 * The experiment runner against the run manager and its fake worker (test/fixtures/fakeWorker.ts):
 * experiment.json after every change, one value diverging while the others finish, cancel keeping the
 * finished runs, values refused before anything trains, and a reload leaving an experiment interrupted
 * and resumable.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, DEFAULT_CONFIG } from '../../src/core/config';
import { parseVary } from '../../src/core/experiments/experimentPlan';
import { PROBE_FILE } from '../../src/core/experiments/probeFile';
import { readExperiment, type ExperimentRecord } from '../../src/core/experiments/experimentRecord';
import { readRunRecord } from '../../src/core/runFiles';
import type { Logger } from '../../src/host/base/logger';
import { experimentEntry } from '../../src/host/experiments/experimentListing';
import { deleteExperimentFolder } from '../../src/host/experiments/experimentPaths';
import { ExperimentRunner } from '../../src/host/experiments/experimentRunner';
import { RunManager } from '../../src/host/runs/runManager';
import { workerSpawner } from '../../src/host/runs/workerProcess';
import type { TrainConfig } from '../../src/protocol/types';
import type { FakeWorkerOptions } from '../fixtures/fakeWorker';

const FAKE_WORKER = path.join(__dirname, '..', 'fixtures', 'fakeWorker.js');
const quiet: Logger = { trace() {}, info() {}, warn() {}, error() {} };
const SETTINGS: TrainConfig = { ...DEFAULT_CONFIG, steps: 20, evalInterval: 5, gradMapInterval: 5, sampleInterval: 0, checkpointInterval: 5, window: 8 };

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('host: ExperimentRunner with a fake worker', function () {
  this.timeout(30_000);
  let root: string;
  let file: string;
  let disposables: { dispose(): void }[];

  function setup(fake: FakeWorkerOptions = {}): { manager: RunManager; runner: ExperimentRunner; experimentsDir: string } {
    const manager = new RunManager({
      spawnWorker: workerSpawner(FAKE_WORKER, { FAKE_WORKER: JSON.stringify(fake) }),
      log: quiet,
      stopTimeoutMs: 500,
      helloTimeoutMs: 2000,
      shutdownTimeoutMs: 1000,
    });
    const runner = new ExperimentRunner(manager, quiet);
    disposables.push(runner, manager);
    const experimentsDir = path.join(root, '.seqlab', 'experiments');
    runner.setExperimentsDirs([experimentsDir]);
    return { manager, runner, experimentsDir };
  }

  const read = (dir: string): ExperimentRecord => {
    const r = readExperiment(dir);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    return r.record;
  };

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-exp-'));
    file = path.join(root, 'input.txt');
    fs.writeFileSync(file, 'the time machine\n'.repeat(100));
    disposables = [];
  });

  afterEach(() => {
    for (const d of disposables.splice(0)) d.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('trains every value one after another on the same files and seed, recording each run as it goes', async () => {
    const { manager, runner, experimentsDir } = setup();
    await manager.setRunsDirs([path.join(root, '.seqlab', 'runs')]);
    const seen = new Set<string>();
    const { id, dir } = runner.start({ experimentsDir, files: [file], settings: SETTINGS, spec: { base: {}, vary: [parseVary('hidden=16,32,48')] }, name: 'hidden' });
    // Only one of the experiment's runs is ever live at once.
    runner.onDidChange(() => {
      const live = read(dir).runs.filter((r) => r.state && ['queued', 'starting', 'training'].includes(r.state));
      assert.ok(live.length <= 1, `at most one live run, got ${live.length}`);
      for (const r of read(dir).runs) if (r.state) seen.add(`${r.label}:${r.state}`);
    });
    assert.equal(read(dir).state, 'running');
    const done = await waitFor(() => (read(dir).state === 'completed' ? read(dir) : undefined), 'the experiment to complete');
    assert.equal(runner.isRunning(id), false);
    assert.deepEqual(
      done.runs.map((r) => [r.label, r.state]),
      [
        ['16', 'completed'],
        ['32', 'completed'],
        ['48', 'completed'],
      ],
    );
    assert.ok(seen.has('16:training') && seen.has('48:training'), `states recorded as they went: ${[...seen].join(', ')}`);
    const records = done.runs.map((r) => readRunRecord(path.join(root, '.seqlab', 'runs', r.runId!))!);
    assert.deepEqual(
      records.map((r) => r.config.hidden),
      [16, 32, 48],
    );
    for (const r of records) {
      assert.deepEqual(r.files, [file]);
      assert.equal(r.config.seed, SETTINGS.seed);
      assert.equal(r.step, 20);
    }
    // Runs start in order: each was created after the previous one.
    assert.ok(records[0].createdAt <= records[1].createdAt && records[1].createdAt <= records[2].createdAt);
    assert.deepEqual(experimentEntry(done), { id, name: 'hidden', question: 'Varying hidden', state: 'completed', done: 3, total: 3, createdAt: done.createdAt });
  });

  it('runs the context probe after each completed run of a probe preset, in the worker, into probe.json', async () => {
    const { manager, runner, experimentsDir } = setup();
    await manager.setRunsDirs([path.join(root, '.seqlab', 'runs')]);
    const { dir } = runner.start({ experimentsDir, files: [file], settings: SETTINGS, spec: { base: {}, vary: [parseVary('cell=rnn,lstm')] }, name: 'probe', probe: true });
    const done = await waitFor(() => (read(dir).state === 'completed' ? read(dir) : undefined), 'the experiment to complete');
    assert.equal(done.probe, true);
    for (const r of done.runs) {
      const probe = JSON.parse(fs.readFileSync(path.join(root, '.seqlab', 'runs', r.runId!, PROBE_FILE), 'utf8'));
      assert.deepEqual(
        probe,
        [1, 2, 4, 8].map((k) => ({ k, loss: 2 + 1 / k })),
      );
    }
  });

  it('records a diverged value and finishes the others', async () => {
    const { manager, runner, experimentsDir } = setup({ divergeAtLr: 5 });
    await manager.setRunsDirs([path.join(root, '.seqlab', 'runs')]);
    const { dir } = runner.start({ experimentsDir, files: [file], settings: SETTINGS, spec: { base: {}, vary: [parseVary('lr=0.01,8,0.02')] }, name: 'lr' });
    const done = await waitFor(() => (read(dir).state === 'completed' ? read(dir) : undefined), 'the experiment to complete');
    assert.deepEqual(
      done.runs.map((r) => r.state),
      ['completed', 'diverged', 'completed'],
    );
    const diverged = readRunRecord(path.join(root, '.seqlab', 'runs', done.runs[1].runId!))!;
    assert.equal(diverged.state, 'diverged');
    assert.ok(diverged.step < 20);
  });

  it('refuses values the setting does not accept before writing or training anything', () => {
    const { runner, experimentsDir, manager } = setup();
    assert.throws(
      () => runner.start({ experimentsDir, files: [file], settings: SETTINGS, spec: { base: {}, vary: [parseVary('cell=rnn,transformer')] }, name: 'bad' }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('transformer') && p.includes('cell must be one of')),
    );
    assert.throws(
      () => runner.start({ experimentsDir, files: [file], settings: SETTINGS, spec: { base: {}, vary: [parseVary('hidden=16,4')] }, name: 'bad' }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('hidden = 4 is out of range')),
    );
    assert.equal(fs.existsSync(experimentsDir), false);
    assert.equal(fs.existsSync(path.join(root, '.seqlab', 'runs')), false);
    assert.equal(manager.activeRunId, undefined);
  });

  it('cancel stops the run training now, trains none of the rest and keeps the finished runs', async () => {
    const { manager, runner, experimentsDir } = setup({ stepDelayMs: 20 });
    await manager.setRunsDirs([path.join(root, '.seqlab', 'runs')]);
    const { id, dir } = runner.start({ experimentsDir, files: [file], settings: SETTINGS, spec: { base: {}, vary: [parseVary('hidden=16,32,48')] }, name: 'hidden' });
    await waitFor(() => (read(dir).runs[1].state === 'training' ? true : undefined), 'the second run to train');
    await runner.cancel(id);
    const after = read(dir);
    assert.equal(after.state, 'cancelled');
    assert.deepEqual(
      after.runs.map((r) => r.state),
      ['completed', 'stopped', undefined],
    );
    assert.equal(after.runs[2].runId, undefined, 'the third run never got a folder');
    assert.equal(fs.readdirSync(path.join(root, '.seqlab', 'runs')).length, 2);
    assert.equal(readRunRecord(path.join(root, '.seqlab', 'runs', after.runs[0].runId!))!.state, 'completed');
    assert.equal(manager.activeRunId, undefined);
    // Resuming a cancelled experiment continues the stopped run and trains the last one.
    await runner.resume(id);
    const done = await waitFor(() => (read(dir).state === 'completed' ? read(dir) : undefined), 'the resumed experiment to complete');
    assert.deepEqual(
      done.runs.map((r) => r.state),
      ['completed', 'completed', 'completed'],
    );
    assert.equal(done.runs[1].runId, after.runs[1].runId, 'the stopped run was continued, not replaced');
  });

  it('after a reload an experiment left running is found interrupted, and resumes', async () => {
    const first = setup({ stepDelayMs: 20 });
    const runsDir = path.join(root, '.seqlab', 'runs');
    await first.manager.setRunsDirs([runsDir]);
    const { id, dir } = first.runner.start({
      experimentsDir: first.experimentsDir,
      files: [file],
      settings: SETTINGS,
      spec: { base: {}, vary: [parseVary('hidden=16,32')] },
      name: 'reload',
    });
    await waitFor(() => (read(dir).runs[0].state === 'training' ? true : undefined), 'the first run to train');
    // The window reloads: the manager and the runner go away mid-run.
    first.runner.dispose();
    first.manager.dispose();
    await waitFor(() => {
      const state = readRunRecord(path.join(runsDir, read(dir).runs[0].runId!))?.state;
      return state === 'stopped' || state === 'interrupted' ? true : undefined;
    }, 'the released worker to end its run');
    assert.equal(read(dir).state, 'running');

    const second = setup();
    await second.manager.setRunsDirs([runsDir]);
    await second.manager.recoverInterrupted();
    const recovered = second.runner.recoverInterrupted();
    assert.deepEqual(
      recovered.map((r) => r.record.id),
      [id],
    );
    assert.equal(read(dir).state, 'interrupted');
    assert.equal(experimentEntry(read(dir)).done, 0);
    await second.runner.resume(id);
    const done = await waitFor(() => (read(dir).state === 'completed' ? read(dir) : undefined), 'the resumed experiment to complete');
    assert.deepEqual(
      done.runs.map((r) => r.state),
      ['completed', 'completed'],
    );
    // Deleting the experiment removes its folder only: its runs stay.
    await deleteExperimentFolder(dir);
    assert.equal(fs.existsSync(dir), false);
    assert.equal(fs.readdirSync(runsDir).length, 2);
  });
});
