/**
 * The run that is training now, from its worker's spawn to its exit: sends `start` once the worker says
 * hello, turns the worker's messages into the run's history and record in memory, stops or kills it,
 * and when the worker exits (finished, failed, stopped or crashed) makes run.json tell the final story.
 *
 * The run manager owns the queue and the list of runs; it hears about every change through
 * `ActiveRunHost`, in the order the changes happen.
 */
import type { RunRecord } from '../../core/runFiles';
import type { FinishReason, RunState } from '../../protocol/types';
import { WORKER_PROTOCOL_VERSION, type StartTraining, type WorkerToHost } from '../../protocol/worker';
import { BoundedHistory } from './boundedHistory';
import { errorText, guarded } from '../base/guarded';
import { endingOf, writeFinalRecord } from './runEnding';
import { HeartbeatWatch, type HeartbeatOptions } from './heartbeat';
import type { Logger } from '../base/logger';
import type { NoticeAction, RunEvent, RunNotice } from './runEvents';
import { lockRun } from './runRecovery';
import { latestCheckpoint, patchRunRecord } from './runStore';
import { readRunHistoryAsync } from './runListing';
import { removeRunLock } from './runLock';
import { describeExit, type WorkerExit, type WorkerProcess } from './workerProcess';
import { newRequestId, type WorkerRequests } from './workerRequests';

/** What the worker's start message will carry (protocol/worker.ts), plus where the run lives. */
export interface QueuedRun extends Pick<StartTraining, 'config' | 'resumeFrom' | 'fineTuneFrom' | 'maxBytes' | 'truncate' | 'allowChangedText'> {
  id: string;
  dir: string;
  files: string[];
  /** A resumed run's state and reason before it was queued: where it returns if the resume is declined. */
  before?: { state: RunState; reason?: string };
}

/** What the active run needs from the run manager. */
export interface ActiveRunHost {
  readonly log: Logger;
  /** Sample requests in flight; the worker's answers are routed there first. */
  readonly requests: WorkerRequests;
  /** How long a worker may take to finish after Stop before it is killed. */
  readonly stopTimeoutMs: number;
  /** How long a new worker may take to say hello. */
  readonly helloTimeoutMs: number;
  /** How long a finished worker may take to exit after shutdown. */
  readonly shutdownTimeoutMs: number;
  /** When a silent worker counts as hung. */
  readonly heartbeat: HeartbeatOptions;
  /** The run's record in memory changed. */
  remember(run: ActiveRun): void;
  fireRunEvent(event: RunEvent): void;
  /** The list of runs or a run's summary changed. */
  didChangeRuns(): void;
  notice(notice: RunNotice): void;
  /** The worker is gone and run.json tells the final story. */
  ended(run: ActiveRun): void;
}

/** How long a released worker may take to checkpoint and exit if the extension host stays alive. */
const RELEASE_GRACE_MS = 30_000;

export class ActiveRun {
  readonly id: string;
  readonly dir: string;
  /** Bounded whatever the run's length: recent steps in full, older ones merged (boundedHistory.ts). */
  readonly history: BoundedHistory;
  /** True once `start` went to the worker (before that, Stop just kills it). */
  private started = false;
  private stopRequested = false;
  /** Killed at the user's word after it stopped responding. */
  private killedHung = false;
  private watch?: HeartbeatWatch;
  private finished?: { state: FinishReason; message: string };
  private failure?: { message: string; hint?: string };
  /** Set when the worker declined a resume because the text changed: the state to return to. */
  private textChanged?: { state: RunState; reason?: string };
  private killTimer?: NodeJS.Timeout;
  /** Resolves once the worker has exited and the run is no longer live. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly queued: QueuedRun,
    record: RunRecord,
    readonly worker: WorkerProcess,
    private readonly host: ActiveRunHost,
  ) {
    this.id = queued.id;
    this.dir = queued.dir;
    this.history = new BoundedHistory(record);
    this.done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    worker.onDidReceive((msg) => guarded(host.log, `run ${this.id}: '${msg.type}' message`, () => this.onWorkerMessage(msg)));
    worker.onDidExit((exit) => guarded(host.log, `run ${this.id}: worker exit`, () => this.onWorkerExit(exit)));
  }

  /** True while the worker trains (or is stopping): it can sample from the live model. */
  get hasLiveModel(): boolean {
    return this.started && !this.finished && !this.failure;
  }

