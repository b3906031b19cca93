/**
 * The training panel's copy of one run: the last snapshot plus every delta since, kept in columns
 * that charts read without copying. The host is the truth; this is a replica that drops messages
 * of another run. Pure (no DOM), so the merge rules are unit-tested.
 */
import type { HostToPanel, RunView } from '../../protocol/panel';
import type { CheckpointRef, EvalPoint, GradMap, MetricPoint, RunInfo, RunSummary, SampleRecord, TrainConfig } from '../../protocol/types';
import { baseName } from './format';

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
  tokensPerSec: number | undefined;
  /** Incremented whenever recorded history is cut (a rewind), so derived caches know to start over. */
  revision = 0;

  // ---- validation, ascending by step
  readonly evalSteps: number[] = [];
  readonly valLoss: number[] = [];

  readonly gradMaps: GradMap[] = [];
  /** Oldest first (the view reverses). */
  readonly samples: SampleRecord[] = [];

  constructor(readonly runId: string, run: RunView, readOnly: boolean, displayFiles?: readonly string[]) {
    this.summary = run.summary;
    this.config = run.config;
    this.info = run.info;
    this.checkpoints = [...run.checkpoints];
    this.readOnly = readOnly;
    this.displayFiles = displayFiles;
    this.appendMetrics(run.metrics);
    for (const e of run.evals) this.addEval(e);
    for (const g of run.gradMaps) this.addGradMap(g);
    for (const s of run.samples) this.samples.push(s);
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
        for (const column of [this.steps, this.loss, this.gradNorm, this.clipped, this.elapsedMs] as unknown[][]) column.length = cut;
      }
      this.steps.push(p.step);
      this.loss.push(p.loss);
      this.gradNorm.push(p.gradNorm);
      this.clipped.push(p.clipped);
      this.elapsedMs.push(p.elapsedMs);
      this.tokensPerSec = p.tokensPerSec;
    }
  }

  addEval(point: EvalPoint): void {
    const cut = firstIndexAtOrAfter(this.evalSteps, point.step);
    this.evalSteps.length = cut;
    this.valLoss.length = cut;
    this.evalSteps.push(point.step);
    this.valLoss.push(point.valLoss);
  }

  addGradMap(map: GradMap): void {
    let cut = this.gradMaps.length;
    while (cut > 0 && this.gradMaps[cut - 1].step >= map.step) cut--;
    this.gradMaps.length = cut;
    this.gradMaps.push(map);
  }

  addSample(sample: SampleRecord): void {
    this.samples.push(sample);
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
