/**
 * The run manager against a fake worker process (test/fixtures/fakeWorker.ts) that speaks the real
 * protocol: queueing, supervision of crashes and hung workers, input errors, reload recovery,
 * resuming, sampling and inspection.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { RunWriter, readRunRecord, type RunRecord } from '../../src/core/runFiles';
import type { TrainConfig } from '../../src/protocol/types';
import type { Logger } from '../../src/host/base/logger';
import { RunManager, type RunEvent, type RunNotice } from '../../src/host/runs/runManager';
import { writeRunLock } from '../../src/host/runs/runLock';
import { workerSpawner } from '../../src/host/runs/workerProcess';
import type { FakeWorkerOptions } from '../fixtures/fakeWorker';

const FAKE_WORKER = path.join(__dirname, '..', 'fixtures', 'fakeWorker.js');

function config(patch: Partial<TrainConfig> = {}): TrainConfig {
  return { ...DEFAULT_CONFIG, steps: 30, evalInterval: 10, gradMapInterval: 5, sampleInterval: 10, checkpointInterval: 10, window: 8, ...patch };
}

class MemoryLog implements Logger {
  lines: string[] = [];
  trace(m: string) {
    this.lines.push(`trace ${m}`);
  }
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string) {
    this.lines.push(`error ${m}`);
  }
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('host: RunManager with a fake worker', () => {
  let root: string;
  let runsDir: string;
  let inputFile: string;
  let managers: RunManager[];
  let log: MemoryLog;

  function manager(fake: FakeWorkerOptions = {}, extra: Partial<ConstructorParameters<typeof RunManager>[0]> = {}): RunManager {
    const m = new RunManager({
      spawnWorker: workerSpawner(FAKE_WORKER, { FAKE_WORKER: JSON.stringify(fake) }),
      log,
      stopTimeoutMs: 500,
      helloTimeoutMs: 2000,
      shutdownTimeoutMs: 1000,
      utilityIdleMs: 200,
      ...extra,
    });
    managers.push(m);
    return m;
  }

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-host-'));
    runsDir = path.join(root, '.seqlab', 'runs');
    inputFile = path.join(root, 'input.txt');
    fs.writeFileSync(inputFile, 'the time machine\n'.repeat(100));
    managers = [];
    log = new MemoryLog();
  });

  afterEach(() => {
    for (const m of managers) m.dispose();
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  it('trains a run to completion, keeps its history in memory and leaves a completed run.json', async () => {
    const m = manager();
    await m.setRunsDirs([runsDir]);
    const events: RunEvent[] = [];
    m.onRunEvent((e) => events.push(e));
    const id = await m.train({ runsDir, files: [inputFile], config: config() });
    assert.equal(m.activeRunId, id);
    await waitFor(() => m.getRecord(id)?.state === 'completed' && m.activeRunId === undefined, 'completion');

    const record = readRunRecord(path.join(runsDir, id))!;
    assert.equal(record.state, 'completed');
    assert.equal(record.step, 30);
    assert.equal(record.name, 'input.txt', 'the worker keeps the name the host gave the run');
    assert.ok(record.checkpoints.length >= 3);
    assert.ok(!fs.existsSync(path.join(runsDir, id, 'host.lock')), 'the lock goes when the run ends');

    const kinds = events.filter((e) => e.runId === id).map((e) => e.kind);
    assert.ok(kinds.includes('progress'));
    assert.equal(kinds.filter((k) => k === 'metrics').length, 30);
    assert.equal(kinds.filter((k) => k === 'eval').length, 3);
    assert.equal(kinds.filter((k) => k === 'gradmap').length, 6);

    const view = await m.getView(id);
    assert.ok(view);
    assert.equal(view.metrics.length, 30);
    assert.equal(view.summary.state, 'completed');
    assert.equal(view.info?.vocabSize, 27);
    const summaries = m.getSummaries();
    assert.equal(summaries[0].id, id);
    assert.ok(summaries[0].bestValLoss !== undefined);
  });

  it('queues a second run while the first trains, then trains it', async () => {
    const m = manager({ stepDelayMs: 10 });
    await m.setRunsDirs([runsDir]);
    const first = await m.train({ runsDir, files: [inputFile], config: config() });
    const second = await m.train({ runsDir, files: [inputFile], config: config({ cell: 'gru' }) });
    assert.equal(m.activeRunId, first);
    assert.deepEqual(m.queuedRunIds, [second]);
    assert.equal(readRunRecord(path.join(runsDir, second))!.state, 'queued');
    assert.equal(m.getSummaries().find((s) => s.id === second)?.state, 'queued');
    await waitFor(() => m.activeRunId === second, 'the second run to start');
    assert.equal(m.getRecord(first)?.state, 'completed');
    await waitFor(() => m.getRecord(second)?.state === 'completed' && !m.activeRunId, 'the second run to complete');
  });

  it('marks a run failed with the exit code and stderr when the worker crashes, and it can be resumed', async () => {
    const m = manager({ crashAtStep: 15 });
    await m.setRunsDirs([runsDir]);
    const notices: RunNotice[] = [];
    m.onNotice((n) => notices.push(n));
    const id = await m.train({ runsDir, files: [inputFile], config: config() });
    await waitFor(() => m.getRecord(id)?.state === 'failed' && !m.activeRunId, 'failure');
    const record = readRunRecord(path.join(runsDir, id))!;
    assert.equal(record.state, 'failed');
    assert.match(record.reason!, /code 3/);
    assert.match(record.reason!, /simulated native crash/);
    assert.equal(record.checkpoints.at(-1)?.step, 10);
    assert.equal(notices.length, 1);
    assert.equal(notices[0].severity, 'error');
    assert.ok(notices[0].actions.includes('resume'));
    assert.match(notices[0].message, /checkpoint at step 10/);

    // Resume with a worker that does not crash: it continues from the checkpoint at step 10.
    const m2 = manager();
    await m2.setRunsDirs([runsDir]);
    const { fromStep } = await m2.resume(id);
    assert.equal(fromStep, 10);
    await waitFor(() => m2.getRecord(id)?.state === 'completed' && !m2.activeRunId, 'resumed completion');
    const view = await m2.getView(id);
    const steps = view!.metrics.map((p) => p.step);
    assert.equal(steps.length, 30, 'metrics past the checkpoint from the crashed session are dropped, not duplicated');
    assert.deepEqual(
      steps,
      [...steps].sort((a, b) => a - b),
    );
  });

  it('a failure in the worker-exit handler ends the run as failed with the reason, and the queue goes on', async () => {
    let first = '';
    let second = '';
    // The disk fills up as the worker crashes: writing the final run.json throws in the exit handler.
    // (The host's fs module, patched in place: the worker is another process and unaffected.)
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object, patchable
    const realFs = require('node:fs') as typeof fs;
    const rename = realFs.renameSync;
    realFs.renameSync = (from, to) => {
      if (diskFull && String(to).endsWith('run.json') && String(to).includes(first)) throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' });
      return rename(from, to);
    };
    let diskFull = false;
    const m = manager({ crashAtStep: 5, stepDelayMs: 10 });
    try {
      await m.setRunsDirs([runsDir]);
      first = await m.train({ runsDir, files: [inputFile], config: config() });
      second = await m.train({ runsDir, files: [inputFile], config: config({ steps: 100000 }) });
      diskFull = true;
      await waitFor(() => m.activeRunId === second, 'the next queued run to start');
    } finally {
      realFs.renameSync = rename;
      diskFull = false;
    }
    assert.equal(m.getRecord(first)?.state, 'failed');
    assert.match(m.getRecord(first)?.reason ?? '', /code 3/);
    assert.ok(
      log.lines.some((l) => l.startsWith('error') && l.includes('worker exit')),
      'the failure is logged',
    );
    // Stop and Delete return (the second worker crashes at step 5 too, so stop it before that or not: either way they return).
    const t0 = Date.now();
    await m.stop(second);
    await m.delete(first);
    await m.delete(second);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(m.activeRunId, undefined);
  });

  it('resumes a run with 200,000 steps of history and keeps a bounded history of it', async () => {
    const id = 'longrun';
    const dir = path.join(runsDir, id);
    const step = 200_000;
    const ckpt = `checkpoints/step-${String(step).padStart(7, '0')}`;
    const record: RunRecord = {
      id,
      name: id,
      createdAt: new Date().toISOString(),
      updatedAt: '',
      files: [inputFile],
      config: config({ steps: step + 20 }),
      state: 'stopped',
      step,
      durationMs: 1,
      checkpoints: [{ step, path: ckpt, time: '' }],
    };
    RunWriter.create(dir, record);
    fs.mkdirSync(path.join(dir, ckpt), { recursive: true });
    fs.writeFileSync(path.join(dir, ckpt, 'meta.json'), JSON.stringify({ step }));
    const lines: string[] = [];
    for (let s = 1; s <= step; s++) lines.push(JSON.stringify({ step: s, loss: 3, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: s }));
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
    const m = manager();
    await m.setRunsDirs([runsDir]);
    await m.resume(id);
    await waitFor(() => m.getRecord(id)?.state === 'training', 'training', 20_000);
    const live = (await m.getView(id))!;
    assert.ok(live.metrics.length <= 10_000, `${live.metrics.length} points kept`);
    await waitFor(() => m.getRecord(id)?.state === 'completed' && !m.activeRunId, 'completion', 20_000);
    const view = (await m.getView(id))!;
    assert.ok(view.metrics.length <= 10_000);
    assert.equal(view.metrics.at(-1)?.step, step + 20);
  });

  it('reports a worker that goes silent as not responding; Stop (kill the worker) leaves it resumable from its checkpoint', async () => {
    const m = manager({ stepDelayMs: 5, heartbeatMs: 20, silentAfterStep: 12 }, { heartbeat: { minSilenceMs: 300, stepFactor: 20, checkEveryMs: 20 } });
    await m.setRunsDirs([runsDir]);
    const notices: RunNotice[] = [];
    m.onNotice((n) => notices.push(n));
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 60 }) });
    const t0 = Date.now();
    await waitFor(() => notices.length > 0, 'the not-responding notice', 5000);
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(m.getRecord(id)?.state, 'training');
    assert.match(m.getRecord(id)?.reason ?? '', /^Not responding: the training process has sent nothing for \d+ s .*checkpoint at step 10/);
    assert.equal(notices[0].severity, 'warning');
    assert.deepEqual(notices[0].actions, ['kill', 'showLog']);
    assert.equal(m.activeRunId, id, 'a hung worker is not ended without the user');
    await m.killWorker(id);
    assert.equal(m.activeRunId, undefined);
    const record = readRunRecord(path.join(runsDir, id))!;
    assert.equal(record.state, 'stopped');
    assert.match(record.reason!, /stopped responding and was killed\. Resume continues from the checkpoint at step 10/);

    const m2 = manager({ heartbeatMs: 20 }, { heartbeat: { minSilenceMs: 300, stepFactor: 20, checkEveryMs: 20 } });
    await m2.setRunsDirs([runsDir]);
    assert.equal((await m2.resume(id)).fromStep, 10);
    await waitFor(() => m2.getRecord(id)?.state === 'completed' && !m2.activeRunId, 'resumed completion');
  });

  it('does not call a slow but living worker hung: the bound grows with its slowest step', async () => {
    // Steps of 120 ms with no heartbeat in between: silent far past the 50 ms floor, within 20 steps.
    const m = manager({ stepDelayMs: 120 }, { heartbeat: { minSilenceMs: 50, stepFactor: 20, checkEveryMs: 10 } });
    await m.setRunsDirs([runsDir]);
    const notices: RunNotice[] = [];
    m.onNotice((n) => notices.push(n));
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 12 }) });
    await waitFor(() => m.getRecord(id)?.state === 'completed' && !m.activeRunId, 'completion');
    // The first step comes before any step time is known: that one may be reported, and is taken back.
    assert.ok(notices.length <= 1, notices.map((n) => n.message).join('; '));
    assert.equal(m.getRecord(id)?.reason, 'Completed 12 steps.');
  });

  it('kills a worker that ignores Stop and marks the run stopped', async () => {
    const m = manager({ ignoreStop: true, stepDelayMs: 20 });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 100000 }) });
    await waitFor(() => (m.getRecord(id)?.step ?? 0) >= 12, 'a few steps');
    const t0 = Date.now();
    await m.stop(id);
    assert.ok(Date.now() - t0 < 3000);
    const record = readRunRecord(path.join(runsDir, id))!;
    assert.equal(record.state, 'stopped');
    assert.match(record.reason!, /did not finish/);
    assert.ok(record.checkpoints.length >= 1, 'the last checkpoint is kept');
  });

  it('stops cleanly when the worker cooperates', async () => {
    const m = manager({ stepDelayMs: 20 });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 100000 }) });
    await waitFor(() => m.getRecord(id)?.state === 'training', 'training');
    await m.stop(id);
    assert.equal(readRunRecord(path.join(runsDir, id))!.state, 'stopped');
    assert.equal(readRunRecord(path.join(runsDir, id))!.reason, 'Stopped by the user.');
  });

  it('kills a worker stuck in start-up when stopped (cancel from the progress notification)', async () => {
    const m = manager({ hangOnStart: true });
    await m.setRunsDirs([runsDir]);
    const phases: string[] = [];
    m.onRunEvent((e) => e.kind === 'progress' && phases.push(e.phase));
    const id = await m.train({ runsDir, files: [inputFile], config: config() });
    await waitFor(() => phases.includes('tokenizing'), 'tokenizing');
    await m.stop(id);
    assert.equal(readRunRecord(path.join(runsDir, id))!.state, 'stopped');
  });

  it('reports a worker input error as a failed run with the message and hint', async () => {
    const m = manager({ inputError: { code: 'BINARY', message: 'input.txt looks binary (NUL byte at offset 12).', hint: 'Choose a text file.' } });
    await m.setRunsDirs([runsDir]);
    const notices: RunNotice[] = [];
    m.onNotice((n) => notices.push(n));
    const id = await m.train({ runsDir, files: [inputFile], config: config() });
    await waitFor(() => !m.activeRunId && m.getRecord(id)?.state === 'failed', 'failure');
    const record = readRunRecord(path.join(runsDir, id))!;
    assert.equal(record.state, 'failed');
    assert.equal(record.reason, 'input.txt looks binary (NUL byte at offset 12). Choose a text file.');
    assert.equal(notices.length, 1);
    assert.match(notices[0].message, /NUL byte/);
  });

  it('fails a run whose worker never says hello, or speaks another protocol version', async () => {
    const m = manager({ noHello: true }, { helloTimeoutMs: 300 });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config() });
    await waitFor(() => !m.activeRunId && m.getRecord(id)?.state === 'failed', 'failure');
    assert.match(readRunRecord(path.join(runsDir, id))!.reason!, /did not answer/);

    const m2 = manager({ helloVersion: 999 });
    await m2.setRunsDirs([runsDir]);
    const id2 = await m2.train({ runsDir, files: [inputFile], config: config() });
    await waitFor(() => !m2.activeRunId && m2.getRecord(id2)?.state === 'failed', 'failure');
    assert.match(readRunRecord(path.join(runsDir, id2))!.reason!, /protocol version 999/);
  });

  it('drops malformed worker messages and logs them', async () => {
    const m = manager({ garbage: true });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 5 }) });
    await waitFor(() => m.getRecord(id)?.state === 'completed' && !m.activeRunId, 'completion');
    assert.ok(log.lines.some((l) => l.includes('dropped malformed message')));
    assert.equal((await m.getView(id))!.metrics.length, 5);
  });

  it('marks runs left training by a previous session as interrupted, but not runs of a live window', async () => {
    fs.mkdirSync(runsDir, { recursive: true });
    const make = (id: string, state: RunRecord['state']) => {
      const record: RunRecord = {
        id,
        name: id,
        createdAt: new Date().toISOString(),
        updatedAt: '',
        files: [inputFile],
        config: config(),
        state,
        step: 40,
        durationMs: 1,
        checkpoints: [{ step: 20, path: 'checkpoints/step-0000020', time: '' }],
      };
      RunWriter.create(path.join(runsDir, id), record);
    };
    make('orphan', 'training');
    make('queuedOrphan', 'queued');
    make('otherWindow', 'training');
    make('done', 'completed');
    // "otherWindow" is held by a live process (this test's parent process stands in for another VS Code window).
    writeRunLock(path.join(runsDir, 'otherWindow'), { hostPid: process.ppid, since: new Date().toISOString() });
    // "staleLock" names a live process too, but its lock has not been refreshed for ten minutes: an orphan.
    make('staleLock', 'training');
    writeRunLock(path.join(runsDir, 'staleLock'), { hostPid: process.ppid, since: new Date(Date.now() - 600_000).toISOString() });
    const m = manager();
    await m.setRunsDirs([runsDir]);
    const recovered = await m.recoverInterrupted();
    assert.deepEqual(recovered.sort(), ['orphan', 'queuedOrphan', 'staleLock']);
    const orphan = readRunRecord(path.join(runsDir, 'orphan'))!;
    assert.equal(orphan.state, 'interrupted');
    assert.match(orphan.reason!, /step 20/);
    assert.equal(readRunRecord(path.join(runsDir, 'otherWindow'))!.state, 'training');
    assert.equal(readRunRecord(path.join(runsDir, 'done'))!.state, 'completed');
  });

  it('on dispose (reload) lets the training worker stop with a checkpoint, and marks queued runs interrupted', async () => {
    const m = manager({ stepDelayMs: 20, slowStopMs: 600 });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 100000 }) });
    const queued = await m.train({ runsDir, files: [inputFile], config: config() });
    await waitFor(() => (m.getRecord(id)?.step ?? 0) >= 5, 'some steps');
    m.dispose();
    assert.equal(readRunRecord(path.join(runsDir, queued))!.state, 'interrupted');
    // The new window activates while the old worker is still finishing: it is left alone.
    const next = manager();
    await next.setRunsDirs([runsDir]);
    assert.deepEqual(await next.recoverInterrupted(), []);
    assert.equal(readRunRecord(path.join(runsDir, id))!.state, 'training');
    await waitFor(() => readRunRecord(path.join(runsDir, id))!.state === 'stopped', 'the released worker to stop');
    const record = readRunRecord(path.join(runsDir, id))!;
    assert.equal(record.checkpoints.at(-1)?.step, record.step, 'it checkpointed its last step');
  });

  it('marks a run interrupted when its previous session and worker are both gone', async () => {
    const m = manager({ stepDelayMs: 20 });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 100000 }) });
    await waitFor(() => (m.getRecord(id)?.step ?? 0) >= 3, 'some steps');
    m.dispose();
    await waitFor(() => readRunRecord(path.join(runsDir, id))!.state === 'stopped', 'the released worker to stop');
    // Simulate a worker killed hard before it could write: run.json still says training, the lock names dead processes.
    const dir = path.join(runsDir, id);
    const rec = readRunRecord(dir)!;
    new RunWriter(dir, rec).update({ state: 'training' });
    writeRunLock(dir, { hostPid: 2 ** 22 + 7, workerPid: 2 ** 22 + 9, since: new Date().toISOString() });
    // What the worker wrote as it failed with no host left: the next window says it.
    fs.writeFileSync(path.join(dir, 'worker-error.log'), '2026-11-26T02:40:50.000Z Error: write EPIPE\n    at afterWriteDispatched (node:internal/stream_base_commons:161:15)\n');
    const next = manager();
    await next.setRunsDirs([runsDir]);
    assert.deepEqual(await next.recoverInterrupted(), [id]);
    const after = readRunRecord(dir)!;
    assert.equal(after.state, 'interrupted');
    assert.match(
      after.reason ?? '',
      /reloaded or closed while it trained\. .*The training process failed after the window went: Error: write EPIPE \(see worker-error\.log in the run folder\)\.$/,
    );
  });

  it('samples from the live model, then from a checkpoint through the sampling worker', async () => {
    const m = manager({ stepDelayMs: 20 });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 100000 }) });
    await waitFor(() => (m.getRecord(id)?.checkpoints.length ?? 0) >= 1, 'a checkpoint');
    const tokens: string[] = [];
    const live = await m.sample({ runId: id, prompt: 'The ', length: 5, temperature: 1 }, (t) => tokens.push(t));
    assert.match(live.text, /^live@\d+:The abcde$/);
    assert.deepEqual(tokens, ['a', 'b', 'c', 'd', 'e']);
    const fromCheckpoint = await m.sample({ runId: id, prompt: 'x', length: 3, temperature: 1, checkpointStep: 10 });
    assert.equal(fromCheckpoint.text, 'ckpt:step-0000010:xabc');
    await m.stop(id);
    const inspected = await m.inspect(id, 'time');
    assert.equal(inspected.tokens.length, 4);
    assert.equal(inspected.tokens[0].surprisal, undefined);
  });

  it('refuses a sample with a NaN temperature, a top-k of 1.5 or a prompt past the limit, naming the limit', async () => {
    const m = manager();
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 5 }) });
    await waitFor(() => m.getRecord(id)?.state === 'completed' && !m.activeRunId, 'completion');
    await assert.rejects(m.sample({ runId: id, prompt: 'a', length: 5, temperature: NaN }), /temperature must be a number from 0 \(greedy\) to 10 \(got NaN\)/);
    await assert.rejects(m.sample({ runId: id, prompt: 'a', length: 5, temperature: 1, topK: 1.5 }), /Top-k must be a whole number.*got 1\.5/);
    await assert.rejects(m.sample({ runId: id, prompt: 'a', length: 5, temperature: 1, topK: NaN }), /Top-k/);
    await assert.rejects(m.sample({ runId: id, prompt: 'a', length: 1e9, temperature: 1 }), /length must be a whole number of tokens from 1 to 10000/);
    await assert.rejects(m.sample({ runId: id, prompt: 'x'.repeat(10_001), length: 5, temperature: 1 }), /prompt is 10001 characters long; the limit is 10000/);
    assert.match((await m.sample({ runId: id, prompt: 'x'.repeat(10_000), length: 2, temperature: 0 })).text, /^ckpt:/);
  });

  it('a worker error about a sample fails that request only: the live run trains on and completes', async () => {
    const m = manager({ stepDelayMs: 10, failSamplePrompt: true });
    await m.setRunsDirs([runsDir]);
    const notices: RunNotice[] = [];
    m.onNotice((n) => notices.push(n));
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 60 }) });
    await waitFor(() => (m.getRecord(id)?.step ?? 0) >= 3, 'a few steps');
    await assert.rejects(m.sample({ runId: id, prompt: 'fail', length: 5, temperature: 1 }), /cannot read/);
    assert.equal(m.getRecord(id)?.state, 'training');
    // A request the worker's own check refuses (here sent past the command API's check): its error
    // carries the request's id, so the request fails and the run does not.
    const worker = m['queue'].active!.worker;
    const refused = m['requests'].add('r-long', worker);
    worker.send({ type: 'sample', requestId: 'r-long', runId: id, prompt: 'x'.repeat(20_000), length: 5, temperature: 1, topK: 0, seed: 1 });
    await assert.rejects(refused, /prompt is 20000 characters long; the limit is 10000/);
    assert.equal(m.getRecord(id)?.state, 'training');
    // Pause after the run ended is answered with an error scoped to that request: logged, no failure.
    await waitFor(() => m.getRecord(id)?.state === 'completed' && !m.activeRunId, 'completion');
    assert.equal(readRunRecord(path.join(runsDir, id))!.state, 'completed');
    assert.deepEqual(notices, []);
  });

  it('a sample from a checkpoint that never ends times out, and the sampling process is replaced', async () => {
    const m = manager({ hangSamplePrompt: true }, { utilityTimeoutMs: 400 });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 10 }) });
    await waitFor(() => m.getRecord(id)?.state === 'completed' && !m.activeRunId, 'completion');
    const t0 = Date.now();
    await assert.rejects(m.sample({ runId: id, prompt: 'hang', length: 5, temperature: 1 }), /took longer than 0\.4 s and was stopped; the sampling process was restarted/);
    assert.ok(Date.now() - t0 < 3000);
    assert.ok(log.lines.some((l) => l.includes('killing the sampling process')));
    assert.match((await m.sample({ runId: id, prompt: 'ok', length: 2, temperature: 1 })).text, /^ckpt:step-0000010:ok/);
  });

  it('refuses to sample or inspect a run without checkpoints, with a reason', async () => {
    const m = manager({ inputError: { code: 'EMPTY', message: 'empty' } });
    await m.setRunsDirs([runsDir]);
    const id = await m.train({ runsDir, files: [inputFile], config: config() });
    await waitFor(() => !m.activeRunId, 'end');
    await assert.rejects(m.inspect(id, 'abc'), /no checkpoint yet/);
  });

  it('removes a queued run from the queue on stop and deletes runs', async () => {
    const m = manager({ stepDelayMs: 20 });
    await m.setRunsDirs([runsDir]);
    const first = await m.train({ runsDir, files: [inputFile], config: config({ steps: 100000 }) });
    const second = await m.train({ runsDir, files: [inputFile], config: config() });
    await m.stop(second);
    assert.deepEqual(m.queuedRunIds, []);
    assert.equal(readRunRecord(path.join(runsDir, second))!.state, 'stopped');
    await m.delete(first);
    assert.ok(!fs.existsSync(path.join(runsDir, first)));
    assert.equal(m.activeRunId, undefined);
    await m.delete(second);
    await m.refresh();
    assert.deepEqual(m.getSummaries(), []);
  });

  it('passes the size limit to the worker, and truncate when the user chose the first part of a large file', async () => {
    const m = manager();
    await m.setRunsDirs([runsDir]);
    const messages: string[] = [];
    m.onRunEvent((e) => e.kind === 'progress' && messages.push(e.message));
    const id = await m.train({ runsDir, files: [inputFile], config: config({ steps: 3 }), maxBytes: 100, truncate: true });
    assert.match(m.getRecord(id)!.name, /input\.txt \(first 100 bytes\)/);
    await waitFor(() => m.getRecord(id)?.state === 'completed' && !m.activeRunId, 'completion');
    assert.ok(messages.includes('Reading 1 file(s), maxBytes 100, truncate true'), messages.join('; '));
  });
});
