/**
 * What starting a run asks of the run manager, and the run folders it prepares for the queue: a new
 * run's queued record, or a stopped run's record patched back to queued.
 */
import * as path from 'node:path';
import { newRunId, type RunRecord } from '../../core/runFiles';
import type { CheckpointRef, TrainConfig } from '../../protocol/types';
import type { Logger } from '../base/logger';
import type { QueuedRun } from './activeRunHost';
import type { HeartbeatOptions } from './heartbeat';
import { formatBytes } from './inputFiles';
import { checkpointFolder, clearRunLogs, createQueuedRun, latestCheckpoint, patchRunRecord, runName } from './runStore';
import type { WorkerSpawner } from './workerProcess';
import { WORKER_PROTOCOL_VERSION, type StartTraining } from '../../protocol/worker';

export interface TrainRequest {
  /** `<workspace folder>/.seqlab/runs`. */
  runsDir: string;
  /** Absolute paths, trained on concatenated in this order. */
  files: string[];
  config: TrainConfig;
  /** Per-file size limit in bytes; the worker refuses larger files unless `truncate`. */
  maxBytes?: number;
  /** Train on the first `maxBytes` of a larger file instead of refusing it. */
  truncate?: boolean;
  /** Start from this checkpoint folder's weights and vocabulary (fine-tuning). */
  fineTuneFrom?: string;
}

export interface RunManagerOptions {
  spawnWorker: WorkerSpawner;
  log: Logger;
  /** How long a worker may take to finish after Stop before it is killed. */
  stopTimeoutMs?: number;
  /** How long a new worker may take to say hello. */
  helloTimeoutMs?: number;
  /** How long a finished worker may take to exit after shutdown. */
  shutdownTimeoutMs?: number;
  /** How long the sampling/inspection worker stays loaded while idle. */
  utilityIdleMs?: number;
  /** How long a request to the sampling/inspection worker may take before it is killed and the request fails. */
  utilityTimeoutMs?: number;
  /** When a silent training worker counts as hung (heartbeat.ts); tests shorten it to milliseconds. */
  heartbeat?: Partial<HeartbeatOptions>;
}

export interface ResumeLimits {
  maxBytes?: number;
  truncate?: boolean;
  /** Continue as fine-tuning if the text changed since the checkpoint. */
  allowChangedText?: boolean;
}

/** Writes a new run's queued record; returns what the queue needs. */
export function queueNewRun(request: TrainRequest): { queued: QueuedRun; record: RunRecord; note?: string } {
  const id = newRunId();
  const dir = path.join(request.runsDir, id);
  const note = request.truncate && request.maxBytes !== undefined ? `first ${formatBytes(request.maxBytes)}` : undefined;
  const files = request.files;
  const record = createQueuedRun(request.runsDir, { id, name: runName(files, note), files, config: request.config });
  return { queued: { id, dir, files, config: request.config, fineTuneFrom: request.fineTuneFrom, maxBytes: request.maxBytes, truncate: request.truncate }, record, note };
}

/** Patches a resumable run back to queued (its logs cleared when it has no checkpoint to resume from). */
export async function queueResume(
  runId: string,
  dir: string,
  record: RunRecord,
  limits: ResumeLimits,
): Promise<{ queued: QueuedRun; record: RunRecord; checkpoint?: CheckpointRef }> {
  const checkpoint = latestCheckpoint(record);
  if (!checkpoint) await clearRunLogs(dir);
  const patched = patchRunRecord(dir, { state: 'queued', reason: undefined, ...(checkpoint ? {} : { step: 0, lastLoss: undefined, bestValLoss: undefined }) }) ?? record;
  const queued: QueuedRun = {
    id: runId,
    dir,
    files: record.files,
    config: record.config,
    resumeFrom: checkpoint ? checkpointFolder(dir, checkpoint) : undefined,
    maxBytes: limits.maxBytes,
    truncate: limits.truncate,
    ...(limits.allowChangedText ? { allowChangedText: true } : {}),
    before: { state: record.state, reason: record.reason },
  };
  return { queued, record: patched, checkpoint };
}

/** The worker's start message for a queued run. */
export function startMessage(q: QueuedRun): StartTraining {
  return {
    type: 'start',
    version: WORKER_PROTOCOL_VERSION,
    runId: q.id,
    runDir: q.dir,
    files: q.files,
    config: q.config,
    ...(q.resumeFrom ? { resumeFrom: q.resumeFrom } : {}),
    ...(q.fineTuneFrom ? { fineTuneFrom: q.fineTuneFrom } : {}),
    ...(q.maxBytes !== undefined ? { maxBytes: q.maxBytes } : {}),
    ...(q.truncate ? { truncate: true } : {}),
    ...(q.allowChangedText ? { allowChangedText: true } : {}),
  };
}
