/**
 * The run manager: the extension host's truth about training runs. It owns the queue (one run trains at
 * a time; later ones wait as "queued"), spawns one worker process per training run, supervises it
 * (a crash or a worker that ignores Stop ends as a failed or stopped run with the reason in run.json),
 * keeps each live run's history in memory and publishes deltas for the views.
 *
 * This is the facade the rest of the host uses: the run that is training now lives in activeRun.ts,
 * run locks and recovery after a reload in runRecovery.ts, the events it publishes in runEvents.ts.
 *
 * No `vscode` import: the UI layer subscribes to the events below and turns notices into notifications,
 * and unit tests drive this class against a fake worker script.
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { newRunId, summarize, type RunHistory, type RunRecord } from '../../core/runFiles';
import type { RunView } from '../../protocol/panel';
import type { MetricPoint, RunState, RunSummary, TrainConfig } from '../../protocol/types';
import { ActiveRun, type ActiveRunHost, type QueuedRun } from './activeRun';
import { boundHistory } from './boundedHistory';
import { Disposable } from '../base/dispose';
import { Emitter } from '../base/event';
import { markRunStarting } from '../base/eventLoopMonitor';
import { errorText, guarded } from '../base/guarded';
import { DEFAULT_HEARTBEAT, type HeartbeatOptions } from './heartbeat';
import { formatBytes } from './inputFiles';
import type { Logger } from '../base/logger';
import type { RunEvent, RunNotice } from './runEvents';
import { RunRecovery, lockRun } from './runRecovery';
import { checkpointFolder, clearRunLogs, createQueuedRun, deleteRunFolder, latestCheckpoint, patchRunRecord, runName } from './runStore';
import { listRunsAsync, readRunHistoryAsync } from './runListing';
import { removeRunLock } from './runLock';
import { UtilityWorker } from './utilityWorker';
import { WorkerProcess, type WorkerSpawner } from './workerProcess';
import { RunSampling, type SampleOptions } from './runSampling';
import { WorkerRequests, type InspectResult, type SampleResult } from './workerRequests';

export type { NoticeAction, RunEvent, RunNotice } from './runEvents';
export type { SampleOptions } from './runSampling';

// ---------------------------------------------------------------- public shapes

export interface TrainRequest {
  /** `<workspace folder>/.seqlab/runs`. */
  runsDir: string;
  /** Absolute paths, trained on concatenated in this order. */
  files: string[];
  config: TrainConfig;
  /** Per-file size limit in bytes; the worker refuses larger files unless `truncate`. */
  maxBytes?: number;
  /** Train on the first `maxBytes` of a larger file instead of refusing it. */
  truncate?: boolean;
  /** Start from this checkpoint folder's weights and vocabulary (fine-tuning). */
  fineTuneFrom?: string;
}

export interface RunManagerOptions {
  spawnWorker: WorkerSpawner;
  log: Logger;
  /** How long a worker may take to finish after Stop before it is killed. */
  stopTimeoutMs?: number;
  /** How long a new worker may take to say hello. */
  helloTimeoutMs?: number;
  /** How long a finished worker may take to exit after shutdown. */
  shutdownTimeoutMs?: number;
  /** How long the sampling/inspection worker stays loaded while idle. */
  utilityIdleMs?: number;
  /** How long a request to the sampling/inspection worker may take before it is killed and the request fails. */
  utilityTimeoutMs?: number;
  /** When a silent training worker counts as hung (heartbeat.ts); tests shorten it to milliseconds. */
  heartbeat?: Partial<HeartbeatOptions>;
}

const RESUMABLE_STATES: readonly RunState[] = ['stopped', 'interrupted', 'failed', 'diverged'];

