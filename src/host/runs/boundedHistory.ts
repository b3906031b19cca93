/**
 * A run's history in bounded memory, whatever the run's length: the most recent points at full
 * resolution, older ones merged into buckets whose width doubles whenever they fill their share, so
 * each series holds at most its cap of points (a 1,000,000-step run keeps 10,000 metric points). The
 * live run and a finished run's history read for the panel both go through it, so every snapshot the
 * panel gets is bounded too.
 */
import type { RunHistory, RunRecord } from '../../core/runFiles';
import type { EvalPoint, GradMap, MetricPoint, SampleRecord } from '../../protocol/types';
import type { WorkerToHost } from '../../protocol/worker';
import type { RunEvent } from './runEvents';

/** Merges two adjacent points (`a` before `b`) standing for `wa` and `wb` steps into one. */
export type Merge<T> = (a: T, b: T, wa: number, wb: number) => T;

/** Keeps the later point: for records that cannot be averaged (gradient maps, samples). */
const keepLater = <T>(_a: T, b: T): T => b;

/** A weighted mean; a NaN or infinite value (a diverging run) prevails, so it stays visible. */
const mean = (x: number, y: number, wx: number, wy: number) => (!Number.isFinite(x) ? x : !Number.isFinite(y) ? y : (x * wx + y * wy) / (wx + wy));

/** Loss and norms averaged over the bucket (the curve keeps its shape), labelled with its last step. */
export const mergeMetrics: Merge<MetricPoint> = (a, b, wa, wb) => ({
  step: b.step,
  loss: mean(a.loss, b.loss, wa, wb),
  gradNorm: mean(a.gradNorm, b.gradNorm, wa, wb),
  clipped: a.clipped || b.clipped,
  tokensPerSec: mean(a.tokensPerSec, b.tokensPerSec, wa, wb),
  elapsedMs: b.elapsedMs,
});

export const mergeEvals: Merge<EvalPoint> = (a, b, wa, wb) => ({ ...b, valLoss: mean(a.valLoss, b.valLoss, wa, wb) });

export class BoundedSeries<T extends { step: number }> {
  /** Merged buckets, oldest first, each standing for `weights[i]` points. */
  private old: T[] = [];
  private weights: number[] = [];
  /** The bucket being filled, before it joins `old`. */
  private open: { point: T; weight: number } | undefined;
  /** Full-resolution points: `recent[head..]` (the head index spares a shift per push). */
  private recent: T[] = [];
  private head = 0;
  /** Points per bucket now. */
  private stride = 1;
  private total = 0;

  constructor(
    readonly cap: number,
    readonly recentCap: number,
    private readonly merge: Merge<T> = keepLater,
  ) {
    if (recentCap < 1 || cap < recentCap + 2) throw new Error('BoundedSeries: cap must leave room for older points');
  }

  /** Points pushed so far (not how many are kept). */
  get count(): number {
    return this.total;
  }

  get length(): number {
    return this.old.length + (this.open ? 1 : 0) + this.recent.length - this.head;
  }

  get last(): T | undefined {
    return this.recent.length > this.head ? this.recent[this.recent.length - 1] : undefined;
  }

  push(point: T): void {
    this.total++;
    this.recent.push(point);
    if (this.recent.length - this.head > this.recentCap) this.age(this.recent[this.head++]);
    // Compact the consumed head now and then: amortised O(1) per push.
    if (this.head > this.recentCap) {
      this.recent = this.recent.slice(this.head);
      this.head = 0;
    }
  }

  /** Every kept point, oldest first: at most `cap`. */
  toArray(): T[] {
    const out: T[] = this.old.slice();
    if (this.open) out.push(this.open.point);
    for (let i = this.head; i < this.recent.length; i++) out.push(this.recent[i]);
    return out;
  }

  /** Drops points after `step` (a resumed run rewinds to its checkpoint). */
  dropAfter(step: number): void {
    const recent = this.recent.slice(this.head).filter((p) => p.step <= step);
    this.recent = recent;
    this.head = 0;
    if (this.open && this.open.point.step > step) this.open = undefined;
    while (this.old.length && this.old[this.old.length - 1].step > step) {
      this.old.pop();
      this.weights.pop();
    }
  }

  clear(): void {
    this.old = [];
    this.weights = [];
    this.open = undefined;
    this.recent = [];
    this.head = 0;
    this.stride = 1;
    this.total = 0;
  }

