/**
 * The contract between the extension host and the training panel webview. The host keeps the truth
 * (the run's full history) and replays it as a `snapshot` whenever the panel says `ready`; after that
 * it sends deltas. Every message carries the run id so the panel drops late messages of another run.
 */
import type { CheckpointRef, EvalPoint, GradMap, MetricPoint, RunInfo, RunSummary, SampleRecord, TrainConfig } from './types';
import { isFiniteNumber, isInteger, isOneOf, isRecord, isRunId, isString } from './validate';

/** Everything the panel draws for one run. */
export interface RunView {
  readonly summary: RunSummary;
  readonly config: TrainConfig;
  readonly info?: RunInfo;
  readonly metrics: MetricPoint[];
  readonly evals: EvalPoint[];
  readonly gradMaps: GradMap[];
  readonly samples: SampleRecord[];
  readonly checkpoints: CheckpointRef[];
}

export interface CompareSeries {
  readonly id: string;
  readonly label: string;
  readonly metrics: MetricPoint[];
  readonly evals: EvalPoint[];
  readonly info?: RunInfo;
}

/**
 * What the panel page starts with (the host escapes it into the page's initial state) and must keep in
 * its `vscode.setState` state, next to its own preferences: after a window reload the host's
 * WebviewPanelSerializer reads it to reopen the panel on the same run (or the same comparison).
 */
export interface PanelState {
  readonly runId?: string;
  readonly compareIds?: readonly string[];
}

/**
 * What a live run added since the last message, in step order within each list. The host gathers
 * them for a moment and sends them as one message: a small model takes a hundred steps a second, and
 * a message per metric point or gradient map queues up in the webview's channel faster than the
 * workbench delivers it (the panel fell minutes behind the run).
 */
export interface RunDeltas {
  readonly metrics: readonly MetricPoint[];
  readonly evals: readonly EvalPoint[];
  readonly gradMaps: readonly GradMap[];
  readonly samples: readonly SampleRecord[];
}

/**
 * `displayFiles`, on a snapshot and a status: the run's files (`summary.files`, absolute, same order) as
 * the panel shows them, relative to the workspace folder that holds the run when they are inside it.
 * Only the host knows that folder. Absent from an older host, or for a run outside any workspace.
 */
export type HostToPanel =
  | { readonly type: 'snapshot'; readonly runId: string; readonly run: RunView; readonly readOnly: boolean; readonly displayFiles?: string[] }
  | ({ readonly type: 'deltas'; readonly runId: string } & RunDeltas)
  | {
      readonly type: 'status';
      readonly runId: string;
      readonly summary: RunSummary;
      readonly info?: RunInfo;
      readonly checkpoints: CheckpointRef[];
      readonly displayFiles?: string[];
    }
  | { readonly type: 'compare'; readonly runs: CompareSeries[] }
  | { readonly type: 'sampleToken'; readonly requestId: string; readonly token: string }
  | { readonly type: 'sampleDone'; readonly requestId: string; readonly text: string }
  | { readonly type: 'sampleError'; readonly requestId: string; readonly message: string }
  | { readonly type: 'empty'; readonly message: string };

/**
 * `pause`/`resume` act on the live worker; `continue` queues a run that ended early (stopped,
 * interrupted, failed, diverged) again from its latest checkpoint, as the command "Resume Run" does.
 * `vary` starts an experiment from the run's files and configuration (command "Vary a Setting of This Run…").
 */
export type PanelAction = 'stop' | 'pause' | 'resume' | 'checkpoint' | 'continue' | 'vary';
export const PANEL_ACTIONS: readonly PanelAction[] = ['stop', 'pause', 'resume', 'checkpoint', 'continue', 'vary'];

export type PanelToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'control'; readonly action: PanelAction; readonly runId: string }
  | {
      readonly type: 'sampleNow';
      readonly runId: string;
      readonly requestId: string;
      readonly prompt: string;
      readonly temperature: number;
      readonly length: number;
      /** Beam search of this width (1 to 16) instead of sampling. */
      readonly beam?: number;
    };

/** The host's check on every message from the panel: a webview is untrusted. */
export function isPanelToHost(msg: unknown): msg is PanelToHost {
  if (!isRecord(msg)) return false;
  switch (msg.type) {
    case 'ready':
      return true;
    case 'control':
      return isOneOf(msg.action, PANEL_ACTIONS) && isRunId(msg.runId);
    case 'sampleNow':
      return (
        isRunId(msg.runId) &&
        isString(msg.requestId, 100) &&
        isString(msg.prompt, 10_000) &&
        isFiniteNumber(msg.temperature) &&
        msg.temperature >= 0 &&
        msg.temperature <= 10 &&
        isInteger(msg.length, 1, 10_000) &&
        (msg.beam === undefined || isInteger(msg.beam, 1, 16))
      );
    default:
      return false;
  }
}
