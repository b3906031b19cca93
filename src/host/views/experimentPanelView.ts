/**
 * The experiment panel's view from what was read (experimentPanelData.ts): the results table built with
 * resultRow from each run's own folder, the preset's answer from those rows, each run's curves thinned
 * and newest gradient maps capped, and the samples side by side at the latest step every sampled run
 * has one for. Pure: unit tests check every figure against the run folders.
 */
import type { ExperimentRecord } from '../../core/experiments/experimentRecord';
import { presetById } from '../../core/experiments/presets';
import { RESULT_COLUMNS, resultRow, type ResultRow } from '../../core/experiments/resultsTable';
import { MAX_CURVE_EVALS, MAX_CURVE_POINTS, MAX_PANEL_MAPS, MAX_SAMPLE_CHARS, type ExperimentRunView, type ExperimentView, type SamplesRow } from '../../protocol/experimentPanel';
import type { EvalPoint, GradMap, MetricPoint, RunState } from '../../protocol/types';
import { BoundedSeries, mergeEvals, mergeMetrics } from '../runs/boundedHistory';
import type { LoadedRun } from './experimentPanelData';

/** Gradient-map numbers sent for all runs together; beyond it each run sends fewer maps. */
export const MAP_NUMBER_BUDGET = 400_000;

const DONE: readonly RunState[] = ['completed', 'stopped', 'diverged', 'failed'];

export interface BuiltView {
  readonly view: ExperimentView;
  /** The table's rows, for the CSV and Markdown exports (resultsCsv, resultsMarkdown). */
  readonly rows: ResultRow[];
}

export function buildExperimentView(record: ExperimentRecord, runs: readonly LoadedRun[], readOnly: boolean): BuiltView {
  const rows: ResultRow[] = [];
  for (const run of runs) {
    const h = run.history;
    if (!h) continue;
    rows.push(
      resultRow({
        label: run.ref.label,
        state: run.state ?? h.record.state,
        info: h.record.info,
        durationMs: h.record.durationMs,
        metrics: h.metrics,
        evals: h.evals,
        gradMaps: h.gradMaps,
      }),
    );
  }
  const preset = record.presetId ? presetById(record.presetId) : undefined;
  const mapsEach = mapsPerRun(runs);
  const runViews: ExperimentRunView[] = runs.map((run) => {
    const h = run.history;
    const state = run.unreadable !== undefined ? 'unreadable' : (run.state ?? (run.ref.runId ? 'queued' : 'pending'));
    return {
      label: run.ref.label,
      runId: run.ref.runId,
      cell: h?.record.config.cell,
      state,
      reason: run.unreadable ?? h?.record.reason,
      series: {
        id: run.ref.runId ?? run.ref.label,
        label: run.ref.label,
        metrics: thin(h?.metrics ?? [], MAX_CURVE_POINTS, mergeMetrics),
        evals: thin(h?.evals ?? [], MAX_CURVE_EVALS, mergeEvals),
        info: h?.record.info,
      },
      gradMaps: (h?.gradMaps ?? []).slice(-mapsEach).map(topLayer),
    };
  });
  const samples = sideBySide(runs);
  return {
    rows,
    view: {
      id: record.id,
      name: record.name,
      state: record.state,
      varied: record.vary.map((v) => v.name),
      question: preset?.question,
      lookFor: preset?.lookFor,
      answer: preset ? preset.answer(rows) : undefined,
      done: runViews.filter((r) => (DONE as readonly string[]).includes(r.state)).length,
      total: runs.length,
      runs: runViews,
      table: { columns: RESULT_COLUMNS.map((c) => c.title), rows: rows.map(resultCells) },
      samples: samples.row,
      samplesNote: samples.note,
      readOnly,
    },
  };
}

/** A row's cells as resultsCsv and resultsMarkdown print them (empty where a figure is missing). */
export function resultCells(row: ResultRow): string[] {
  return RESULT_COLUMNS.map((c) => {
    const v = row[c.key];
    return v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : (c.format as (x: unknown) => string)(v);
  });
}

/** At most `cap` points, the newest half at full resolution and older ones merged (as the run panel's history). */
function thin<T extends MetricPoint | EvalPoint>(list: readonly T[], cap: number, merge: (a: T, b: T, wa: number, wb: number) => T): T[] {
  if (list.length <= cap) return list.slice();
  const series = new BoundedSeries<T>(cap, cap / 2, merge);
  for (const p of list) series.push(p);
  return series.toArray();
}

/** How many newest maps each run may send so that all of them stay within MAP_NUMBER_BUDGET. */
function mapsPerRun(runs: readonly LoadedRun[]): number {
  let rows = 1;
  for (const r of runs) for (const m of r.history?.gradMaps.slice(-1) ?? []) rows = Math.max(rows, m.hiddenGradNorms.at(-1)?.length ?? 0);
  // Two quantities per map (the last prediction's and the whole window's gradient).
  return Math.max(1, Math.min(MAX_PANEL_MAPS, Math.floor(MAP_NUMBER_BUDGET / (2 * rows * Math.max(1, runs.length)))));
}

/** The top layer only (the memory horizon's), without the per-weight norms the panel does not draw. */
function topLayer(m: GradMap): GradMap {
  const last = <T>(layers: T[]) => layers.slice(-1);
  return {
    step: m.step,
    hiddenGradNorms: last(m.hiddenGradNorms),
    ...(m.totalGradNorms ? { totalGradNorms: last(m.totalGradNorms) } : {}),
    paramGradNorms: {},
    globalNorm: m.globalNorm,
    clip: m.clip,
  };
}

/**
 * Samples side by side: the latest step at which every run that has samples has one with the same prompt
 * (the periodic samples use the run's seed and an empty prompt, so that is a like-for-like comparison).
 */
function sideBySide(runs: readonly LoadedRun[]): { row?: SamplesRow; note: string } {
  const sampled = runs.filter((r) => r.history?.samples.length);
  const without = runs.filter((r) => !r.history?.samples.length).map((r) => r.ref.label);
  const missing = without.length ? ` No samples from ${without.join(', ')}.` : '';
  if (!sampled.length) return { note: 'No run has a sample yet (samples are taken every sampleInterval steps).' };
  const key = (s: { step: number; prompt: string }) => `${s.step}\u0000${s.prompt}`;
  let common = new Set(sampled[0].history!.samples.map(key));
  for (const r of sampled.slice(1)) {
    const keys = new Set(r.history!.samples.map(key));
    common = new Set([...common].filter((k) => keys.has(k)));
  }
  let best: { step: number; prompt: string } | undefined;
  for (const k of common) {
    const [step, prompt] = [Number(k.slice(0, k.indexOf('\u0000'))), k.slice(k.indexOf('\u0000') + 1)];
    if (!best || step > best.step) best = { step, prompt };
  }
  if (!best) return { note: `The runs have no sample at a common step and prompt yet.${missing}` };
  const at = best;
  const texts = sampled.map((r) => {
    const s = r.history!.samples.find((x) => x.step === at.step && x.prompt === at.prompt)!;
    return { label: r.ref.label, text: s.text.slice(0, MAX_SAMPLE_CHARS) };
  });
  return { row: { step: at.step, prompt: at.prompt, texts }, note: `Each run's own sample at step ${at.step}, same prompt and seed.${missing}` };
}
