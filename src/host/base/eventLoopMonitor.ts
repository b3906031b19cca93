/**
 * Measures how long the extension host's event loop is held up while a run trains (the requirement:
 * never more than 50 ms) and logs max/p99 to the output channel every interval and when training
 * ends. No `vscode` import.
 *
 * A timer ticks every `resolutionMs`; how late each tick comes is the delay. (Node's own
 * `monitorEventLoopDelay` does the same natively, but its histograms cannot be paused and merged:
 * re-enabling one counts the pause as a delay, and they cannot be added together.)
 */
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
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
  /**
   * The largest delay counted only as far as the event loop's thread used CPU during it (ms): the
   * longest the loop was held by work of the process's own (code, GC), rather than by waiting for a
   * core that other processes held. On a quiet machine it equals `maxMs`.
   */
  ownMaxMs: number;
}

/** The delay budget of the requirement, in milliseconds. */
export const LOOP_DELAY_BUDGET_MS = 50;

/** Delays are recorded in microseconds (histograms hold integers of at least 1). */
const US_PER_MS = 1000;

interface Period {
  readonly histogram: RecordableHistogram;
  readonly startedAt: number;
  readonly cpu: NodeJS.CpuUsage;
  ownMaxMs: number;
}

/** Where the synchronous work that starts a run began; see `markRunStarting`. */
let runStarting: { at: number; cpuMicros: number } | undefined;

/**
 * Called by the run manager just before it forks a run's worker (fork is synchronous): the monitor's
 * first tick of that run then counts from here, so the fork and the rest of the launch are measured
 * as part of the run, not left before it.
 */
export function markRunStarting(): void {
  runStarting = { at: performance.now(), cpuMicros: cpuMicros() };
}

/** A mark older than this belongs to no run starting now. */
const MARK_FRESH_MS = 1000;