  async start(): Promise<void> {
    const q = this.queued;
    // A resumed run shows its earlier history; load it before the worker can add to it.
    const [history, hello] = await Promise.all([q.resumeFrom ? readRunHistoryAsync(q.dir) : undefined, this.worker.waitForHello(this.host.helloTimeoutMs)]);
    if (history) await this.history.addAll(history);
    if (!this.worker.isAlive) return; // The exit handler reports it.
    if (!hello.ok) {
      this.failure = { message: `Training could not start: ${hello.reason}.` };
      this.worker.kill();
      return;
    }
    if (this.stopRequested) {
      this.worker.kill();
      return;
    }
    const start: StartTraining = {
      type: 'start',
      version: WORKER_PROTOCOL_VERSION,
      runId: this.id,
      runDir: this.dir,
      files: q.files,
      config: q.config,
      ...(q.resumeFrom ? { resumeFrom: q.resumeFrom } : {}),
      ...(q.fineTuneFrom ? { fineTuneFrom: q.fineTuneFrom } : {}),
      ...(q.maxBytes !== undefined ? { maxBytes: q.maxBytes } : {}),
      ...(q.truncate ? { truncate: true } : {}),
      ...(q.allowChangedText ? { allowChangedText: true } : {}),
    };
    this.started = this.worker.send(start);
  }

  /** `start` threw: the run fails with the reason, and the worker's exit ends it as usual. */
  failToStart(e: unknown): void {
    this.failure ??= { message: `Training could not start: ${errorText(e)}` };
    this.worker.kill();
  }

  // ---------------------------------------------------------------- control

  /** Asks the worker to stop, or kills one that has not started training; `done` resolves when it is gone. */
  stop(): void {
    if (this.stopRequested || this.finished || this.failure) return;
    this.stopRequested = true;
    this.host.log.info(`run ${this.id}: stop requested`);
    if (!this.started || !this.worker.send({ type: 'stop', runId: this.id })) {
      this.worker.kill();
    } else {
      // The worker checks for Stop between steps; one that is stuck (a long synchronous phase, a hang) is killed.
      this.killTimer = setTimeout(() => {
        if (!this.finished) {
          this.host.log.warn(`run ${this.id}: worker did not finish within ${this.host.stopTimeoutMs} ms of Stop; killing it`);
          this.worker.kill();
        }
      }, this.host.stopTimeoutMs);
    }
  }

  /** Kills a worker that stopped responding (SIGKILL); the run stays resumable from its last checkpoint. */
  killHung(): void {
    if (this.finished || this.failure) return;
    this.stopRequested = true;
    this.killedHung = true;
    this.host.log.warn(`run ${this.id}: killing the worker at the user's request`);
    this.worker.kill('SIGKILL');
  }

  /** Pause, resume or checkpoint. False when the run is not training (not started, ending or stopping). */
  control(action: 'pause' | 'resume' | 'checkpoint'): boolean {
    if (!this.hasLiveModel || this.stopRequested) return false;
    // With a request id, an error about it (the run ended meanwhile) is that request's, not the run's.
    return this.worker.send({ type: action, runId: this.id, requestId: newRequestId() });
  }

  /**
   * Lets go of the run as the extension host deactivates. A training worker is released: it stops
   * after the current step and writes a checkpoint and its final state itself (it owns run.json until
   * it exits). A worker still starting up is killed and the run marked interrupted.
   */
  release(): void {
    clearTimeout(this.killTimer);
    this.watch?.dispose();
    removeRunLock(this.dir);
    if (this.started && this.worker.isAlive && !this.finished && !this.failure) {
      lockRun(this.dir, this.worker.pid);
      this.worker.release(RELEASE_GRACE_MS);
    } else {
      this.worker.kill();
      if (!this.finished && !this.failure) {
        patchRunRecord(this.dir, { state: 'interrupted', reason: 'Interrupted: VS Code was reloaded or closed while the run was starting. Resume to train it.' });
      }
      this.worker.dispose();
    }
  }

  // ---------------------------------------------------------------- worker messages

