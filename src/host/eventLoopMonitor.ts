/**
 * Measures how long the extension host's event loop is held up while a run trains (the requirement:
 * never more than 50 ms), with Node's `monitorEventLoopDelay`, and logs max/p99 to the output channel
 * every interval and when training ends. No `vscode` import.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Disposable } from './dispose';
import type { Logger } from './logger';

export interface LoopDelayStats {
  /** Milliseconds. */
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  /** Milliseconds the monitor was running. */
  durationMs: number;
  /**
   * CPU time this process used over the period, in percent of one core. Low CPU with high delays
   * means the loop waited for the machine (other processes), not for work of its own.
   */
  cpuPercent: number;
}

/** The delay budget of the requirement, in milliseconds. */
export const LOOP_DELAY_BUDGET_MS = 50;

export class EventLoopMonitor extends Disposable {
  private histogram: IntervalHistogram | undefined;
  private window: IntervalHistogram | undefined;
  private startedAt = 0;
  private windowStartedAt = 0;
  private startCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private windowCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private timer: NodeJS.Timeout | undefined;
  private label = '';
  /** The worst figures over every monitored period since activation. */
  private worst: LoopDelayStats = { maxMs: 0, p99Ms: 0, meanMs: 0, durationMs: 0, cpuPercent: 0 };

  constructor(private readonly log: Logger, private readonly intervalMs = 30_000, private readonly resolutionMs = 10) {
    super();
  }

  get running(): boolean {
    return this.histogram !== undefined;
  }

  /** Starts measuring (no-op if already running). */
  start(label: string): void {
    this.label = label;
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: this.resolutionMs });
    this.window = monitorEventLoopDelay({ resolution: this.resolutionMs });
    this.histogram.enable();
    this.window.enable();
    this.startedAt = this.windowStartedAt = Date.now();
    this.startCpu = this.windowCpu = process.cpuUsage();
    this.timer = setInterval(() => this.logWindow(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops measuring, logs the whole period and returns its figures. */
  stop(): LoopDelayStats | undefined {
    if (!this.histogram) return undefined;
    clearInterval(this.timer);
    const stats = this.read(this.histogram, this.startedAt, this.startCpu);
    this.histogram.disable();
    this.window?.disable();
    this.histogram = this.window = undefined;
    this.record(stats);
    this.report(`${this.label}: event-loop delay over the whole run`, stats);
    return stats;
  }

  /** Figures so far: the running period's merged with every earlier one. */
  snapshot(): { current?: LoopDelayStats; worst: LoopDelayStats } {
    const current = this.histogram ? this.read(this.histogram, this.startedAt, this.startCpu) : undefined;
    const worst = current ? merge(this.worst, current) : this.worst;
    return { current, worst };
  }

  override dispose(): void {
    this.stop();
    super.dispose();
  }

  private logWindow(): void {
    if (!this.window) return;
    const stats = this.read(this.window, this.windowStartedAt, this.windowCpu);
    this.window.reset();
    this.windowStartedAt = Date.now();
    this.windowCpu = process.cpuUsage();
    this.report(`${this.label}: event-loop delay, last ${Math.round(stats.durationMs / 1000)} s`, stats);
  }

  private read(h: IntervalHistogram, since: number, cpuSince: NodeJS.CpuUsage): LoopDelayStats {
    // The histogram holds nanoseconds between the sampling timer's ticks, which include the timer's own
    // interval: the delay is what exceeds it (an idle loop reads about 0, a 60 ms block about 50 to 60).
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - this.resolutionMs) : 0);
    const durationMs = Date.now() - since;
    const cpu = process.cpuUsage(cpuSince);
    const cpuPercent = durationMs > 0 ? ((cpu.user + cpu.system) / 1000 / durationMs) * 100 : 0;
    return { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean), durationMs, cpuPercent };
  }

  private record(stats: LoopDelayStats): void {
    this.worst = merge(this.worst, stats);
  }

  private report(what: string, s: LoopDelayStats): void {
    const line = `${what}: max ${s.maxMs.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms, mean ${s.meanMs.toFixed(1)} ms; this process used ${s.cpuPercent.toFixed(1)}% of a core`;
    if (s.maxMs > LOOP_DELAY_BUDGET_MS) this.log.warn(`${line} (above the ${LOOP_DELAY_BUDGET_MS} ms budget)`);
    else this.log.info(line);
  }
}

function merge(a: LoopDelayStats, b: LoopDelayStats): LoopDelayStats {
  return {
    maxMs: Math.max(a.maxMs, b.maxMs),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    meanMs: Math.max(a.meanMs, b.meanMs),
    durationMs: a.durationMs + b.durationMs,
    cpuPercent: Math.max(a.cpuPercent, b.cpuPercent),
  };
}
