/**
 * The run manager: the extension host's truth about training runs. It owns the queue (one run trains at
 * a time; later ones wait as "queued"), spawns one worker process per training run, supervises it
 * (a crash or a worker that ignores Stop ends as a failed or stopped run with the reason in run.json),
 * keeps each live run's history in memory and publishes deltas for the views.
 *
 * This is the facade the rest of the host uses: the list of runs lives in runCatalog.ts, the queue and
 * the run training now in runQueue.ts and activeRun.ts, what starting a run prepares in runRequests.ts,
 * run locks and recovery after a reload in runRecovery.ts, the events it publishes in runEvents.ts.
 *
 * No `vscode` import: the UI layer subscribes to the events below and turns notices into notifications,
 * and unit tests drive this class against a fake worker script.
 */
import { summarize, type RunHistory, type RunRecord } from '../../core/runFiles';
import type { InsideAnswer, InsideRequest } from '../../protocol/inside';
import type { RunView } from '../../protocol/panel';
import type { MetricPoint, RunState, RunSummary } from '../../protocol/types';
import { boundHistory } from './boundedHistory';
import { Disposable } from '../base/dispose';
import { Emitter } from '../base/event';
import type { Logger } from '../base/logger';
import type { RunEvent, RunNotice } from './runEvents';
import { RunCatalog } from './runCatalog';
import { RunQueue } from './runQueue';
import { queueNewRun, queueResume, type ResumeLimits, type RunManagerOptions, type TrainRequest } from './runRequests';
import { RunRecovery, lockRun } from './runRecovery';
import { deleteRunFolder } from './runStore';
import { readRunHistoryAsync } from './runListing';
import { UtilityWorker } from './utilityWorker';
import { RunSampling, type SampleOptions } from './runSampling';
import { WorkerRequests, type InspectResult, type ProbeResult, type SampleResult } from './workerRequests';

export type { NoticeAction, RunEvent, RunNotice } from './runEvents';
export type { SampleOptions } from './runSampling';

