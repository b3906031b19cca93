/**
 * The training panel's copy of one run: the last snapshot plus every delta since, kept in columns
 * that charts read without copying. The host is the truth; this is a replica that drops messages
 * of another run. Pure (no DOM), so the merge rules are unit-tested.
 */
import type { HostToPanel, RunView } from '../../protocol/panel';
import type { CheckpointRef, EvalPoint, GradMap, MetricPoint, RunInfo, RunSummary, SampleRecord, TrainConfig } from '../../protocol/types';
import { baseName } from './format';

/**
 * Points the page keeps per series while a run goes on (the host's snapshot is bounded likewise,
 * host/runs/boundedHistory.ts): past these, the older half is thinned to every other point, so a panel left
 * open on a run of a million steps holds a bounded history.
 */
export const MODEL_CAPS = { metrics: 20_000, evals: 4_000, gradMaps: 1_000, samples: 400 } as const;

export class RunModel {
  summary: RunSummary;
  config: TrainConfig;
  info: RunInfo | undefined;
  checkpoints: CheckpointRef[];
  readonly readOnly: boolean;
  /** The host's display form of `summary.files` (relative to the workspace folder), when it sent one. */
  displayFiles: readonly string[] | undefined;

  // ---- training metrics, one entry per step, ascending
  readonly steps: number[] = [];
  readonly loss: number[] = [];
  readonly gradNorm: number[] = [];
  readonly clipped: boolean[] = [];
  readonly elapsedMs: number[] = [];
  /** How many steps each point stands for (1 until a long run's older points are merged). */
  readonly weight: number[] = [];
  tokensPerSec: number | undefined;
  /** Incremented whenever recorded history is cut (a rewind), so derived caches know to start over. */
  revision = 0;

  // ---- validation, ascending by step
  readonly evalSteps: number[] = [];
  readonly valLoss: number[] = [];

  readonly gradMaps: GradMap[] = [];
  /** Oldest first (the view reverses). */
  readonly samples: SampleRecord[] = [];

  constructor(
    readonly runId: string,
    run: RunView,
    readOnly: boolean,
    displayFiles?: readonly string[],
  ) {
    this.summary = run.summary;
    this.config = run.config;
    this.info = run.info;
    this.checkpoints = [...run.checkpoints];
    this.readOnly = readOnly;
    this.displayFiles = displayFiles;
    this.appendMetrics(run.metrics);
    for (const e of run.evals) this.addEval(e);
    for (const g of run.gradMaps) this.addGradMap(g);
    for (const s of run.samples) this.addSample(s);
  }

  /**
   * Appends training points. A point at or before the last recorded step means the run went back
   * (resumed from an earlier checkpoint, or a replay overlaps): the later history is cut first so
   * steps stay ascending, which the charts require.
   */
  appendMetrics(points: readonly MetricPoint[]): void {
    for (const p of points) {
      const last = this.steps.length ? this.steps[this.steps.length - 1] : -Infinity;
      if (p.step <= last) {
        const cut = firstIndexAtOrAfter(this.steps, p.step);
        this.revision++;
        for (const column of [this.steps, this.loss, this.gradNorm, this.clipped, this.elapsedMs, this.weight] as unknown[][]) column.length = cut;
      }
      this.steps.push(p.step);
      this.loss.push(p.loss);
      this.gradNorm.push(p.gradNorm);
      this.clipped.push(p.clipped);
      this.elapsedMs.push(p.elapsedMs);
      this.weight.push(1);
      this.tokensPerSec = p.tokensPerSec;
    }
    if (this.steps.length > MODEL_CAPS.metrics) this.thinMetrics();
  }

  /**
   * Merges the older half into buckets of equal width (in points), the widest there already is or
   * twice that, with the loss and norm averaged by weight: older history keeps an even resolution and
   * the curve its shape.
   */
  private thinMetrics(): void {
    const half = Math.floor(this.steps.length / 2);
    let widest = 1;
    let older = 0;
    for (let i = 0; i < half; i++) {
      widest = Math.max(widest, this.weight[i]);
      older += this.weight[i];
    }
    // The older half fits in a quarter of the cap, in buckets of a power of two (never narrower than before).
    let width = widest;
    while (older / width > MODEL_CAPS.metrics / 4) width *= 2;
    this.mergeOlder(half, width);
    this.revision++;
  }

  /** Merges runs of neighbours among the first `half` points into buckets of at most `width` steps' points; returns the new length. */
  private mergeOlder(half: number, width: number): number {
    const { steps, loss, gradNorm, clipped, elapsedMs, weight } = this;
    let w = 0;
    let r = 0;
    while (r < steps.length) {
      let n = weight[r];
      let lossSum = loss[r] * n;
      let normSum = gradNorm[r] * n;
      let anyClipped = clipped[r];
      let last = r;
      while (r < half && last + 1 < half && n + weight[last + 1] <= width) {
        last++;
        n += weight[last];
        lossSum += loss[last] * weight[last];
        normSum += gradNorm[last] * weight[last];
        anyClipped ||= clipped[last];
      }
      steps[w] = steps[last];
      loss[w] = lossSum / n;
      gradNorm[w] = normSum / n;
      clipped[w] = anyClipped;
      elapsedMs[w] = elapsedMs[last];
      weight[w] = n;
      w++;
      r = last + 1;
    }
    for (const column of [steps, loss, gradNorm, clipped, elapsedMs, weight] as unknown[][]) column.length = w;
    return w;
  }