export class RunManager extends Disposable {
  private readonly _onDidChangeRuns = this._register(new Emitter<void>());
  /** The list of runs or any run's summary changed. */
  readonly onDidChangeRuns = this._onDidChangeRuns.event;
  private readonly _onRunEvent = this._register(new Emitter<RunEvent>());
  readonly onRunEvent = this._onRunEvent.event;
  private readonly _onNotice = this._register(new Emitter<RunNotice>());
  readonly onNotice = this._onNotice.event;
  private readonly _onDidChangeActive = this._register(new Emitter<string | undefined>());
  /** A worker started training a run (its id) or the last one ended (undefined). */
  readonly onDidChangeActive = this._onDidChangeActive.event;

  private readonly log: Logger;
  private readonly requests = new WorkerRequests();
  private readonly utility: UtilityWorker;
  private readonly sampling: RunSampling;
  private readonly recovery: RunRecovery;
  /** How the active run reports to this manager. */
  private readonly runHost: ActiveRunHost;

  private runsDirs: string[] = [];
  /** Every run found on disk (or created here), by id. Live runs' records are replaced by memory. */
  private known = new Map<string, { dir: string; record: RunRecord }>();
  private readonly queue: QueuedRun[] = [];
  private active: ActiveRun | undefined;
  private refreshing: Promise<void> | undefined;
  private listed = false;
  private refreshAgain = false;

  constructor(private readonly options: RunManagerOptions) {
    super();
    this.log = options.log;
    const helloTimeoutMs = options.helloTimeoutMs ?? 30_000;
    this.utility = this._register(new UtilityWorker(options.spawnWorker, this.log, this.requests, {
      idleMs: options.utilityIdleMs ?? 60_000,
      helloTimeoutMs,
      requestTimeoutMs: options.utilityTimeoutMs ?? 120_000,
    }));
    this.sampling = new RunSampling({ active: () => this.active, record: (id) => this.currentRecord(id), dir: (id) => this.getRunDir(id) }, this.requests, this.utility);
    this.recovery = this._register(new RunRecovery({
      log: this.log,
      refresh: () => this.refresh(),
      runs: () => [...this.known.values()],
      isLive: (runId) => this.isLive(runId),
      liveLocks: () => [...(this.active ? [{ dir: this.active.dir, workerPid: this.active.worker.pid }] : []), ...this.queue.map((q) => ({ dir: q.dir }))],
      remember: (runId, dir, record) => void this.known.set(runId, { dir, record }),
      didChangeRuns: () => this._onDidChangeRuns.fire(),
    }));
    this.runHost = {
      log: this.log,
      requests: this.requests,
      stopTimeoutMs: options.stopTimeoutMs ?? 5000,
      helloTimeoutMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5000,
      heartbeat: { ...DEFAULT_HEARTBEAT, ...options.heartbeat },
      remember: (run) => void this.known.set(run.id, { dir: run.dir, record: run.history.record }),
      fireRunEvent: (event) => this._onRunEvent.fire(event),
      didChangeRuns: () => this._onDidChangeRuns.fire(),
      notice: (notice) => this._onNotice.fire(notice),
      ended: (run) => this.onRunEnded(run),
    };
  }

  // ---------------------------------------------------------------- listing

  /** The runs folders to list (one per workspace folder); re-reads them. */
  async setRunsDirs(dirs: readonly string[]): Promise<void> {
    this.runsDirs = [...new Set(dirs)];
    await this.refresh();
  }