export type { RunManagerOptions, TrainRequest } from './runRequests';

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

  /** Every run found on disk (or created here), by id. Live runs' records are replaced by memory. */
  private readonly known: RunCatalog;
  /** The queue, and the run training now. */
  private readonly queue: RunQueue;

  constructor(options: RunManagerOptions) {
    super();
    this.log = options.log;
    this.known = new RunCatalog({ queuedIds: () => this.queue.queuedIds, didChange: () => this._onDidChangeRuns.fire() });
    const helloTimeoutMs = options.helloTimeoutMs ?? 30_000;
    this.utility = this._register(
      new UtilityWorker(options.spawnWorker, this.log, this.requests, {
        idleMs: options.utilityIdleMs ?? 60_000,
        helloTimeoutMs,
        requestTimeoutMs: options.utilityTimeoutMs ?? 120_000,
      }),
    );
    this.sampling = new RunSampling({ active: () => this.queue.active, record: (id) => this.currentRecord(id), dir: (id) => this.getRunDir(id) }, this.requests, this.utility);
    this.recovery = this._register(
      new RunRecovery({
        log: this.log,
        refresh: () => this.refresh(),
        runs: () => [...this.known.values()],
        isLive: (runId) => this.isLive(runId),
        liveLocks: () => this.queue.liveLocks(),
        remember: (runId, dir, record) => void this.known.set(runId, { dir, record }),
        didChangeRuns: () => this._onDidChangeRuns.fire(),
      }),
    );
    this.queue = new RunQueue(options, this.requests, this.known, {
      didChangeRuns: () => this._onDidChangeRuns.fire(),
      runEvent: (event) => this._onRunEvent.fire(event),
      notice: (notice) => this._onNotice.fire(notice),
      didChangeActive: (runId) => this._onDidChangeActive.fire(runId),
    });
  }

  // ---------------------------------------------------------------- listing

  /** The runs folders to list (one per workspace folder); re-reads them. */
  setRunsDirs(dirs: readonly string[]): Promise<void> {
    return this.known.setRunsDirs(dirs);
  }

  /** Re-reads every runs folder (after a file watcher event, say). Calls made while one runs coalesce. */
  refresh(): Promise<void> {
    return this.known.refresh();
  }

  /** All runs, newest first; the live run's summary comes from memory (fresher than its run.json). */
  getSummaries(): RunSummary[] {
    const records = [...this.known.values()].map((k) => this.currentRecord(k.record.id) ?? k.record);
    const active = this.queue.active;
    if (active && !this.known.has(active.id)) records.push(active.history.record);
    return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map(summarize);
  }

  getRecord(runId: string): RunRecord | undefined {
    return this.currentRecord(runId);
  }

  getRunDir(runId: string): string | undefined {
    const active = this.queue.active;
    if (active?.id === runId) return active.dir;
    return this.known.get(runId)?.dir ?? this.queue.queuedDir(runId);
  }

  /** True once the runs folders have been read at least once (before that, the list is not the truth). */
  get hasListed(): boolean {
    return this.known.hasListed;
  }

  get activeRunId(): string | undefined {
    return this.queue.active?.id;
  }

  get queuedRunIds(): string[] {
    return this.queue.queuedIds;
  }

  /** The live run's last metric point, for the status bar. */
  lastMetric(runId: string): MetricPoint | undefined {
    const active = this.queue.active;
    return active?.id === runId ? active.history.metrics.last : undefined;
  }

  isLive(runId: string): boolean {
    return this.queue.isLive(runId);
  }

  /**
   * Everything the panel draws for a run: from memory for the live run, from disk otherwise; bounded
   * either way (boundedHistory.ts), so a run of any length makes a message of a few megabytes at most.
   */
  async getView(runId: string): Promise<RunView | undefined> {
    const active = this.queue.active;
    const history = active?.id === runId ? active.history.toHistory() : await this.readHistory(runId);
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
    const active = this.queue.active;
    if (active?.id === runId) return active.history.record;
    return this.known.get(runId)?.record;
  }

  // ---------------------------------------------------------------- starting runs

  /** Creates a run and queues it; returns its id at once (training starts when the queue reaches it). */
  async train(request: TrainRequest): Promise<string> {
    const { queued, record, note } = queueNewRun(request);
    this.known.set(queued.id, { dir: queued.dir, record });
    lockRun(queued.dir);
    this.queue.enqueue(queued);
    this.log.info(`run ${queued.id}: queued (${queued.files.length} file(s), ${request.config.cell} hidden ${request.config.hidden}${note ? `, ${note}` : ''})`);
    this._onDidChangeRuns.fire();
    this.queue.pump();
    return queued.id;
  }

  /**
   * Queues a stopped, interrupted, failed or diverged run again: from its latest checkpoint, or from
   * step 0 (logs cleared) when it has none. `allowChangedText`: continue as fine-tuning if the text
   * changed since the checkpoint (otherwise the worker declines, and the user is asked).
   */
  async resume(runId: string, limits: ResumeLimits = {}): Promise<{ fromStep: number }> {
    if (this.isLive(runId)) throw new Error(`Run ${runId} is already ${this.currentRecord(runId)?.state ?? 'queued'}.`);
    const dir = this.getRunDir(runId);
    const record = dir ? (await readRunHistoryAsync(dir))?.record : undefined;
    if (!dir || !record) throw new Error(`Run ${runId} was not found.`);
    if (record.state === 'completed') throw new Error(`Run ${runId} already completed its ${record.config.steps} steps.`);
    if (!RESUMABLE_STATES.includes(record.state)) throw new Error(`Run ${runId} is ${record.state} and cannot be resumed.`);
    const { queued, record: patched, checkpoint } = await queueResume(runId, dir, record, limits);
    this.known.set(runId, { dir, record: patched });
    lockRun(dir);
    this.queue.enqueue(queued);
    this.log.info(`run ${runId}: queued to resume from ${checkpoint ? `checkpoint step ${checkpoint.step}` : 'step 0 (no checkpoint)'}`);
    this._onDidChangeRuns.fire();
    this.queue.pump();
    return { fromStep: checkpoint?.step ?? 0 };
  }

  // ---------------------------------------------------------------- control

  /** Stops a queued or training run; resolves once it is no longer live. */
  stop(runId: string): Promise<void> {
    return this.queue.stop(runId);
  }

  /** Kills the training worker of a run that stopped responding; resolves once the run has ended (resumable). */
  killWorker(runId: string): Promise<void> {
    return this.queue.killWorker(runId);
  }

  /** Pause, resume or checkpoint the training run. False when it is not the run training now. */
  control(runId: string, action: 'pause' | 'resume' | 'checkpoint'): boolean {
    return this.queue.control(runId, action);
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

  /** The context-length probe of a run's latest checkpoint, in the utility worker (never on this thread). */
  probe(runId: string, maxBytes?: number): Promise<ProbeResult> {
    return this.sampling.probe(runId, maxBytes);
  }

  /** A hidden-unit, pattern or beam request to the utility worker (host/inside); resolves with its answer message. */
  insideRequest<T extends InsideAnswer>(msg: InsideRequest): Promise<T> {
    return this.utility.request<T>(msg);
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
    this.queue.dispose();
    this.requests.failAll('Sequence Lab is shutting down.');
    super.dispose();
  }
}
