/** The contract between the run manager and the run training now (activeRun.ts). */
import type { RunState } from '../../protocol/types';
import type { StartTraining } from '../../protocol/worker';
import type { Logger } from '../base/logger';
import type { ActiveRun } from './activeRun';
import type { HeartbeatOptions } from './heartbeat';
import type { RunEvent, RunNotice } from './runEvents';
import type { WorkerRequests } from './workerRequests';

/** What the worker's start message will carry (protocol/worker.ts), plus where the run lives. */
export interface QueuedRun extends Pick<StartTraining, 'config' | 'resumeFrom' | 'fineTuneFrom' | 'maxBytes' | 'truncate' | 'allowChangedText'> {
  id: string;
  dir: string;
  files: string[];
  /** A resumed run's state and reason before it was queued: where it returns if the resume is declined. */
  before?: { state: RunState; reason?: string };
}

/** What the active run needs from the run manager. */
export interface ActiveRunHost {
  readonly log: Logger;
  /** Sample requests in flight; the worker's answers are routed there first. */
  readonly requests: WorkerRequests;
  /** How long a worker may take to finish after Stop before it is killed. */
  readonly stopTimeoutMs: number;
  /** How long a new worker may take to say hello. */
  readonly helloTimeoutMs: number;
  /** How long a finished worker may take to exit after shutdown. */
  readonly shutdownTimeoutMs: number;
  /** When a silent worker counts as hung. */
  readonly heartbeat: HeartbeatOptions;
  /** The run's record in memory changed. */
  remember(run: ActiveRun): void;
  fireRunEvent(event: RunEvent): void;
  /** The list of runs or a run's summary changed. */
  didChangeRuns(): void;
  notice(notice: RunNotice): void;
  /** The worker is gone and run.json tells the final story. */
  ended(run: ActiveRun): void;
}
