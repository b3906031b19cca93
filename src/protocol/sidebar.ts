/**
 * The contract between the extension host and the Runs sidebar (a webview view).
 */
import type { InspectedToken } from './worker';
import type { CheckpointRef, RunInfo, RunSummary, TrainConfig } from './types';
import { isRecord, isRunId, isString } from './validate';

export interface RunDetails {
  readonly summary: RunSummary;
  readonly config: TrainConfig;
  readonly info?: RunInfo;
  readonly checkpoints: CheckpointRef[];
  /** Folder of the run, for display. */
  readonly folder: string;
}

/**
 * A run folder that could not be read (a broken or foreign run.json, a link, a log that fails the
 * checks): listed apart as "unreadable: reason", with Delete when it is a real folder.
 */
export interface UnreadableRunEntry {
  /** Addresses it like a run id in `{ type: 'run', action: 'delete' }`. */
  readonly key: string;
  /** The folder's name. */
  readonly name: string;
  /** The folder, relative to the workspace, for display. */
  readonly folder: string;
  readonly reason: string;
  /** False for a link (or a refused runs folder): Delete removes only real folders. */
  readonly deletable: boolean;
}

/** An experiment in the sidebar's list (src/host/experiments/experimentListing.ts). */
export interface ExperimentEntry {
  readonly id: string;
  readonly name: string;
  /** The preset's question, or the varied setting(s). */
  readonly question: string;
  readonly state: 'running' | 'completed' | 'cancelled' | 'interrupted';
  /** Runs that have ended for good (completed, diverged or failed), of `total`. */
  readonly done: number;
  readonly total: number;
  readonly createdAt: string;
}

export type HostToSidebar =
  | { readonly type: 'experiments'; readonly experiments: ExperimentEntry[] }
  | { readonly type: 'runs'; readonly runs: RunSummary[]; readonly trusted: boolean; readonly hasWorkspace: boolean; readonly unreadable?: UnreadableRunEntry[] }
  | { readonly type: 'details'; readonly details: RunDetails }
  | { readonly type: 'inspection'; readonly runId: string; readonly tokens: InspectedToken[]; readonly meanSurprisal: number; readonly source: string }
  | { readonly type: 'inspectionError'; readonly runId: string; readonly message: string };

export type SidebarRunAction = 'select' | 'open' | 'resume' | 'stop' | 'delete' | 'reveal' | 'sample';
const RUN_ACTIONS: readonly SidebarRunAction[] = ['select', 'open', 'resume', 'stop', 'delete', 'reveal', 'sample'];

export type SidebarExperimentAction = 'open' | 'cancel' | 'resume' | 'delete';
const EXPERIMENT_ACTIONS: readonly SidebarExperimentAction[] = ['open', 'cancel', 'resume', 'delete'];

export type SidebarToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'experiment'; readonly action: SidebarExperimentAction; readonly experimentId: string }
  | { readonly type: 'run'; readonly action: SidebarRunAction; readonly runId: string }
  | { readonly type: 'compare'; readonly runIds: string[] }
  /** Inspect `text`, or the active editor's selection (whole document if none) when `text` is absent. */
  | { readonly type: 'inspect'; readonly runId: string; readonly text?: string }
  | { readonly type: 'train' };

/** The host's check on every message from the sidebar. */
export function isSidebarToHost(msg: unknown): msg is SidebarToHost {
  if (!isRecord(msg)) return false;
  switch (msg.type) {
    case 'ready':
    case 'train':
      return true;
    case 'run':
      return RUN_ACTIONS.includes(msg.action as SidebarRunAction) && isRunId(msg.runId);
    case 'experiment':
      return EXPERIMENT_ACTIONS.includes(msg.action as SidebarExperimentAction) && isRunId(msg.experimentId);
    case 'compare':
      return Array.isArray(msg.runIds) && msg.runIds.length >= 1 && msg.runIds.length <= 8 && msg.runIds.every(isRunId);
    case 'inspect':
      return isRunId(msg.runId) && (msg.text === undefined || isString(msg.text, 20_000));
    default:
      return false;
  }
}