  /** Re-reads every runs folder (after a file watcher event, say). Calls made while one runs coalesce. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const lists = await Promise.all(this.runsDirs.map((d) => listRunsAsync(d)));
        const next = new Map<string, { dir: string; record: RunRecord }>();
        for (const entry of lists.flat()) {
          if (next.has(entry.record.id)) continue;
          // A listing that started before this manager's last write (a run that just ended) is older than memory.
          const mine = this.known.get(entry.record.id);
          next.set(entry.record.id, mine && mine.record.updatedAt > entry.record.updatedAt ? mine : entry);
        }
        // Runs this window just created may not be on disk yet in the listing's view; keep queued/active ones.
        for (const q of this.queue) if (!next.has(q.id) && this.known.has(q.id)) next.set(q.id, this.known.get(q.id)!);
        this.known = next;
        this.listed = true;
      } while (this.refreshAgain);
      this.refreshing = undefined;
      this._onDidChangeRuns.fire();
    })();
    return this.refreshing;
  }

  /** All runs, newest first; the live run's summary comes from memory (fresher than its run.json). */
  getSummaries(): RunSummary[] {
    const records = [...this.known.values()].map((k) => this.currentRecord(k.record.id) ?? k.record);
    if (this.active && !this.known.has(this.active.id)) records.push(this.active.history.record);
    return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map(summarize);
  }

  getRecord(runId: string): RunRecord | undefined {
    return this.currentRecord(runId);
  }

  getRunDir(runId: string): string | undefined {
    if (this.active?.id === runId) return this.active.dir;
    return this.known.get(runId)?.dir ?? this.queue.find((q) => q.id === runId)?.dir;
  }

  /** True once the runs folders have been read at least once (before that, the list is not the truth). */
  get hasListed(): boolean {
    return this.listed;
  }

  get activeRunId(): string | undefined {
    return this.active?.id;
  }

  get queuedRunIds(): string[] {
    return this.queue.map((q) => q.id);
  }

  /** The live run's last metric point, for the status bar. */
  lastMetric(runId: string): MetricPoint | undefined {
    return this.active?.id === runId ? this.active.history.metrics.last : undefined;
  }

  isLive(runId: string): boolean {
    return this.active?.id === runId || this.queue.some((q) => q.id === runId);
  }

  /**
   * Everything the panel draws for a run: from memory for the live run, from disk otherwise; bounded
   * either way (boundedHistory.ts), so a run of any length makes a message of a few megabytes at most.
   */
  async getView(runId: string): Promise<RunView | undefined> {
    const history = this.active?.id === runId ? this.active.history.toHistory() : await this.readHistory(runId);
    if (!history) return undefined;
    const { record } = history;
    return {
      summary: summarize(record),
      config: record.config,
      info: record.info,
      metrics: history.metrics,
      evals: history.evals,
      gradMaps: history.gradMaps,
      samples: history.samples,
      checkpoints: record.checkpoints.slice(),
    };
  }

  private async readHistory(runId: string): Promise<RunHistory | undefined> {
    const dir = this.getRunDir(runId);
    if (!dir) return undefined;
    // A queued run's record lives on disk too; nothing else to merge.
    const history = await readRunHistoryAsync(dir);
    return history && boundHistory(history);
  }

  private currentRecord(runId: string): RunRecord | undefined {
    if (this.active?.id === runId) return this.active.history.record;
    return this.known.get(runId)?.record;
  }

  // ---------------------------------------------------------------- starting runs

  /** Creates a run and queues it; returns its id at once (training starts when the queue reaches it). */
  async train(request: TrainRequest): Promise<string> {
    const id = newRunId();
    const dir = path.join(request.runsDir, id);
    const note = request.truncate && request.maxBytes !== undefined ? `first ${formatBytes(request.maxBytes)}` : undefined;
    const files = request.files;
    const record = createQueuedRun(request.runsDir, { id, name: runName(files, note), files, config: request.config });
    this.known.set(id, { dir, record });
    lockRun(dir);
    this.queue.push({ id, dir, files, config: request.config, fineTuneFrom: request.fineTuneFrom, maxBytes: request.maxBytes, truncate: request.truncate });
    this.log.info(`run ${id}: queued (${files.length} file(s), ${request.config.cell} hidden ${request.config.hidden}${note ? `, ${note}` : ''})`);
    this._onDidChangeRuns.fire();
    this.pump();
    return id;
  }