  addEval(point: EvalPoint): void {
    const cut = firstIndexAtOrAfter(this.evalSteps, point.step);
    this.evalSteps.length = cut;
    this.valLoss.length = cut;
    this.evalSteps.push(point.step);
    this.valLoss.push(point.valLoss);
    if (this.evalSteps.length > MODEL_CAPS.evals) {
      for (const column of [this.evalSteps, this.valLoss]) thinOlderHalf(column);
    }
  }

  addGradMap(map: GradMap): void {
    let cut = this.gradMaps.length;
    while (cut > 0 && this.gradMaps[cut - 1].step >= map.step) cut--;
    this.gradMaps.length = cut;
    this.gradMaps.push(map);
    if (this.gradMaps.length > MODEL_CAPS.gradMaps) thinOlderHalf(this.gradMaps);
  }

  addSample(sample: SampleRecord): void {
    this.samples.push(sample);
    if (this.samples.length > MODEL_CAPS.samples) thinOlderHalf(this.samples);
  }

  setStatus(summary: RunSummary, info: RunInfo | undefined, checkpoints: readonly CheckpointRef[], displayFiles?: readonly string[]): void {
    this.summary = summary;
    if (info) this.info = info;
    this.checkpoints = [...checkpoints];
    if (displayFiles) this.displayFiles = displayFiles;
  }

  /**
   * The files as the header shows them: the host's relative forms when they pair one to one with
   * `summary.files`, else the absolute paths.
   */
  get shownFiles(): readonly string[] {
    const files = this.summary.files;
    const shown = this.displayFiles;
    return shown && shown.length === files.length && shown.every((f) => typeof f === 'string' && f.length > 0) ? shown : files;
  }

  /**
   * The line beside the run's name in the header: the file's path, unless the name already says it (a
   * file at the workspace root is named after itself), or how many files and which.
   */
  get filesLine(): string {
    const shown = this.shownFiles;
    if (shown.length !== 1) return `${shown.length} files: ${this.summary.files.map(baseName).join(', ')}`;
    return shown[0] === this.summary.name ? '' : shown[0];
  }

  get lastStep(): number {
    return this.steps.length ? this.steps[this.steps.length - 1] : this.summary.step;
  }

  /** Best (lowest) validation loss so far. */
  get bestValLoss(): number | undefined {
    let best: number | undefined;
    for (const v of this.valLoss) if (Number.isFinite(v) && (best === undefined || v < best)) best = v;
    return best ?? this.summary.bestValLoss;
  }
}

/** Which part of the panel a message changes, after it has been applied. */
export type PanelChange = 'snapshot' | 'metrics' | 'eval' | 'gradmap' | 'sample' | 'status';

/**
 * Applies a run message to `model`. A snapshot replaces the model (returned as `model`); a delta whose
 * run id differs from the current snapshot's is dropped (no changes): it belongs to a run this panel
 * no longer shows.
 */
export function applyRunMessage(model: RunModel | undefined, msg: HostToPanel): { model: RunModel | undefined; changes: PanelChange[] } {
  if (msg.type === 'snapshot') return { model: new RunModel(msg.runId, msg.run, msg.readOnly, msg.displayFiles), changes: ['snapshot'] };
  if (!model || !('runId' in msg) || msg.runId !== model.runId) return { model, changes: [] };
  switch (msg.type) {
    case 'deltas': {
      const changes: PanelChange[] = [];
      if (msg.metrics.length) {
        model.appendMetrics(msg.metrics);
        changes.push('metrics');
      }
      for (const point of msg.evals) model.addEval(point);
      if (msg.evals.length) changes.push('eval');
      for (const map of msg.gradMaps) model.addGradMap(map);
      if (msg.gradMaps.length) changes.push('gradmap');
      for (const sample of msg.samples) model.addSample(sample);
      if (msg.samples.length) changes.push('sample');
      return { model, changes };
    }
    case 'status':
      model.setStatus(msg.summary, msg.info, msg.checkpoints, msg.displayFiles);
      return { model, changes: ['status'] };
    default:
      return { model, changes: [] };
  }
}

/** Index of the first element >= value in an ascending array (binary search). */
export function firstIndexAtOrAfter(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keeps every other entry of the older half of `list` (the later of each pair), in place. */
function thinOlderHalf<T>(list: T[]): void {
  const half = Math.floor(list.length / 2);
  let w = 0;
  for (let r = 0; r < list.length; r++) if (r >= half || r % 2 === 1) list[w++] = list[r];
  list.length = w;
}
