/**
 * The contract between the extension host and the experiment panel webview (one panel per experiment,
 * `.seqlab/experiments/<id>/experiment.json`). The host reads the experiment and each run's folder
 * (checked readers), builds the whole view and sends it when the page says `ready` and again, debounced,
 * whenever a run or the experiment changes. Payloads are bounded: curves thinned, gradient maps capped.
 */
import type { CompareSeries } from './panel';
import type { CellType, GradMap, RunState } from './types';
import { isOneOf, isRecord, isString } from './validate';

/** At most this many metric points per run's curve (older points merged into buckets). */
export const MAX_CURVE_POINTS = 1000;
/** At most this many evaluations per run's validation curve. */
export const MAX_CURVE_EVALS = 300;
/** At most this many of a run's newest gradient maps reach the page. */
export const MAX_PANEL_MAPS = 60;
/** At most this many characters of each sample. */
export const MAX_SAMPLE_CHARS = 2000;

/** A run of the experiment: a state of a run folder, `pending` before its folder exists, `unreadable` when it fails the checks. */
export type ExperimentRunState = RunState | 'pending' | 'unreadable';

export interface ExperimentRunView {
  /** The varied value(s), as the legend and the table name it ("LSTM", "cell = gru, clip = 0"). */
  readonly label: string;
  readonly runId?: string;
  /** Its model (a `window` model's map rows are context positions, not time steps). */
  readonly cell?: CellType;
  readonly state: ExperimentRunState;
  /** Why it ended early, or why its folder cannot be read. */
  readonly reason?: string;
  /** Its loss curves, thinned (series.id is the run id, or the label before the run exists). */
  readonly series: CompareSeries;
  /** Its newest gradient maps (norms only), at most MAX_PANEL_MAPS. */
  readonly gradMaps: GradMap[];
}

/** The results table as the exports print it: RESULT_COLUMNS' titles and each row's formatted cells. */
export interface ResultsTableView {
  readonly columns: string[];
  readonly rows: string[][];
}

/** Samples side by side: each run's sample at the same step, with the same prompt and seed. */
export interface SamplesRow {
  readonly step: number;
  readonly prompt: string;
  readonly texts: { readonly label: string; readonly text: string }[];
}

export type ExperimentStateName = 'running' | 'completed' | 'cancelled' | 'interrupted';

export interface ExperimentView {
  readonly id: string;
  readonly name: string;
  readonly state: ExperimentStateName;
  /** Names of the varied settings ("cell", or two for a grid). */
  readonly varied: string[];
  /** The preset's question, what to look for, and its answer from these rows (when the experiment is a preset's). */
  readonly question?: string;
  readonly lookFor?: string;
  readonly answer?: string;
  /** Runs that finished (completed, stopped, diverged, failed), of all runs. */
  readonly done: number;
  readonly total: number;
  readonly runs: ExperimentRunView[];
  readonly table: ResultsTableView;
  /** Undefined when no step has a sample of every run that has samples; `samplesNote` says why. */
  readonly samples?: SamplesRow;
  readonly samplesNote: string;
  /** Restricted Mode: Cancel and Resume are off. */
  readonly readOnly: boolean;
}

export type HostToExperimentPanel =
  { readonly type: 'experiment'; readonly experimentId: string; readonly view: ExperimentView } | { readonly type: 'empty'; readonly message: string };

export type ExperimentAction = 'cancel' | 'resume';
export const EXPERIMENT_ACTIONS: readonly ExperimentAction[] = ['cancel', 'resume'];
export type ExportFormat = 'csv' | 'markdown';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'markdown'];
/** Copy to the clipboard, or open as an untitled document (nothing is written to disk). */
export type ExportTarget = 'clipboard' | 'document';
export const EXPORT_TARGETS: readonly ExportTarget[] = ['clipboard', 'document'];

export type ExperimentPanelToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'action'; readonly action: ExperimentAction; readonly experimentId: string }
  | { readonly type: 'export'; readonly format: ExportFormat; readonly target: ExportTarget; readonly experimentId: string };

/** What the page keeps in `vscode.setState`: the experiment it shows, for the serializer after a reload. */
export interface ExperimentPanelState {
  readonly experimentId?: string;
}

/** An experiment id as it names its folder: letters, digits, underscores and dashes only (no dots: no `..`). */
export function isExperimentId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,80}$/.test(value);
}

/** The host's check on every message from the experiment panel: a webview is untrusted. */
export function isExperimentPanelToHost(msg: unknown): msg is ExperimentPanelToHost {
  if (!isRecord(msg)) return false;
  switch (msg.type) {
    case 'ready':
      return true;
    case 'action':
      return isOneOf(msg.action, EXPERIMENT_ACTIONS) && isExperimentId(msg.experimentId);
    case 'export':
      return isOneOf(msg.format, EXPORT_FORMATS) && isOneOf(msg.target, EXPORT_TARGETS) && isString(msg.experimentId, 80) && isExperimentId(msg.experimentId);
    default:
      return false;
  }
}
