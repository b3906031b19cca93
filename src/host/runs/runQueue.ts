/**
 * The queue of training runs and the one training now: one run trains at a time, later ones wait as
 * "queued". Launching a run spawns its worker (activeRun.ts supervises it); when it ends, the next
 * queued run starts. Part of the run manager, which owns the list of runs and the events.
 */
import { performance } from 'node:perf_hooks';
import { markRunStarting } from '../base/eventLoopMonitor';
import { errorText, guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import { ActiveRun } from './activeRun';
import type { ActiveRunHost, QueuedRun } from './activeRunHost';
import { DEFAULT_HEARTBEAT } from './heartbeat';
import type { RunCatalog } from './runCatalog';
import type { RunEvent, RunNotice } from './runEvents';
import { removeRunLock } from './runLock';
import { lockRun } from './runRecovery';
import type { RunManagerOptions } from './runRequests';
import { patchRunRecord } from './runStore';
import { WorkerProcess } from './workerProcess';
import type { WorkerRequests } from './workerRequests';

/** What the queue tells the run manager, which publishes it. */
export interface RunQueueEvents {
  didChangeRuns(): void;
  runEvent(event: RunEvent): void;
  notice(notice: RunNotice): void;
  didChangeActive(runId: string | undefined): void;
}

export class RunQueue {
  private readonly waiting: QueuedRun[] = [];
  private current: ActiveRun | undefined;
  private disposed = false;
  private readonly log: Logger;
  /** How the active run reports back. */
  private readonly runHost: ActiveRunHost;

  constructor(
    private readonly options: RunManagerOptions,
    requests: WorkerRequests,
    private readonly known: RunCatalog,
    private readonly emit: RunQueueEvents,
  ) {
    this.log = options.log;
    this.runHost = {
      log: this.log,
      requests,
      stopTimeoutMs: options.stopTimeoutMs ?? 5000,
      helloTimeoutMs: options.helloTimeoutMs ?? 30_000,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5000,
      heartbeat: { ...DEFAULT_HEARTBEAT, ...options.heartbeat },
      remember: (run) => void this.known.set(run.id, { dir: run.dir, record: run.history.record }),
      fireRunEvent: (event) => this.emit.runEvent(event),
      didChangeRuns: () => this.emit.didChangeRuns(),
      notice: (notice) => this.emit.notice(notice),
      ended: (run) => this.onRunEnded(run),
    };
  }

  /** The run training now (or starting, or stopping). */
  get active(): ActiveRun | undefined {
    return this.current;
  }

  get queuedIds(): string[] {
    return this.waiting.map((q) => q.id);
  }

  queuedDir(runId: string): string | undefined {
    return this.waiting.find((q) => q.id === runId)?.dir;
  }

  isLive(runId: string): boolean {
    return this.current?.id === runId || this.waiting.some((q) => q.id === runId);
  }

  /** The live runs' folders, the training one first with its worker's pid (their locks are kept fresh). */
  liveLocks(): { dir: string; workerPid?: number }[] {
    return [...(this.current ? [{ dir: this.current.dir, workerPid: this.current.worker.pid }] : []), ...this.waiting.map((q) => ({ dir: q.dir }))];
  }

  enqueue(q: QueuedRun): void {
    this.waiting.push(q);
  }

  /** Starts the next queued run if none trains. */
  pump(): void {
    if (this.current || this.disposed) return;
    const next = this.waiting.shift();
    if (!next) return;
    try {
      this.launch(next);
    } catch (e) {
      // A run that cannot even be launched (its folder unwritable, say) must not hold up the others.
      this.log.error(`run ${next.id}: could not start: ${errorText(e)}`);
      if ((this.current as ActiveRun | undefined)?.id === next.id) return; // Its worker's exit ends it and pumps again.
      guarded(this.log, `run ${next.id}: recording the failed start`, () => patchRunRecord(next.dir, { state: 'failed', reason: `Training could not start: ${errorText(e)}` }));
      guarded(this.log, `run ${next.id}: removing its lock`, () => removeRunLock(next.dir));
      this.emit.didChangeRuns();
      this.pump();
    }
  }

  private launch(q: QueuedRun): void {
    // The host owns run.json until the worker receives `start`: mark it starting now.
    const record = patchRunRecord(q.dir, { state: 'starting', reason: undefined });
    if (!record) {
      this.log.warn(`run ${q.id}: its folder disappeared before it started; skipped`);
      this.known.delete(q.id);
      this.emit.didChangeRuns();
      this.pump();
      return;
    }
    // Spawning holds the event loop (the process is forked synchronously): logged, and measured as part of the run.
    markRunStarting();
    const spawnStarted = performance.now();
    const worker = new WorkerProcess(this.options.spawnWorker, this.log, `worker ${q.id}`);
    const spawnMs = performance.now() - spawnStarted;
    const run = new ActiveRun(q, record, worker, this.runHost);
    this.current = run;
    this.known.set(q.id, { dir: q.dir, record });
    lockRun(q.dir, worker.pid);
    this.log.info(`run ${q.id}: worker ${worker.pid} spawned in ${spawnMs.toFixed(1)} ms${q.resumeFrom ? `, resuming from ${q.resumeFrom}` : ''}`);
    this.emit.didChangeActive(run.id);
    this.emit.didChangeRuns();
    this.emit.runEvent({ runId: run.id, kind: 'status' });
    guarded(
      this.log,
      `run ${run.id}: start`,
      () => run.start(),
      (e) => run.failToStart(e),
    );
  }

  /** The active run's worker is gone and run.json is final: start the next queued run. */
  private onRunEnded(run: ActiveRun): void {
    if (this.current === run) this.current = undefined;
    this.known.set(run.id, { dir: run.dir, record: run.history.record });
    this.emit.runEvent({ runId: run.id, kind: 'status' });
    this.emit.didChangeActive(undefined);
    this.emit.didChangeRuns();
    this.pump();
  }

  /** Stops a queued or training run; resolves once it is no longer live. */
  async stop(runId: string): Promise<void> {
    const queued = this.waiting.findIndex((q) => q.id === runId);
    if (queued >= 0) {
      const [q] = this.waiting.splice(queued, 1);
      const record = patchRunRecord(q.dir, { state: 'stopped', reason: 'Stopped before it started.' });
      if (record) this.known.set(runId, { dir: q.dir, record });
      removeRunLock(q.dir);
      this.log.info(`run ${runId}: removed from the queue`);
      this.emit.didChangeRuns();
      this.emit.runEvent({ runId, kind: 'status' });
      return;
    }
    const run = this.current;
    if (!run || run.id !== runId) return;
    run.stop();
    await run.done;
  }

  /** Kills the training worker of a run that stopped responding; resolves once the run has ended (resumable). */
  async killWorker(runId: string): Promise<void> {
    const run = this.current;
    if (!run || run.id !== runId) return;
    run.killHung();
    await run.done;
  }

  /** Pause, resume or checkpoint the training run. False when it is not the run training now. */
  control(runId: string, action: 'pause' | 'resume' | 'checkpoint'): boolean {
    const run = this.current;
    if (!run || run.id !== runId) return false;
    return run.control(action);
  }

  /**
   * Ends everything when the extension deactivates (a reload or window close). A worker that is
   * training is released: it stops after the current step, writes a checkpoint and its final state
   * itself (it owns run.json until it exits). A worker still starting up is killed and its run marked
   * interrupted, as are queued runs; all of them can be resumed after the reload.
   */
  dispose(): void {
    this.disposed = true;
    if (this.current) {
      this.current.release();
      this.current = undefined;
    }
    for (const q of this.waiting.splice(0)) {
      patchRunRecord(q.dir, { state: 'interrupted', reason: 'Interrupted: it was waiting in the queue when VS Code closed. Resume to train it.' });
      removeRunLock(q.dir);
    }
  }
}
