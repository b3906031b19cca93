/**
 * Tells a hung worker (alive, silent) from a slow one. The worker sends a heartbeat every 2 s from a
 * timer, which fires only between steps, and a metrics message after every step; so the longest
 * silence a healthy worker keeps is about its slowest step. A worker silent past
 * max(`minSilenceMs`, `stepFactor` × the slowest step seen) is reported hung; a message after that
 * reports it back.
 */
import { performance } from 'node:perf_hooks';
import { Disposable } from '../base/dispose';

export interface HeartbeatOptions {
  /** The bound never goes below this (ms): start-up, evaluation and checkpoints take a while. */
  minSilenceMs: number;
  /** The bound is at least this many times the slowest step seen. */
  stepFactor: number;
  /** How often the silence is checked (ms). */
  checkEveryMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { minSilenceMs: 60_000, stepFactor: 20, checkEveryMs: 1000 };

export interface HeartbeatEvents {
  hung(silentMs: number, boundMs: number): void;
  recovered(silentMs: number): void;
}

export class HeartbeatWatch extends Disposable {
  private slowestStepMs = 0;
  /** Training starts as the watch does: the first step is timed from then. */
  private lastStepAt: number | undefined = performance.now();
  private hung = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly source: { readonly lastHeardAt: number },
    private readonly options: HeartbeatOptions,
    private readonly events: HeartbeatEvents,
  ) {
    super();
    this.timer = setInterval(() => this.check(), options.checkEveryMs);
    this.timer.unref();
    this._register({ dispose: () => clearInterval(this.timer) });
  }

  get isHung(): boolean {
    return this.hung;
  }

  /** The silence allowed now (ms). */
  get boundMs(): number {
    return Math.max(this.options.minSilenceMs, this.options.stepFactor * this.slowestStepMs);
  }

  /** A step ended: the time since the previous one counts toward the slowest step. */
  step(now = performance.now()): void {
    if (this.lastStepAt !== undefined) this.slowestStepMs = Math.max(this.slowestStepMs, now - this.lastStepAt);
    this.lastStepAt = now;
    this.check(now);
  }

  /** Paused or resumed: the time in between is no step's. */
  restartStepClock(): void {
    this.lastStepAt = undefined;
  }

  check(now = performance.now()): void {
    const silentMs = now - this.source.lastHeardAt;
    const bound = this.boundMs;
    if (!this.hung && silentMs > bound) {
      this.hung = true;
      this.events.hung(silentMs, bound);
    } else if (this.hung && silentMs <= bound) {
      this.hung = false;
      this.events.recovered(silentMs);
    }
  }
}

/** What a run whose worker went silent says: its reason, and the notification offering to kill it. */
export function hungText(name: string, checkpoint: { step: number } | undefined, silentMs: number, boundMs: number): { reason: string; notice: string } {
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  const from = checkpoint ? `the checkpoint at step ${checkpoint.step}` : 'step 0 (no checkpoint yet)';
  return {
    reason: `Not responding: the training process has sent nothing for ${seconds(silentMs)} (more than ${seconds(boundMs)}). Stop (kill the worker) ends it; resuming continues from ${from}.`,
    notice: `${name} is not responding: its training process has sent nothing for ${seconds(silentMs)}. Kill it? Resuming continues from ${from}.`,
  };
}