  /** A point leaves the recent window: into the open bucket, which joins `old` when full. */
  private age(point: T): void {
    this.open = this.open ? { point: this.merge(this.open.point, point, this.open.weight, 1), weight: this.open.weight + 1 } : { point, weight: 1 };
    if (this.open.weight < this.stride) return;
    this.old.push(this.open.point);
    this.weights.push(this.open.weight);
    this.open = undefined;
    // One slot is for the open bucket.
    if (this.old.length > this.cap - this.recentCap - 1) this.halve();
  }

  /** Merges neighbouring buckets pairwise: half as many, twice as wide. */
  private halve(): void {
    const old: T[] = [];
    const weights: number[] = [];
    for (let i = 0; i + 1 < this.old.length; i += 2) {
      old.push(this.merge(this.old[i], this.old[i + 1], this.weights[i], this.weights[i + 1]));
      weights.push(this.weights[i] + this.weights[i + 1]);
    }
    if (this.old.length % 2) {
      // The odd one out starts the open bucket of the new width.
      this.open = { point: this.old[this.old.length - 1], weight: this.weights[this.weights.length - 1] };
    }
    this.old = old;
    this.weights = weights;
    this.stride *= 2;
  }
}

/** Points kept per series: the newest half of each at full resolution. */
export const HISTORY_CAPS = { metrics: 10_000, evals: 2_000, gradMaps: 500, samples: 200 } as const;

export class BoundedHistory {
  readonly metrics = new BoundedSeries<MetricPoint>(HISTORY_CAPS.metrics, HISTORY_CAPS.metrics / 2, mergeMetrics);
  readonly evals = new BoundedSeries<EvalPoint>(HISTORY_CAPS.evals, HISTORY_CAPS.evals / 2, mergeEvals);
  readonly gradMaps = new BoundedSeries<GradMap>(HISTORY_CAPS.gradMaps, HISTORY_CAPS.gradMaps / 2);
  readonly samples = new BoundedSeries<SampleRecord>(HISTORY_CAPS.samples, HISTORY_CAPS.samples / 2);

  constructor(public record: RunRecord) {}

  dropAfter(step: number): void {
    for (const series of this.all()) series.dropAfter(step);
  }

  /** A plain `RunHistory` of what is kept (at most the caps). */
  toHistory(): RunHistory {
    return { record: this.record, metrics: this.metrics.toArray(), evals: this.evals.toArray(), gradMaps: this.gradMaps.toArray(), samples: this.samples.toArray() };
  }

  /**
   * Takes in a history read from disk (plain arrays, of any length), yielding to the event loop every
   * `slice` points so that a long run's history never holds the loop for long.
   */
  async addAll(history: Omit<RunHistory, 'record'>, slice = 2000): Promise<void> {
    await pushAll(history.metrics, this.metrics, slice);
    await pushAll(history.evals, this.evals, slice);
    await pushAll(history.gradMaps, this.gradMaps, slice);
    await pushAll(history.samples, this.samples, slice);
  }

  private all(): { dropAfter(step: number): void }[] {
    return [this.metrics, this.evals, this.gradMaps, this.samples];
  }
}

async function pushAll<T extends { step: number }>(list: readonly T[], series: BoundedSeries<T>, slice: number): Promise<void> {
  for (let i = 0; i < list.length; i++) {
    series.push(list[i]);
    if (i % slice === slice - 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A history read from disk, bounded as the live run's is. */
export async function boundHistory(history: RunHistory): Promise<RunHistory> {
  const bounded = new BoundedHistory(history.record);
  await bounded.addAll(history);
  return bounded.toHistory();
}

type DataMessage = Extract<WorkerToHost, { type: 'metrics' | 'eval' | 'gradmap' | 'sample' }>;

/**
 * Adds what a worker's data message carries to a live run's history; returns the event for the views,
 * and what changes in the run's record (its step and last loss, or a better validation loss).
 */
export function recordEntry(history: BoundedHistory, msg: DataMessage, runId: string): { event: RunEvent; patch?: Partial<RunRecord> } {
  switch (msg.type) {
    case 'metrics':
      history.metrics.push(msg.point);
      return { event: { runId, kind: 'metrics', point: msg.point }, patch: { step: msg.point.step, lastLoss: msg.point.loss } };
    case 'eval': {
      history.evals.push(msg.point);
      const best = history.record.bestValLoss;
      const better = Number.isFinite(msg.point.valLoss) && (best === undefined || msg.point.valLoss < best);
      return { event: { runId, kind: 'eval', point: msg.point }, patch: better ? { bestValLoss: msg.point.valLoss } : undefined };
    }
    case 'gradmap':
      history.gradMaps.push(msg.map);
      return { event: { runId, kind: 'gradmap', map: msg.map } };
    case 'sample':
      history.samples.push(msg.sample);
      return { event: { runId, kind: 'sample', sample: msg.sample } };
  }
}
