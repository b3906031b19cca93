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
import { type WorkerToHost } from '../../protocol/worker';
import { BoundedHistory, recordEntry } from './boundedHistory';
import { errorText, guarded } from '../base/guarded';
import { endingOf, recordEnding } from './runEnding';
import { startMessage } from './runRequests';
import { HeartbeatWatch, hungText } from './heartbeat';
import type { NoticeAction, RunNotice } from './runEvents';
import { lockRun } from './runRecovery';
import { latestCheckpoint, patchRunRecord } from './runStore';
import { readRunHistoryAsync } from './runListing';
import { removeRunLock } from './runLock';
import { describeExit, type WorkerExit, type WorkerProcess } from './workerProcess';
import { newRequestId, routeToRequest } from './workerRequests';
import type { ActiveRunHost, QueuedRun } from './activeRunHost';

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
    if (!hello.ok) this.failure = { message: `Training could not start: ${hello.reason}.` };
    if (!hello.ok || this.stopRequested) {
      this.worker.kill();
      return;
    }
    const start = startMessage(q);
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
    // An answer to a request (a sample, a checkpoint now, ...), or an error scoped to one: training goes on.
    if (routeToRequest(this.host.requests, msg, (line) => log.warn(`run ${this.id}: ${line}`))) return;
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
        log.info(
          `run ${this.id}: training from step ${msg.startStep} on ${msg.info.backend} (${msg.info.backendReason}); vocabulary ${msg.info.vocabSize}, ${msg.info.paramCount} parameters`,
        );
        this.emitStatus();
        return;
      case 'metrics':
      case 'eval':
      case 'gradmap':
      case 'sample': {
        if (msg.type === 'metrics') this.watch?.step();
        const { event, patch } = recordEntry(history, msg, this.id);
        if (patch) this.setRecord(patch);
        this.host.fireRunEvent(event);
        // The summaries show the step, the loss and the best validation loss.
        if (msg.type === 'metrics' || msg.type === 'eval') this.host.didChangeRuns();
        return;
      }
      case 'checkpoint':
        // The worker's list, not ours plus the new one: it has deleted the checkpoints it no longer keeps.
        this.setRecord({ checkpoints: [...msg.checkpoints].sort((a, b) => a.step - b.step) });
        this.emitStatus();
        return;
      case 'state':
        this.watch?.restartStepClock();
        this.setRecord({ state: msg.state });
        log.info(`run ${this.id}: ${msg.state}`);
        this.emitStatus();
        return;
      case 'finished':
        this.finished = { state: msg.reason, message: msg.message };
        log.info(`run ${this.id}: finished (${msg.reason}) at step ${msg.step}: ${msg.message}`);
        this.endWith(
          { state: msg.reason, reason: msg.message, step: msg.step },
          msg.reason === 'diverged' ? ['warning', `Training of ${record.name} diverged: ${msg.message}`, ['openPanel']] : undefined,
        );
        return;
      case 'error': {
        if (msg.code === 'TEXT_CHANGED' && this.queued.before) {
          // A resume on a changed text: nothing trained, the run goes back to how it was, and the user chooses.
          this.textChanged = this.queued.before;
          log.warn(`run ${this.id}: ${msg.message}`);
          this.endWith(this.queued.before, [
            'warning',
            `${record.name}: ${msg.message} Continue it as fine-tuning on the new text (its weights, optimizer and step are kept; batches start afresh), or leave the run as it was.`,
            ['fineTune'],
          ]);
          return;
        }
        // A run-level error ends the run: the worker cannot train it (bad input, unusable backend, ...).
        this.failure = { message: msg.message, hint: msg.hint };
        const reason = msg.hint ? `${msg.message} ${msg.hint}` : msg.message;
        log.error(`run ${this.id}: ${msg.code}: ${msg.message}${msg.hint ? ` (${msg.hint})` : ''}`);
        this.endWith({ state: 'failed', reason }, ['error', reason, ['showLog']]);
        return;
      }
      default:
        log.warn(`run ${this.id}: unexpected '${msg.type}' message`);
    }
  }

  /** The worker is done with the run: record how, tell the user if need be, and let the worker go. */
  private endWith(patch: Partial<RunRecord>, notice?: [RunNotice['severity'], string, NoticeAction[]]): void {
    this.setRecord(patch);
    if (notice) this.notice(...notice);
    this.emitStatus();
    this.shutdownWorker();
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
    this.watch?.dispose();
    this.watch = new HeartbeatWatch(this.worker, this.host.heartbeat, {
      hung: (silentMs, boundMs) => {
        const text = hungText(this.history.record.name, latestCheckpoint(this.history.record), silentMs, boundMs);
        this.host.log.warn(`run ${this.id}: ${text.reason}`);
        this.setRecord({ reason: text.reason });
        this.notice('warning', text.notice, ['kill', 'showLog']);
        this.emitStatus();
      },
      recovered: (silentMs) => {
        this.host.log.info(`run ${this.id}: the training process responds again (after ${Math.round(silentMs / 1000)} s)`);
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
    try {
      const { started, stopRequested, killedHung, finished, failure, textChanged } = this;
      const facts = {
        started,
        stopRequested,
        killedHung,
        finished,
        failure,
        textChanged,
        name: this.history.record.name,
        stopTimeoutMs: this.host.stopTimeoutMs,
        checkpoint: latestCheckpoint(this.history.record),
      };
      const ending = endingOf(facts, exit);
      if (ending.notice) this.notice('error', ending.notice.message, ending.notice.actions);
      this.setRecord(await recordEnding(this.id, this.dir, this.history.record, ending, this.host.log));
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