export class EventLoopMonitor extends Disposable {
  private run: Period | undefined;
  private window: Period | undefined;
  /** Every sample of every monitored period since activation: the overall p99 weighs each period by its length. */
  private readonly total = createHistogram();
  private totalMs = 0;
  private totalCpuMicros = 0;
  private sampler: NodeJS.Timeout | undefined;
  private lastTick = 0;
  /** This process's CPU time (user + system, µs) at the last tick. */
  private lastCpuMicros = 0;
  private totalOwnMaxMs = 0;
  private reporter: NodeJS.Timeout | undefined;
  private label = '';

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 30_000,
    private readonly resolutionMs = 10,
  ) {
    super();
  }

  get running(): boolean {
    return this.run !== undefined;
  }

  /** Starts measuring (no-op if already running). */
  start(label: string): void {
    this.label = label;
    if (this.run) return;
    this.run = newPeriod();
    this.window = newPeriod();
    const mark = runStarting;
    runStarting = undefined;
    const fresh = mark !== undefined && performance.now() - mark.at < MARK_FRESH_MS;
    this.lastTick = fresh ? mark.at : performance.now();
    this.lastCpuMicros = fresh ? mark.cpuMicros : cpuMicros();
    this.sampler = setInterval(() => this.tick(), this.resolutionMs);
    this.sampler.unref();
    this.reporter = setInterval(() => this.logWindow(), this.intervalMs);
    this.reporter.unref();
  }

  /** Stops measuring, logs the whole period and returns its figures. */
  stop(): LoopDelayStats | undefined {
    if (!this.run) return undefined;
    clearInterval(this.sampler);
    clearInterval(this.reporter);
    const stats = read(this.run);
    this.run = this.window = undefined;
    this.totalMs += stats.durationMs;
    this.totalCpuMicros += (stats.cpuPercent / 100) * stats.durationMs * 1000;
    this.totalOwnMaxMs = Math.max(this.totalOwnMaxMs, stats.ownMaxMs);
    this.report(`${this.label}: event-loop delay over the whole run`, stats);
    return stats;
  }

  /**
   * Figures so far: `current` for the period running now, `worst` over every monitored period since
   * activation together (the largest delay, and the p99 and mean of all their samples).
   */
  snapshot(): { current?: LoopDelayStats; worst: LoopDelayStats } {
    const current = this.run ? read(this.run) : undefined;
    const durationMs = this.totalMs + (current?.durationMs ?? 0);
    const cpuMicros = this.totalCpuMicros + (current ? (current.cpuPercent / 100) * current.durationMs * 1000 : 0);
    const worst: LoopDelayStats = {
      ...delays(this.total),
      durationMs,
      cpuPercent: durationMs > 0 ? (cpuMicros / 1000 / durationMs) * 100 : 0,
      ownMaxMs: Math.max(this.totalOwnMaxMs, current?.ownMaxMs ?? 0),
    };
    return { current, worst };
  }

  override dispose(): void {
    this.stop();
    super.dispose();
  }

  private tick(): void {
    const now = performance.now();
    const delayMs = Math.max(0, now - this.lastTick - this.resolutionMs);
    this.lastTick = now;
    // Of the delay, only as much as the process computed meanwhile was its own doing.
    const cpu = cpuMicros();
    const ownMs = Math.min(delayMs, (cpu - this.lastCpuMicros) / US_PER_MS);
    this.lastCpuMicros = cpu;
    for (const p of [this.run, this.window]) if (p && ownMs > p.ownMaxMs) p.ownMaxMs = ownMs;
    // Each stall over the budget gets a line of its own: the lines logged just before it say what ran.
    if (ownMs > LOOP_DELAY_BUDGET_MS) this.log.warn(`${this.label}: the event loop was held ${delayMs.toFixed(1)} ms (own work ${ownMs.toFixed(1)} ms)`);
    const value = Math.max(1, Math.round(delayMs * US_PER_MS));
    this.run?.histogram.record(value);
    this.window?.histogram.record(value);
    this.total.record(value);
  }

  private logWindow(): void {
    if (!this.window) return;
    const stats = read(this.window);
    this.window = newPeriod();
    this.report(`${this.label}: event-loop delay, last ${Math.round(stats.durationMs / 1000)} s`, stats);
  }

  private report(what: string, s: LoopDelayStats): void {
    const line = `${what}: max ${s.maxMs.toFixed(1)} ms (own work at most ${s.ownMaxMs.toFixed(1)} ms), p99 ${s.p99Ms.toFixed(1)} ms, mean ${s.meanMs.toFixed(1)} ms; this process used ${s.cpuPercent.toFixed(1)}% of a core`;
    if (s.ownMaxMs > LOOP_DELAY_BUDGET_MS) this.log.warn(`${line} (above the ${LOOP_DELAY_BUDGET_MS} ms budget)`);
    else this.log.info(line);
  }
}

function newPeriod(): Period {
  return { histogram: createHistogram(), startedAt: Date.now(), cpu: process.cpuUsage(), ownMaxMs: 0 };
}

/**
 * CPU time of the thread that runs the event loop where Node can tell (23.9 and later, as in VS Code's
 * extension host): the work that holds the loop. Otherwise the whole process's, which also counts
 * what other threads did meanwhile (concurrent GC, file reads in the thread pool): an upper bound.
 */
const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.bind(process);

function cpuMicros(): number {
  const u = threadCpuUsage ? threadCpuUsage() : process.cpuUsage();
  return u.user + u.system;
}

function delays(h: RecordableHistogram): Pick<LoopDelayStats, 'maxMs' | 'p99Ms' | 'meanMs'> {
  if (h.count === 0) return { maxMs: 0, p99Ms: 0, meanMs: 0 };
  return { maxMs: h.max / US_PER_MS, p99Ms: h.percentile(99) / US_PER_MS, meanMs: h.mean / US_PER_MS };
}

function read(p: Period): LoopDelayStats {
  const durationMs = Date.now() - p.startedAt;
  const cpu = process.cpuUsage(p.cpu);
  const cpuPercent = durationMs > 0 ? ((cpu.user + cpu.system) / 1000 / durationMs) * 100 : 0;
  return { ...delays(p.histogram), durationMs, cpuPercent, ownMaxMs: p.ownMaxMs };
}
