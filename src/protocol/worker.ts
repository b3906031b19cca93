/**
 * The contract between the extension host and the training worker (a forked Node process).
 * Both sides import this file; the worker rejects a `start` whose version differs.
 */
import type { BackendName, CheckpointRef, EvalPoint, GradMap, MetricPoint, RunInfo, SampleRecord, TrainConfig } from './types';
import { isFiniteNumber, isInteger, isOneOf, isRecord, isRunId, isString, isStringArray } from './validate';

export const WORKER_PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------- host -> worker

export interface StartTraining {
  readonly type: 'start';
  readonly version: number;
  readonly runId: string;
  /** Absolute folder of the run; the worker writes metrics, samples and checkpoints there. */
  readonly runDir: string;
  /** Absolute paths of the text files to train on, concatenated in this order. */
  readonly files: readonly string[];
  readonly config: TrainConfig;
  /** Continue from this checkpoint folder (absolute): same run, same vocabulary, optimizer state restored. */
  readonly resumeFrom?: string;
  /** Start a new run from this checkpoint's weights and vocabulary, training on `files`. */
  readonly fineTuneFrom?: string;
  /** Per-file size limit in bytes (default 64 MB). */
  readonly maxBytes?: number;
  /** Train on the first `maxBytes` of a larger file instead of refusing it. */
  readonly truncate?: boolean;
}

export interface ControlRun {
  readonly type: 'stop' | 'pause' | 'resume' | 'checkpoint';
  readonly runId: string;
}

export interface SampleRequest {
  readonly type: 'sample';
  readonly requestId: string;
  /** Sample from the live run with this id, or else from `checkpoint`. */
  readonly runId?: string;
  readonly checkpoint?: string;
  readonly prompt: string;
  readonly length: number;
  readonly temperature: number;
  readonly topK: number;
  readonly seed: number;
}

/** Per-token surprisal of a text under a checkpoint's model. */
export interface InspectRequest {
  readonly type: 'inspect';
  readonly requestId: string;
  readonly checkpoint: string;
  readonly text: string;
  readonly topK: number;
}

export interface Shutdown {
  readonly type: 'shutdown';
}

export type HostToWorker = StartTraining | ControlRun | SampleRequest | InspectRequest | Shutdown;

// ---------------------------------------------------------------- worker -> host

export type StartupPhase = 'backend' | 'reading' | 'tokenizing' | 'building' | 'restoring';

export interface InspectedToken {
  token: string;
  /** -ln p(actual token | prefix), nats; absent for the first token, which has no prefix. */
  surprisal?: number;
  top: { token: string; p: number }[];
}

export type WorkerToHost =
  | { readonly type: 'hello'; readonly version: number; readonly pid: number }
  | { readonly type: 'progress'; readonly runId: string; readonly phase: StartupPhase; readonly message: string }
  | { readonly type: 'started'; readonly runId: string; readonly info: RunInfo; readonly startStep: number }
  | { readonly type: 'metrics'; readonly runId: string; readonly point: MetricPoint }
  | { readonly type: 'eval'; readonly runId: string; readonly point: EvalPoint }
  | { readonly type: 'gradmap'; readonly runId: string; readonly map: GradMap }
  | { readonly type: 'sample'; readonly runId: string; readonly sample: SampleRecord }
  | { readonly type: 'checkpoint'; readonly runId: string; readonly checkpoint: CheckpointRef }
  | { readonly type: 'state'; readonly runId: string; readonly state: 'paused' | 'training' }
  | { readonly type: 'finished'; readonly runId: string; readonly reason: 'completed' | 'stopped' | 'diverged'; readonly message: string; readonly step: number }
  | { readonly type: 'sampleToken'; readonly requestId: string; readonly token: string }
  | { readonly type: 'sampleDone'; readonly requestId: string; readonly text: string; readonly backend: BackendName }
  | { readonly type: 'inspected'; readonly requestId: string; readonly tokens: InspectedToken[]; readonly meanSurprisal: number }
  | { readonly type: 'error'; readonly runId?: string; readonly requestId?: string; readonly code: string; readonly message: string; readonly hint?: string };

// ---------------------------------------------------------------- guards

const CONTROL = ['stop', 'pause', 'resume', 'checkpoint'] as const;

/** The worker's check on what arrives from its parent. The config itself is checked by `validateConfig`. */
export function isHostToWorker(msg: unknown): msg is HostToWorker {
  if (!isRecord(msg)) return false;
  switch (msg.type) {
    case 'start':
      return isInteger(msg.version) && isRunId(msg.runId) && isString(msg.runDir) && isStringArray(msg.files) &&
        isRecord(msg.config) && (msg.resumeFrom === undefined || isString(msg.resumeFrom)) &&
        (msg.fineTuneFrom === undefined || isString(msg.fineTuneFrom)) &&
        (msg.maxBytes === undefined || isInteger(msg.maxBytes, 1)) && (msg.truncate === undefined || typeof msg.truncate === 'boolean');
    case 'sample':
      return isString(msg.requestId, 100) && (msg.runId === undefined || isRunId(msg.runId)) &&
        (msg.checkpoint === undefined || isString(msg.checkpoint)) && isString(msg.prompt, 100_000) &&
        isInteger(msg.length, 1, 100_000) && isFiniteNumber(msg.temperature) && isInteger(msg.topK, 0) && isInteger(msg.seed);
    case 'inspect':
      return isString(msg.requestId, 100) && isString(msg.checkpoint) && isString(msg.text, 1_000_000) && isInteger(msg.topK, 0, 100);
    case 'shutdown':
      return true;
    default:
      return isOneOf(msg.type, CONTROL) && isRunId(msg.runId);
  }
}

/** The host's check on what arrives from the worker process. */
export function isWorkerToHost(msg: unknown): msg is WorkerToHost {
  return isRecord(msg) && typeof msg.type === 'string';
}
