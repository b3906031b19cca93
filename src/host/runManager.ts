/**
 * The run manager: the extension host's truth about training runs. It owns the queue (one run trains at
 * a time; later ones wait as "queued"), spawns one worker process per training run, supervises it
 * (a crash or a worker that ignores Stop ends as a failed or stopped run with the reason in run.json),
 * keeps each live run's history in memory and publishes deltas for the views.
 *
 * No `vscode` import: the UI layer subscribes to the events below and turns notices into notifications,
 * and unit tests drive this class against a fake worker script.
 */
import * as path from 'node:path';
import { newRunId, summarize, type RunHistory, type RunRecord } from '../core/runFiles';
import type { RunView } from '../protocol/panel';
import type { CheckpointRef, EvalPoint, FinishReason, GradMap, MetricPoint, RunState, RunSummary, SampleRecord, TrainConfig } from '../protocol/types';
import { WORKER_PROTOCOL_VERSION, type StartTraining, type StartupPhase, type WorkerToHost } from '../protocol/worker';
import { Disposable } from './dispose';
import { Emitter } from './event';
import { formatBytes } from './inputFiles';
import type { Logger } from './logger';
import {
  checkpointFolder,
  clearRunLogs,
  createQueuedRun,
  deleteRunFolder,
  isProcessAlive,
  latestCheckpoint,
  listRunsAsync,
  patchRunRecord,
  readRunHistoryAsync,
  readRunLock,
  removeRunLock,
  runName,
  writeRunLock,
} from './runStore';
import { UtilityWorker } from './utilityWorker';
import { WorkerProcess, describeExit, type WorkerExit, type WorkerSpawner } from './workerProcess';
import { WorkerRequests, newRequestId, type InspectResult, type SampleResult } from './workerRequests';

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

/** A change in one run, for the views. `status` means summary, info, state or checkpoints changed. */
export type RunEvent =
  | { readonly runId: string; readonly kind: 'metrics'; readonly point: MetricPoint }
  | { readonly runId: string; readonly kind: 'eval'; readonly point: EvalPoint }
  | { readonly runId: string; readonly kind: 'gradmap'; readonly map: GradMap }
  | { readonly runId: string; readonly kind: 'sample'; readonly sample: SampleRecord }
  | { readonly runId: string; readonly kind: 'progress'; readonly phase: StartupPhase; readonly message: string }
  | { readonly runId: string; readonly kind: 'status' };

export type NoticeAction = 'resume' | 'showLog' | 'openPanel';

/** Something the user should be told; the UI layer shows it as a notification with these actions. */
export interface RunNotice {
  readonly severity: 'info' | 'warning' | 'error';
  readonly message: string;
  readonly runId?: string;
  readonly actions: NoticeAction[];
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
}

export interface SampleOptions {
  runId: string;
  prompt: string;
  length: number;
  temperature: number;
  topK?: number;
  seed?: number;
  /** Sample from this checkpoint step instead of the live model (or the latest checkpoint). */
  checkpointStep?: number;
}

// ---------------------------------------------------------------- internal shapes

/** What the worker's start message will carry (protocol/worker.ts), plus where the run lives. */
interface QueuedRun extends Pick<StartTraining, 'config' | 'resumeFrom' | 'fineTuneFrom' | 'maxBytes' | 'truncate'> {
  id: string;
  dir: string;
  files: string[];
}

interface ActiveRun {
  readonly id: string;
  readonly dir: string;
  readonly history: RunHistory;
  readonly worker: WorkerProcess;
  /** True once `start` went to the worker (before that, Stop just kills it). */
  started: boolean;
  stopRequested: boolean;
  finished?: { state: FinishReason; message: string };
  failure?: { message: string; hint?: string };
  killTimer?: NodeJS.Timeout;
  readonly done: Promise<void>;
  resolveDone(): void;
}

/** How long a released worker may take to checkpoint and exit if the extension host stays alive. */
const RELEASE_GRACE_MS = 30_000;
/** A run whose orphaned worker is still finishing after a reload is checked again after this long. */
const ORPHAN_RECHECK_MS = 15_000;
const ORPHAN_MAX_AGE_MS = 3 * 60_000;
/** Live runs' locks are rewritten this often; a lock not rewritten for ORPHAN_MAX_AGE_MS is stale. */
const LOCK_HEARTBEAT_MS = 60_000;

