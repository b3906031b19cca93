/**
 * An experiment's results table: one row per run, every figure computed from what the run's own folder
 * records (run.json, the metric, evaluation and gradient-map logs), so the table can always be checked
 * against the folders. Exported as CSV and as Markdown.
 */
import type { EvalPoint, GradMap, MetricPoint, RunInfo, RunState } from '../../protocol/types';
import type { ProbePoint } from '../contextProbe';
import { clipRate, memoryHorizon, stateGradNorms } from '../readouts';

export interface RunFacts {
  label: string;
  state: RunState;
  info?: RunInfo;
  /** Training time over every session of the run. */
  durationMs: number;
  metrics: readonly MetricPoint[];
  evals: readonly EvalPoint[];
  gradMaps: readonly GradMap[];
  /** The context-length probe, where the experiment ran one after training (probe.json in the run folder). */
  probe?: readonly ProbePoint[];
}

export interface ResultRow {
  label: string;
  state: RunState;
  bestValLoss?: number;
  finalValLoss?: number;
  /** exp(best validation loss), per token. */
  perplexity?: number;
  /** Best validation loss in bits per character. */
  bitsPerChar?: number;
  /** Median over the logged steps (the first steps, slow while compiling, weigh no more than any). */
  tokensPerSec?: number;
  wallTimeS: number;
  params?: number;
  clipRate?: number;
  /**
   * Of the last layer, at the newest gradient map: steps the last prediction's gradient reaches back,
   * with respect to the state (an LSTM's (h_t, c_t)), as the map's readouts recorded it.
   */
  memoryHorizon?: number;
  /** Of the last layer at the newest map that measured it: the largest spectral radius over U's gate blocks. */
  spectralRadius?: number;
  /** Likewise, the largest singular value over U's gate blocks. */
  sigmaMax?: number;
  probe?: readonly ProbePoint[];
  /** The smallest probed k whose loss is within 0.01 nats of the longest context's: the context the model uses. */
  usedContext?: number;
}

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function resultRow(run: RunFacts): ResultRow {
  let best: number | undefined;
  for (const e of run.evals) if (Number.isFinite(e.valLoss) && (best === undefined || e.valLoss < best)) best = e.valLoss;
  const final = run.evals.length ? run.evals[run.evals.length - 1].valLoss : undefined;
  const lastMap = run.gradMaps.length ? run.gradMaps[run.gradMaps.length - 1] : undefined;
  const layers = lastMap?.hiddenGradNorms;
  const last = layers ? layers.length - 1 : -1;
  // Recorded readouts first; a map from before readouts were recorded gets the same computation here.
  const horizon = lastMap?.readouts?.memoryHorizon[last] ?? (layers?.length ? memoryHorizon(stateGradNorms(layers[last], lastMap?.cellGradNorms?.[last])) : undefined);
  const measured = [...run.gradMaps].reverse().find((m) => m.readouts?.spectralRadius?.length)?.readouts;
  const blockMax = (rows?: number[][]) => (rows?.length ? Math.max(...rows[rows.length - 1]) : undefined);
  return {
    label: run.label,
    state: run.state,
    bestValLoss: best,
    finalValLoss: final,
    perplexity: best === undefined ? undefined : Math.exp(best),
    bitsPerChar: best === undefined || !run.info ? undefined : best / Math.LN2 / run.info.charsPerToken,
    tokensPerSec: median(run.metrics.map((m) => m.tokensPerSec).filter((v) => Number.isFinite(v) && v > 0)),
    wallTimeS: run.durationMs / 1000,
    params: run.info?.paramCount,
    clipRate: clipRate(run.metrics),
    memoryHorizon: horizon,
    spectralRadius: blockMax(measured?.spectralRadius),
    sigmaMax: blockMax(measured?.sigmaMax),
    ...(run.probe?.length ? { probe: run.probe, usedContext: usedContext(run.probe) } : {}),
  };
}

/** Within this many nats of the full context's loss, more context no longer helps. */
export const PLATEAU_NATS = 0.01;

export function usedContext(probe: readonly ProbePoint[]): number {
  const full = probe[probe.length - 1].loss;
  return probe.find((p) => p.loss <= full + PLATEAU_NATS)?.k ?? probe[probe.length - 1].k;
}

export const RESULT_COLUMNS: readonly { key: keyof ResultRow; title: string; format: (v: never) => string }[] = [
  { key: 'label', title: 'run', format: (v: string) => v },
  { key: 'state', title: 'state', format: (v: string) => v },
  { key: 'bestValLoss', title: 'best val loss (nats)', format: (v: number) => v.toFixed(3) },
  { key: 'finalValLoss', title: 'final val loss (nats)', format: (v: number) => v.toFixed(3) },
  { key: 'perplexity', title: 'perplexity', format: (v: number) => v.toFixed(2) },
  { key: 'bitsPerChar', title: 'bits/char', format: (v: number) => v.toFixed(3) },
  { key: 'tokensPerSec', title: 'tokens/s', format: (v: number) => Math.round(v).toString() },
  { key: 'wallTimeS', title: 'wall time (s)', format: (v: number) => v.toFixed(1) },
  { key: 'params', title: 'parameters', format: (v: number) => v.toString() },
  { key: 'clipRate', title: 'clip rate', format: (v: number) => v.toFixed(3) },
  { key: 'memoryHorizon', title: 'memory horizon (steps)', format: (v: number) => v.toString() },
  { key: 'spectralRadius', title: 'spectral radius of U', format: (v: number) => v.toFixed(3) },
  { key: 'sigmaMax', title: 'largest singular value of U', format: (v: number) => v.toFixed(3) },
  { key: 'usedContext', title: 'context used (tokens)', format: (v: number) => v.toString() },
];

function cells(row: ResultRow): string[] {
  return RESULT_COLUMNS.map((c) => {
    const v = row[c.key];
    return v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : (c.format as (x: unknown) => string)(v);
  });
}

/** RFC 4180: quote a field holding a comma, quote or line break; double its quotes. */
const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function resultsCsv(rows: readonly ResultRow[]): string {
  return [RESULT_COLUMNS.map((c) => csvField(c.title)).join(','), ...rows.map((r) => cells(r).map(csvField).join(','))].join('\n') + '\n';
}

/** A pipe in a label would end its cell: escape it; line breaks become spaces. */
const mdField = (s: string) => s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

export function resultsMarkdown(rows: readonly ResultRow[]): string {
  const header = `| ${RESULT_COLUMNS.map((c) => c.title).join(' | ')} |`;
  const rule = `| ${RESULT_COLUMNS.map((c) => (c.key === 'label' || c.key === 'state' ? '---' : '---:')).join(' | ')} |`;
  return [header, rule, ...rows.map((r) => `| ${cells(r).map(mdField).join(' | ')} |`)].join('\n') + '\n';
}