  private onWorkerMessage(msg: WorkerToHost): void {
    const { log } = this.host;
    if (msg.type === 'error' && (msg.requestId !== undefined || msg.runId === undefined)) {
      // Scoped to a request (a sample, a checkpoint now, ...): that request fails, training goes on.
      const pending = msg.requestId !== undefined && this.host.requests.has(msg.requestId);
      if (pending) this.host.requests.handle(msg);
      else {
        log.warn(`run ${this.id}: a request${msg.requestId ? ` (${msg.requestId})` : ''} failed in the worker: ${msg.code}: ${msg.message}`);
      }
      return;
    }
    if (this.host.requests.handle(msg)) return;
    if ('runId' in msg && msg.runId !== undefined && msg.runId !== this.id) {
      log.warn(`run ${this.id}: dropped a '${msg.type}' message for run ${msg.runId}`);
      return;
    }
    const { history } = this;
    const record = history.record;
    switch (msg.type) {
      case 'progress':
        log.info(`run ${this.id}: ${msg.phase}: ${msg.message}`);
        this.host.fireRunEvent({ runId: this.id, kind: 'progress', phase: msg.phase, message: msg.message });
        return;
      case 'started':
        this.setRecord({ state: 'training', info: msg.info, step: msg.startStep });
        // On resume the logs may hold steps past the checkpoint (trained, then lost to a crash): drop them.
        history.dropAfter(msg.startStep);
        this.watchHeartbeat();
        log.info(`run ${this.id}: training from step ${msg.startStep} on ${msg.info.backend} (${msg.info.backendReason}); vocabulary ${msg.info.vocabSize}, ${msg.info.paramCount} parameters`);
        this.emitStatus();
        return;
      case 'metrics':
        this.watch?.step();
        history.metrics.push(msg.point);
        this.setRecord({ step: msg.point.step, lastLoss: msg.point.loss });
        this.host.fireRunEvent({ runId: this.id, kind: 'metrics', point: msg.point });
        this.host.didChangeRuns();
        return;
      case 'eval': {
        history.evals.push(msg.point);
        const best = record.bestValLoss;
        if (Number.isFinite(msg.point.valLoss) && (best === undefined || msg.point.valLoss < best)) this.setRecord({ bestValLoss: msg.point.valLoss });
        this.host.fireRunEvent({ runId: this.id, kind: 'eval', point: msg.point });
        this.host.didChangeRuns();
        return;
      }
      case 'gradmap':
        history.gradMaps.push(msg.map);
        this.host.fireRunEvent({ runId: this.id, kind: 'gradmap', map: msg.map });
        return;
      case 'sample':
        history.samples.push(msg.sample);
        this.host.fireRunEvent({ runId: this.id, kind: 'sample', sample: msg.sample });
        return;
      case 'checkpoint': {
        // The worker's list, not ours plus the new one: it has deleted the checkpoints it no longer keeps.
        const checkpoints = [...msg.checkpoints].sort((a, b) => a.step - b.step);
        this.setRecord({ checkpoints });
        this.emitStatus();
        return;
      }
      case 'state':
        this.watch?.restartStepClock();
        this.setRecord({ state: msg.state });
        log.info(`run ${this.id}: ${msg.state}`);
        this.emitStatus();
        return;
      case 'finished':
        this.finished = { state: msg.reason, message: msg.message };
        this.setRecord({ state: msg.reason, reason: msg.message, step: msg.step });
        log.info(`run ${this.id}: finished (${msg.reason}) at step ${msg.step}: ${msg.message}`);
        if (msg.reason === 'diverged') this.notice('warning', `Training of ${record.name} diverged: ${msg.message}`, ['openPanel']);
        this.emitStatus();
        this.shutdownWorker();
        return;
      case 'error':
        if (msg.code === 'TEXT_CHANGED' && this.queued.before) {
          // Resuming on a text that changed since the checkpoint: nothing trained, nothing is lost. The run
          // goes back to how it was, and the user chooses: continue as fine-tuning, or leave it.
          this.textChanged = this.queued.before;
          this.setRecord(this.queued.before);
          log.warn(`run ${this.id}: ${msg.message}`);
          this.notice('warning', `${record.name}: ${msg.message} Continue it as fine-tuning on the new text (its weights, optimizer and step are kept; batches start afresh), or leave the run as it was.`, ['fineTune']);
          this.emitStatus();
          this.shutdownWorker();
          return;
        }
        // A run-level error ends the run: the worker cannot train it (bad input, unusable backend, ...).
        this.failure = { message: msg.message, hint: msg.hint };
        this.setRecord({ state: 'failed', reason: msg.hint ? `${msg.message} ${msg.hint}` : msg.message });
        log.error(`run ${this.id}: ${msg.code}: ${msg.message}${msg.hint ? ` (${msg.hint})` : ''}`);
        this.notice('error', msg.hint ? `${msg.message} ${msg.hint}` : msg.message, ['showLog']);
        this.emitStatus();
        this.shutdownWorker();
        return;
      default:
        log.warn(`run ${this.id}: unexpected '${msg.type}' message`);
    }
  }

  private setRecord(patch: Partial<RunRecord>): void {
    this.history.record = { ...this.history.record, ...patch, updatedAt: new Date().toISOString() };
    this.host.remember(this);
  }