const LIVE_STATES: readonly RunState[] = ['queued', 'starting', 'training', 'paused'];
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
  private readonly stopTimeoutMs: number;
  private readonly helloTimeoutMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly requests = new WorkerRequests();
  private readonly utility: UtilityWorker;

  private runsDirs: string[] = [];
  /** Every run found on disk (or created here), by id. Live runs' records are replaced by memory. */
  private known = new Map<string, { dir: string; record: RunRecord }>();
  private readonly queue: QueuedRun[] = [];
  private active: ActiveRun | undefined;
  private refreshing: Promise<void> | undefined;
  private listed = false;
  private orphanTimer: NodeJS.Timeout | undefined;
  private refreshAgain = false;

  constructor(private readonly options: RunManagerOptions) {
    super();
    this.log = options.log;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5000;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 30_000;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
    this.utility = this._register(new UtilityWorker(options.spawnWorker, this.log, this.requests, options.utilityIdleMs ?? 60_000, this.helloTimeoutMs));
    // Another window on the same folder tells a live run from an orphan by how fresh its lock is.
    const heartbeat = setInterval(() => this.touchLocks(), LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    this._register({ dispose: () => clearInterval(heartbeat) });
  }

  private touchLocks(): void {
    const since = new Date().toISOString();
    if (this.active) writeRunLock(this.active.dir, { hostPid: process.pid, workerPid: this.active.worker.pid, since });
    for (const q of this.queue) writeRunLock(q.dir, { hostPid: process.pid, since });
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
    const metrics = this.active?.id === runId ? this.active.history.metrics : undefined;
    return metrics?.[metrics.length - 1];
  }

  isLive(runId: string): boolean {
    return this.active?.id === runId || this.queue.some((q) => q.id === runId);
  }

  /** Everything the panel draws for a run: from memory for the live run, from disk otherwise. */
  async getView(runId: string): Promise<RunView | undefined> {
    const history = this.active?.id === runId ? this.active.history : await this.readHistory(runId);
    if (!history) return undefined;
    const { record } = history;
    return {
      summary: summarize(record),
      config: record.config,
      info: record.info,
      metrics: [...history.metrics],
      evals: [...history.evals],
      gradMaps: [...history.gradMaps],
      samples: [...history.samples],
      checkpoints: [...record.checkpoints],
    };
  }

  private async readHistory(runId: string): Promise<RunHistory | undefined> {
    const dir = this.getRunDir(runId);
    if (!dir) return undefined;
    const history = await readRunHistoryAsync(dir);
    // A queued run's record lives on disk too; nothing else to merge.
    return history;
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
    writeRunLock(dir, { hostPid: process.pid, since: new Date().toISOString() });
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
  async resume(runId: string, limits: { maxBytes?: number; truncate?: boolean } = {}): Promise<{ fromStep: number }> {
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
    writeRunLock(dir, { hostPid: process.pid, since: new Date().toISOString() });
    this.queue.push({
      id: runId,
      dir,
      files: record.files,
      config: record.config,
      resumeFrom: checkpoint ? checkpointFolder(dir, checkpoint) : undefined,
      maxBytes: limits.maxBytes,
      truncate: limits.truncate,
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
    this.launch(next);
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
    const worker = new WorkerProcess(this.options.spawnWorker, this.log, `worker ${q.id}`);
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const run: ActiveRun = {
      id: q.id,
      dir: q.dir,
      history: { record, metrics: [], evals: [], gradMaps: [], samples: [] },
      worker,
      started: false,
      stopRequested: false,
      done,
      resolveDone,
    };
    this.active = run;
    this.known.set(q.id, { dir: q.dir, record });
    writeRunLock(q.dir, { hostPid: process.pid, workerPid: worker.pid, since: new Date().toISOString() });
    worker.onDidReceive((msg) => this.onWorkerMessage(run, msg));
    worker.onDidExit((exit) => void this.onWorkerExit(run, exit));
    this.log.info(`run ${q.id}: worker ${worker.pid} spawned${q.resumeFrom ? `, resuming from ${q.resumeFrom}` : ''}`);
    this._onDidChangeActive.fire(run.id);
    this._onDidChangeRuns.fire();
    this._onRunEvent.fire({ runId: run.id, kind: 'status' });
    void this.sendStart(run, q);
  }

  private async sendStart(run: ActiveRun, q: QueuedRun): Promise<void> {
    // A resumed run shows its earlier history; load it before the worker can add to it.
    const [history, hello] = await Promise.all([q.resumeFrom ? readRunHistoryAsync(q.dir) : undefined, run.worker.waitForHello(this.helloTimeoutMs)]);
    if (history) {
      run.history.metrics.push(...history.metrics);
      run.history.evals.push(...history.evals);
      run.history.gradMaps.push(...history.gradMaps);
      run.history.samples.push(...history.samples);
    }
    if (!run.worker.isAlive) return; // The exit handler reports it.
    if (!hello.ok) {
      run.failure = { message: `Training could not start: ${hello.reason}.` };
      run.worker.kill();
      return;
    }
    if (run.stopRequested) {
      run.worker.kill();
      return;
    }
    const start: StartTraining = {
      type: 'start',
      version: WORKER_PROTOCOL_VERSION,
      runId: run.id,
      runDir: run.dir,
      files: q.files,
      config: q.config,
      ...(q.resumeFrom ? { resumeFrom: q.resumeFrom } : {}),
      ...(q.fineTuneFrom ? { fineTuneFrom: q.fineTuneFrom } : {}),
      ...(q.maxBytes !== undefined ? { maxBytes: q.maxBytes } : {}),
      ...(q.truncate ? { truncate: true } : {}),
    };
    run.started = run.worker.send(start);
  }

  // ---------------------------------------------------------------- worker messages

  private onWorkerMessage(run: ActiveRun, msg: WorkerToHost): void {
    if (this.requests.handle(msg)) return;
    if ('runId' in msg && msg.runId !== undefined && msg.runId !== run.id) {
      this.log.warn(`run ${run.id}: dropped a '${msg.type}' message for run ${msg.runId}`);
      return;
    }
    const { history } = run;
    const record = history.record;
    switch (msg.type) {
      case 'progress':
        this.log.info(`run ${run.id}: ${msg.phase}: ${msg.message}`);
        this._onRunEvent.fire({ runId: run.id, kind: 'progress', phase: msg.phase, message: msg.message });
        return;
      case 'started':
        this.setRecord(run, { state: 'training', info: msg.info, step: msg.startStep });
        this.trimHistory(history, msg.startStep);
        this.log.info(`run ${run.id}: training from step ${msg.startStep} on ${msg.info.backend} (${msg.info.backendReason}); vocabulary ${msg.info.vocabSize}, ${msg.info.paramCount} parameters`);
        this.emitStatus(run);
        return;
      case 'metrics':
        history.metrics.push(msg.point);
        this.setRecord(run, { step: msg.point.step, lastLoss: msg.point.loss });
        this._onRunEvent.fire({ runId: run.id, kind: 'metrics', point: msg.point });
        this._onDidChangeRuns.fire();
        return;
      case 'eval': {
        history.evals.push(msg.point);
        const best = record.bestValLoss;
        if (Number.isFinite(msg.point.valLoss) && (best === undefined || msg.point.valLoss < best)) this.setRecord(run, { bestValLoss: msg.point.valLoss });
        this._onRunEvent.fire({ runId: run.id, kind: 'eval', point: msg.point });
        this._onDidChangeRuns.fire();
        return;
      }
      case 'gradmap':
        history.gradMaps.push(msg.map);
        this._onRunEvent.fire({ runId: run.id, kind: 'gradmap', map: msg.map });
        return;
      case 'sample':
        history.samples.push(msg.sample);
        this._onRunEvent.fire({ runId: run.id, kind: 'sample', sample: msg.sample });
        return;
      case 'checkpoint': {
        const checkpoints = record.checkpoints.filter((c) => c.path !== msg.checkpoint.path);
        checkpoints.push(msg.checkpoint);
        checkpoints.sort((a, b) => a.step - b.step);
        this.setRecord(run, { checkpoints });
        this.emitStatus(run);
        return;
      }
      case 'state':
        this.setRecord(run, { state: msg.state });
        this.log.info(`run ${run.id}: ${msg.state}`);
        this.emitStatus(run);
        return;
      case 'finished':
        run.finished = { state: msg.reason, message: msg.message };
        this.setRecord(run, { state: msg.reason, reason: msg.message, step: msg.step });
        this.log.info(`run ${run.id}: finished (${msg.reason}) at step ${msg.step}: ${msg.message}`);
        if (msg.reason === 'diverged') this.notice('warning', `Training of ${record.name} diverged: ${msg.message}`, run.id, ['openPanel']);
        this.emitStatus(run);
        this.shutdownWorker(run);
        return;
      case 'error':
        // A run-level error ends the run: the worker cannot train it (bad input, unusable backend, ...).
        run.failure = { message: msg.message, hint: msg.hint };
        this.setRecord(run, { state: 'failed', reason: msg.hint ? `${msg.message} ${msg.hint}` : msg.message });
        this.log.error(`run ${run.id}: ${msg.code}: ${msg.message}${msg.hint ? ` (${msg.hint})` : ''}`);
        this.notice('error', msg.hint ? `${msg.message} ${msg.hint}` : msg.message, run.id, ['showLog']);
        this.emitStatus(run);
        this.shutdownWorker(run);
        return;
      default:
        this.log.warn(`run ${run.id}: unexpected '${msg.type}' message`);
    }
  }

  /** On resume the logs may hold steps past the checkpoint (trained, then lost to a crash): drop them. */
  private trimHistory(history: RunHistory, startStep: number): void {
    const keep = <T extends { step: number }>(list: T[]) => {
      const kept = list.filter((p) => p.step <= startStep);
      list.splice(0, list.length, ...kept);
    };
    keep(history.metrics);
    keep(history.evals);
    keep(history.gradMaps);
    keep(history.samples);
  }

  private setRecord(run: ActiveRun, patch: Partial<RunRecord>): void {
    const record: RunRecord = { ...run.history.record, ...patch, updatedAt: new Date().toISOString() };
    (run.history as { record: RunRecord }).record = record;
    this.known.set(run.id, { dir: run.dir, record });
  }

  private emitStatus(run: ActiveRun): void {
    this._onRunEvent.fire({ runId: run.id, kind: 'status' });
    this._onDidChangeRuns.fire();
  }

  private notice(severity: RunNotice['severity'], message: string, runId: string | undefined, actions: NoticeAction[]): void {
    this._onNotice.fire({ severity, message, runId, actions });
  }

  /** Asks a worker that is done to exit, and kills it if it does not. */
  private shutdownWorker(run: ActiveRun): void {
    clearTimeout(run.killTimer);
    run.worker.send({ type: 'shutdown' });
    run.killTimer = setTimeout(() => {
      this.log.warn(`run ${run.id}: worker did not exit ${this.shutdownTimeoutMs} ms after shutdown`);
      run.worker.kill();
    }, this.shutdownTimeoutMs);
  }

  // ---------------------------------------------------------------- worker exit (supervision)

  private async onWorkerExit(run: ActiveRun, exit: WorkerExit): Promise<void> {
    clearTimeout(run.killTimer);
    const memory = run.history.record;
    const checkpoint = latestCheckpoint(memory);
    let state: RunState;
    let reason: string | undefined;
    if (run.finished) {
      state = run.finished.state;
      reason = run.finished.message;
    } else if (run.failure) {
      state = 'failed';
      reason = run.failure.hint ? `${run.failure.message} ${run.failure.hint}` : run.failure.message;
      if (!run.started) this.notice('error', reason, run.id, ['showLog']);
    } else if (run.stopRequested) {
      state = 'stopped';
      reason = run.started
        ? `Stopped. The training process did not finish within ${Math.round(this.stopTimeoutMs / 1000)} s and was ended${checkpoint ? `; the checkpoint at step ${checkpoint.step} is kept` : ''}.`
        : 'Stopped before training started.';
    } else {
      state = 'failed';
      reason = `The training process ${describeExit(exit)}.${lastLines(exit.stderrTail)}`;
      const next = checkpoint ? ` Resume continues from the checkpoint at step ${checkpoint.step}.` : ' It had written no checkpoint yet; resuming starts it again from step 0.';
      this.notice('error', `Training of ${memory.name} failed: ${reason}${next}`, run.id, ['resume', 'showLog']);
    }
    this.log.info(`run ${run.id}: ${state}${reason ? `: ${reason}` : ''}`);

    // The worker is gone, so the host owns run.json again: make sure it tells the final story.
    const disk = (await readRunHistoryAsync(run.dir))?.record;
    if (disk) {
      const checkpoints = mergeCheckpoints(disk.checkpoints, memory.checkpoints);
      const needsWrite = disk.state !== state || disk.reason !== reason || checkpoints.length !== disk.checkpoints.length;
      const final = needsWrite
        ? patchRunRecord(run.dir, {
            state,
            reason,
            checkpoints,
            info: disk.info ?? memory.info,
            step: Math.max(disk.step, memory.step),
            lastLoss: memory.lastLoss ?? disk.lastLoss,
            bestValLoss: disk.bestValLoss ?? memory.bestValLoss,
          })
        : disk;
      if (final) this.setRecord(run, final);
    } else {
      this.setRecord(run, { state, reason });
      this.log.warn(`run ${run.id}: run.json is missing after the worker exited (folder deleted?)`);
    }
    removeRunLock(run.dir);
    this.requests.failOwner(run.worker, `The training process ended (${describeExit(exit)}).`);
    run.worker.dispose();
    if (this.active === run) this.active = undefined;
    this.known.set(run.id, { dir: run.dir, record: run.history.record });
    this._onRunEvent.fire({ runId: run.id, kind: 'status' });
    this._onDidChangeActive.fire(undefined);
    this._onDidChangeRuns.fire();
    run.resolveDone();
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
    if (!run.stopRequested && !run.finished && !run.failure) {
      run.stopRequested = true;
      this.log.info(`run ${runId}: stop requested`);
      if (!run.started || !run.worker.send({ type: 'stop', runId })) {
        run.worker.kill();
      } else {
        // The worker checks for Stop between steps; one that is stuck (a long synchronous phase, a hang) is killed.
        run.killTimer = setTimeout(() => {
          if (!run.finished) {
            this.log.warn(`run ${runId}: worker did not finish within ${this.stopTimeoutMs} ms of Stop; killing it`);
            run.worker.kill();
          }
        }, this.stopTimeoutMs);
      }
    }
    await run.done;
  }

  /** Pause, resume or checkpoint the training run. False when it is not the run training now. */
  control(runId: string, action: 'pause' | 'resume' | 'checkpoint'): boolean {
    const run = this.active;
    if (!run || run.id !== runId || !run.started || run.finished || run.failure || run.stopRequested) return false;
    return run.worker.send({ type: action, runId });
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

  /**
   * Generates text from a run: from the live model when it is training (and no checkpoint step is
   * asked for), else from a checkpoint (the latest unless `checkpointStep` is given).
   */
  async sample(options: SampleOptions, onToken?: (token: string) => void): Promise<SampleResult> {
    const requestId = newRequestId();
    const base = { type: 'sample' as const, requestId, prompt: options.prompt, length: options.length, temperature: options.temperature, topK: options.topK ?? 0, seed: options.seed ?? Date.now() % 2 ** 31 };
    const run = this.active;
    if (run && run.id === options.runId && options.checkpointStep === undefined && run.started && !run.finished && !run.failure) {
      const answer = this.requests.add<SampleResult>(requestId, run.worker, onToken);
      // The run folder as a fallback: if training ends while this request is in flight, the worker
      // samples from the run's latest checkpoint (written as training ends) instead of failing.
      if (run.worker.send({ ...base, runId: run.id, checkpoint: this.getRunDir(run.id) })) return answer;
      this.requests.failOwner(run.worker, 'The training process is not reachable.');
      return answer;
    }
    const checkpoint = this.checkpointPath(options.runId, options.checkpointStep);
    return this.utility.request<SampleResult>({ ...base, checkpoint }, onToken);
  }

  /** Per-token surprisal of `text` under the run's latest checkpoint. */
  async inspect(runId: string, text: string, topK = 5): Promise<InspectResult> {
    const checkpoint = this.checkpointPath(runId);
    return this.utility.request<InspectResult>({ type: 'inspect', requestId: newRequestId(), checkpoint, text, topK });
  }

  private checkpointPath(runId: string, step?: number): string {
    const record = this.currentRecord(runId);
    const dir = this.getRunDir(runId);
    if (!record || !dir) throw new Error(`Run ${runId} was not found.`);
    const ref = step === undefined ? latestCheckpoint(record) : record.checkpoints.find((c) => c.step === step);
    if (!ref) {
      throw new Error(step === undefined
        ? `${record.name} has no checkpoint yet (one is written every ${record.config.checkpointInterval || record.config.steps} steps and when training ends).`
        : `${record.name} has no checkpoint at step ${step}.`);
    }
    return checkpointFolder(dir, ref);
  }

  // ---------------------------------------------------------------- reloads

  /**
   * Runs found queued, starting, training or paused with no live worker here were interrupted (a
   * reload or crash of VS Code). Marks them `interrupted` (resumable), unless another live VS Code
   * window holds them.
   */
  async recoverInterrupted(): Promise<string[]> {
    await this.refresh();
    const recovered: string[] = [];
    for (const { dir, record } of [...this.known.values()]) {
      if (!LIVE_STATES.includes(record.state) || this.isLive(record.id)) continue;
      const lock = readRunLock(dir);
      const fresh = lock !== undefined && Date.now() - Date.parse(lock.since) < ORPHAN_MAX_AGE_MS;
      if (lock && fresh && lock.hostPid !== process.pid && isProcessAlive(lock.hostPid)) {
        this.log.info(`run ${record.id}: ${record.state} in another VS Code window (process ${lock.hostPid}); left alone`);
        continue;
      }
      // (A lock not rewritten for a few minutes is stale: its pids may belong to other processes by now.)
      if (lock?.workerPid !== undefined && fresh && isProcessAlive(lock.workerPid)) {
        // The previous session's worker is still writing its last checkpoint: it owns run.json until it exits.
        this.log.info(`run ${record.id}: the previous session's worker (process ${lock.workerPid}) is still finishing; checking again later`);
        this.scheduleOrphanRecheck();
        continue;
      }
      const checkpoint = latestCheckpoint(record);
      const reason = record.state === 'queued'
        ? 'Interrupted: it was waiting in the queue when VS Code closed. Resume to train it.'
        : `Interrupted: VS Code was reloaded or closed while it trained. ${checkpoint ? `Resume continues from the checkpoint at step ${checkpoint.step}.` : 'Resume starts it again (no checkpoint was written).'}`;
      const patched = patchRunRecord(dir, { state: 'interrupted', reason });
      removeRunLock(dir);
      if (patched) {
        this.known.set(record.id, { dir, record: patched });
        recovered.push(record.id);
        this.log.info(`run ${record.id}: marked interrupted (was ${record.state})`);
      }
    }
    if (recovered.length) this._onDidChangeRuns.fire();
    return recovered;
  }

  private scheduleOrphanRecheck(): void {
    if (this.orphanTimer || this.isDisposed) return;
    this.orphanTimer = setTimeout(() => {
      this.orphanTimer = undefined;
      void this.recoverInterrupted();
    }, ORPHAN_RECHECK_MS);
    this.orphanTimer.unref();
  }

  /**
   * Ends everything when the extension deactivates (a reload or window close). A worker that is
   * training is released: it stops after the current step, writes a checkpoint and its final state
   * itself (it owns run.json until it exits). A worker still starting up is killed and its run marked
   * interrupted, as are queued runs; all of them can be resumed after the reload.
   */
  override dispose(): void {
    if (this.isDisposed) return;
    const run = this.active;
    if (run) {
      clearTimeout(run.killTimer);
      removeRunLock(run.dir);
      if (run.started && run.worker.isAlive && !run.finished && !run.failure) {
        writeRunLock(run.dir, { hostPid: process.pid, workerPid: run.worker.pid, since: new Date().toISOString() });
        run.worker.release(RELEASE_GRACE_MS);
      } else {
        run.worker.kill();
        if (!run.finished && !run.failure) {
          patchRunRecord(run.dir, { state: 'interrupted', reason: 'Interrupted: VS Code was reloaded or closed while the run was starting. Resume to train it.' });
        }
        run.worker.dispose();
      }
      this.active = undefined;
    }
    for (const q of this.queue.splice(0)) {
      patchRunRecord(q.dir, { state: 'interrupted', reason: 'Interrupted: it was waiting in the queue when VS Code closed. Resume to train it.' });
      removeRunLock(q.dir);
    }
    clearTimeout(this.orphanTimer);
    this.requests.failAll('Sequence Lab is shutting down.');
    super.dispose();
  }
}

// ---------------------------------------------------------------- helpers

function mergeCheckpoints(a: readonly CheckpointRef[], b: readonly CheckpointRef[]): CheckpointRef[] {
  const byPath = new Map<string, CheckpointRef>();
  for (const c of [...(a ?? []), ...(b ?? [])]) byPath.set(c.path, c);
  return [...byPath.values()].sort((x, y) => x.step - y.step);
}

function lastLines(tail: readonly string[]): string {
  const lines = tail.slice(-3).map((l) => l.trim()).filter(Boolean);
  return lines.length ? ` Last output: ${lines.join(' | ').slice(0, 600)}` : '';
}