  /**
   * Queues a stopped, interrupted, failed or diverged run again: from its latest checkpoint, or from
   * step 0 (logs cleared) when it has none.
   */
  /** `allowChangedText`: continue as fine-tuning if the text changed since the checkpoint (otherwise the worker declines, and the user is asked). */
  async resume(runId: string, limits: { maxBytes?: number; truncate?: boolean; allowChangedText?: boolean } = {}): Promise<{ fromStep: number }> {
    if (this.isLive(runId)) throw new Error(`Run ${runId} is already ${this.currentRecord(runId)?.state ?? 'queued'}.`);
    const dir = this.getRunDir(runId);
    const record = dir ? (await readRunHistoryAsync(dir))?.record : undefined;
    if (!dir || !record) throw new Error(`Run ${runId} was not found.`);
    if (record.state === 'completed') throw new Error(`Run ${runId} already completed its ${record.config.steps} steps.`);
    if (!RESUMABLE_STATES.includes(record.state)) throw new Error(`Run ${runId} is ${record.state} and cannot be resumed.`);
    const checkpoint = latestCheckpoint(record);
    if (!checkpoint) await clearRunLogs(dir);
    const patched = patchRunRecord(dir, { state: 'queued', reason: undefined, ...(checkpoint ? {} : { step: 0, lastLoss: undefined, bestValLoss: undefined }) }) ?? record;
    this.known.set(runId, { dir, record: patched });
    lockRun(dir);
    this.queue.push({
      id: runId,
      dir,
      files: record.files,
      config: record.config,
      resumeFrom: checkpoint ? checkpointFolder(dir, checkpoint) : undefined,
      maxBytes: limits.maxBytes,
      truncate: limits.truncate,
      ...(limits.allowChangedText ? { allowChangedText: true } : {}),
      before: { state: record.state, reason: record.reason },
    });
    this.log.info(`run ${runId}: queued to resume from ${checkpoint ? `checkpoint step ${checkpoint.step}` : 'step 0 (no checkpoint)'}`);
    this._onDidChangeRuns.fire();
    this.pump();
    return { fromStep: checkpoint?.step ?? 0 };
  }

  private pump(): void {
    if (this.active || this.isDisposed) return;
    const next = this.queue.shift();
    if (!next) return;
    try {
      this.launch(next);
    } catch (e) {
      // A run that cannot even be launched (its folder unwritable, say) must not hold up the others.
      this.log.error(`run ${next.id}: could not start: ${errorText(e)}`);
      if ((this.active as ActiveRun | undefined)?.id === next.id) return; // Its worker's exit ends it and pumps again.
      guarded(this.log, `run ${next.id}: recording the failed start`, () => patchRunRecord(next.dir, { state: 'failed', reason: `Training could not start: ${errorText(e)}` }));
      guarded(this.log, `run ${next.id}: removing its lock`, () => removeRunLock(next.dir));
      this._onDidChangeRuns.fire();
      this.pump();
    }
  }

  private launch(q: QueuedRun): void {
    // The host owns run.json until the worker receives `start`: mark it starting now.
    const record = patchRunRecord(q.dir, { state: 'starting', reason: undefined });
    if (!record) {
      this.log.warn(`run ${q.id}: its folder disappeared before it started; skipped`);
      this.known.delete(q.id);
      this._onDidChangeRuns.fire();
      this.pump();
      return;
    }
    // Spawning holds the event loop (the process is forked synchronously): logged, and measured as part of the run.
    markRunStarting();
    const spawnStarted = performance.now();
    const worker = new WorkerProcess(this.options.spawnWorker, this.log, `worker ${q.id}`);
    const spawnMs = performance.now() - spawnStarted;
    const run = new ActiveRun(q, record, worker, this.runHost);
    this.active = run;
    this.known.set(q.id, { dir: q.dir, record });
    lockRun(q.dir, worker.pid);
    this.log.info(`run ${q.id}: worker ${worker.pid} spawned in ${spawnMs.toFixed(1)} ms${q.resumeFrom ? `, resuming from ${q.resumeFrom}` : ''}`);
    this._onDidChangeActive.fire(run.id);
    this._onDidChangeRuns.fire();
    this._onRunEvent.fire({ runId: run.id, kind: 'status' });
    guarded(this.log, `run ${run.id}: start`, () => run.start(), (e) => run.failToStart(e));
  }

