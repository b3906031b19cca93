/**
 * What the run manager publishes about runs: changes for the views and notices for the user. Apart from
 * the manager so the active run (activeRun.ts) can raise them without importing it; callers import
 * them from runManager.ts, which re-exports them.
 */
import type { EvalPoint, GradMap, MetricPoint, SampleRecord } from '../../protocol/types';
import type { StartupPhase } from '../../protocol/worker';

/** A change in one run, for the views. `status` means summary, info, state or checkpoints changed. */
export type RunEvent =
  | { readonly runId: string; readonly kind: 'metrics'; readonly point: MetricPoint }
  | { readonly runId: string; readonly kind: 'eval'; readonly point: EvalPoint }
  | { readonly runId: string; readonly kind: 'gradmap'; readonly map: GradMap }
  | { readonly runId: string; readonly kind: 'sample'; readonly sample: SampleRecord }
  | { readonly runId: string; readonly kind: 'progress'; readonly phase: StartupPhase; readonly message: string }
  | { readonly runId: string; readonly kind: 'status' };

/**
 * `kill`: SIGKILL the run's worker (it stopped responding); the run stays resumable.
 * `fineTune`: resume a run whose text changed since its checkpoint, as fine-tuning on the new text.
 */
export type NoticeAction = 'resume' | 'showLog' | 'openPanel' | 'kill' | 'fineTune';

/** Something the user should be told; the UI layer shows it as a notification with these actions. */
export interface RunNotice {
  readonly severity: 'info' | 'warning' | 'error';
  readonly message: string;
  readonly runId?: string;
  readonly actions: NoticeAction[];
}