  private emitStatus(): void {
    this.host.fireRunEvent({ runId: this.id, kind: 'status' });
    this.host.didChangeRuns();
  }

  private notice(severity: RunNotice['severity'], message: string, actions: NoticeAction[]): void {
    this.host.notice({ severity, message, runId: this.id, actions });
  }

  /** Reports a worker that has gone silent for too long, with Stop (kill the worker) offered. */
  private watchHeartbeat(): void {
    const { log } = this.host;
    const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
    this.watch?.dispose();
    this.watch = new HeartbeatWatch(this.worker, this.host.heartbeat, {
      hung: (silentMs, boundMs) => {
        const checkpoint = latestCheckpoint(this.history.record);
        const from = checkpoint ? `the checkpoint at step ${checkpoint.step}` : 'step 0 (no checkpoint yet)';
        const reason = `Not responding: the training process has sent nothing for ${seconds(silentMs)} (more than ${seconds(boundMs)}). Stop (kill the worker) ends it; resuming continues from ${from}.`;
        log.warn(`run ${this.id}: ${reason}`);
        this.setRecord({ reason });
        this.notice('warning', `${this.history.record.name} is not responding: its training process has sent nothing for ${seconds(silentMs)}. Kill it? Resuming continues from ${from}.`, ['kill', 'showLog']);
        this.emitStatus();
      },
      recovered: (silentMs) => {
        log.info(`run ${this.id}: the training process responds again (after ${seconds(silentMs)})`);
        this.setRecord({ reason: undefined });
        this.emitStatus();
      },
    });
  }

  /** Asks a worker that is done to exit, and kills it if it does not. */
  private shutdownWorker(): void {
    clearTimeout(this.killTimer);
    this.watch?.dispose();
    this.worker.send({ type: 'shutdown' });
    this.killTimer = setTimeout(() => {
      this.host.log.warn(`run ${this.id}: worker did not exit ${this.host.shutdownTimeoutMs} ms after shutdown`);
      this.worker.kill();
    }, this.host.shutdownTimeoutMs);
  }

  // ---------------------------------------------------------------- worker exit (supervision)

  private async onWorkerExit(exit: WorkerExit): Promise<void> {
    clearTimeout(this.killTimer);
    this.watch?.dispose();
    let state: RunState = 'failed';
    let reason: string | undefined = `The training process ${describeExit(exit)}.`;
    try {
      const { started, stopRequested, killedHung, finished, failure, textChanged } = this;
      const facts = { started, stopRequested, killedHung, finished, failure, textChanged, name: this.history.record.name, stopTimeoutMs: this.host.stopTimeoutMs, checkpoint: latestCheckpoint(this.history.record) };
      const ending = endingOf(facts, exit);
      ({ state, reason } = ending);
      if (ending.notice) this.notice('error', ending.notice.message, ending.notice.actions);
      this.host.log.info(`run ${this.id}: ${state}${reason ? `: ${reason}` : ''}`);
      const final = await writeFinalRecord(this.dir, this.history.record, state, reason);
      if (!final) this.host.log.warn(`run ${this.id}: run.json is missing after the worker exited (folder deleted?)`);
      this.setRecord(final ?? { state, reason });
    } catch (e) {
      // Whatever broke (a full disk, a run.json the host cannot use), the run ends here and the queue goes on.
      this.host.log.error(`run ${this.id}: worker exit: could not record the final state: ${e instanceof Error && e.stack ? e.stack : errorText(e)}`);
      const failed = { state: 'failed' as const, reason: `${reason ?? 'The run ended.'} Its final state could not be saved (${errorText(e)}).` };
      this.setRecord(failed);
      try {
        patchRunRecord(this.dir, failed);
      } catch {
        // Logged above; memory tells the story for this session.
      }
    } finally {
      this.cleanUpAfterExit(exit);
    }
  }

  /** Whatever happened before: the lock goes, requests fail, and the manager moves on to the next run. */
  private cleanUpAfterExit(exit: WorkerExit): void {
    const { log } = this.host;
    guarded(log, `run ${this.id}: removing its lock`, () => removeRunLock(this.dir));
    guarded(log, `run ${this.id}: failing its requests`, () => this.host.requests.failOwner(this.worker, `The training process ended (${describeExit(exit)}).`));
    guarded(log, `run ${this.id}: disposing its worker`, () => this.worker.dispose());
    // Resolved before the manager starts the next queued run; whoever awaits `done` resumes after both.
    this.resolveDone();
    this.host.ended(this);
  }
}