  /** The active run's worker is gone and run.json is final: start the next queued run. */
  private onRunEnded(run: ActiveRun): void {
    if (this.active === run) this.active = undefined;
    this.known.set(run.id, { dir: run.dir, record: run.history.record });
    this._onRunEvent.fire({ runId: run.id, kind: 'status' });
    this._onDidChangeActive.fire(undefined);
    this._onDidChangeRuns.fire();
    this.pump();
  }

  // ---------------------------------------------------------------- control

  /** Stops a queued or training run; resolves once it is no longer live. */
  async stop(runId: string): Promise<void> {
    const queued = this.queue.findIndex((q) => q.id === runId);
    if (queued >= 0) {
      const [q] = this.queue.splice(queued, 1);
      const record = patchRunRecord(q.dir, { state: 'stopped', reason: 'Stopped before it started.' });
      if (record) this.known.set(runId, { dir: q.dir, record });
      removeRunLock(q.dir);
      this.log.info(`run ${runId}: removed from the queue`);
      this._onDidChangeRuns.fire();
      this._onRunEvent.fire({ runId, kind: 'status' });
      return;
    }
    const run = this.active;
    if (!run || run.id !== runId) return;
    run.stop();
    await run.done;
  }

  /** Kills the training worker of a run that stopped responding; resolves once the run has ended (resumable). */
  async killWorker(runId: string): Promise<void> {
    const run = this.active;
    if (!run || run.id !== runId) return;
    run.killHung();
    await run.done;
  }

  /** Pause, resume or checkpoint the training run. False when it is not the run training now. */
  control(runId: string, action: 'pause' | 'resume' | 'checkpoint'): boolean {
    const run = this.active;
    if (!run || run.id !== runId) return false;
    return run.control(action);
  }

  /** Deletes a run's folder, stopping it first if it is live. */
  async delete(runId: string): Promise<void> {
    const dir = this.getRunDir(runId);
    if (this.isLive(runId)) await this.stop(runId);
    if (dir) await deleteRunFolder(dir);
    this.known.delete(runId);
    this.log.info(`run ${runId}: deleted`);
    this._onDidChangeRuns.fire();
  }

  // ---------------------------------------------------------------- sampling and inspection

  /** See runSampling.ts. */
  sample(options: SampleOptions, onToken?: (token: string) => void): Promise<SampleResult> {
    return this.sampling.sample(options, onToken);
  }

  inspect(runId: string, text: string, topK = 5): Promise<InspectResult> {
    return this.sampling.inspect(runId, text, topK);
  }

  // ---------------------------------------------------------------- reloads

  /** Marks runs that a reload or crash left live on disk `interrupted`; see runRecovery.ts. Returns their ids. */
  recoverInterrupted(): Promise<string[]> {
    return this.recovery.recoverInterrupted();
  }

  /**
   * Ends everything when the extension deactivates (a reload or window close). A worker that is
   * training is released: it stops after the current step, writes a checkpoint and its final state
   * itself (it owns run.json until it exits). A worker still starting up is killed and its run marked
   * interrupted, as are queued runs; all of them can be resumed after the reload.
   */
  override dispose(): void {
    if (this.isDisposed) return;
    if (this.active) {
      this.active.release();
      this.active = undefined;
    }
    for (const q of this.queue.splice(0)) {
      patchRunRecord(q.dir, { state: 'interrupted', reason: 'Interrupted: it was waiting in the queue when VS Code closed. Resume to train it.' });
      removeRunLock(q.dir);
    }
    this.requests.failAll('Sequence Lab is shutting down.');
    super.dispose();
  }
}
