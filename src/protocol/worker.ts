/**
 * The contract between the extension host and the training worker (a forked Node process).
 * Both sides import this file; the worker rejects a `start` whose version differs.
 */
import {
  FINISH_REASONS,
  type BackendName,
  type CheckpointRef,
  type EvalPoint,
  type FinishReason,
  type GradMap,
  type MetricPoint,
  type RunInfo,
  type SampleRecord,
  type TrainConfig,
} from './types';
import { isInsideAnswer, isInsideRequest, type InsideAnswer, type InsideRequest } from './inside';
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
  /** Per-file size limit in bytes (default 50 MB, DEFAULT_MAX_BYTES). */
  readonly maxBytes?: number;
  /** Train on the first `maxBytes` of a larger file instead of refusing it. */
  readonly truncate?: boolean;
  /** Resuming on a text that changed since the checkpoint (error code TEXT_CHANGED otherwise): continue as fine-tuning. */
  readonly allowChangedText?: boolean;
}

export interface ControlRun {
  readonly type: 'stop' | 'pause' | 'resume' | 'checkpoint';
  readonly runId: string;
  /** Echoed in an error about this request, so the host fails the request and not the run. */
  readonly requestId?: string;
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
  /** Beam search of this width instead of sampling (temperature and top-k then do not apply); absent: sample. */
  readonly beam?: number;
}

/** Per-token surprisal of a text under a checkpoint's model. */
export interface InspectRequest {
  readonly type: 'inspect';
  readonly requestId: string;
  readonly checkpoint: string;
  readonly text: string;
  readonly topK: number;
}

/**
 * The context-length probe (core/contextProbe.ts) of a checkpoint's model on the validation part of
 * `files`, split as the run split it: the validation loss seeing only the last k tokens, k = 1, 2, 4, ... up to the window.
 */
export interface ProbeRequest {
  readonly type: 'probe';
  readonly requestId: string;
  readonly checkpoint: string;
  readonly files: readonly string[];
  readonly maxBytes?: number;
  readonly truncate?: boolean;
}

export interface Shutdown {
  readonly type: 'shutdown';
}

export type HostToWorker = StartTraining | ControlRun | SampleRequest | InspectRequest | ProbeRequest | InsideRequest | Shutdown;

/** What a sample request may ask for: checked by the command API and again by the worker. */
export const SAMPLE_LIMITS = { maxPromptChars: 10_000, maxLength: 10_000, maxTemperature: 10, maxTopK: 1_000_000, maxBeam: 16 } as const;

/** Why a sample request cannot be served (a sentence naming the limit), or undefined when it can. */
export function sampleRequestProblem(r: { prompt?: unknown; length?: unknown; temperature?: unknown; topK?: unknown; beam?: unknown }): string | undefined {
  const L = SAMPLE_LIMITS;
  if (typeof r.prompt !== 'string') return 'The prompt must be text.';
  if (r.prompt.length > L.maxPromptChars) return `The prompt is ${r.prompt.length} characters long; the limit is ${L.maxPromptChars}.`;
  if (!isInteger(r.length, 1, L.maxLength)) return `The length must be a whole number of tokens from 1 to ${L.maxLength} (got ${String(r.length)}).`;
  if (!isFiniteNumber(r.temperature) || r.temperature < 0 || r.temperature > L.maxTemperature)
    return `The temperature must be a number from 0 (greedy) to ${L.maxTemperature} (got ${String(r.temperature)}).`;
  if (!isInteger(r.topK, 0, L.maxTopK)) return `Top-k must be a whole number of tokens, or 0 for all of them (got ${String(r.topK)}).`;
  if (r.beam !== undefined && !isInteger(r.beam, 1, L.maxBeam)) return `The beam width must be a whole number from 1 (greedy) to ${L.maxBeam} (got ${JSON.stringify(r.beam)}).`;
  return undefined;
}

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
  /** Sent every few seconds and after every step: a worker silent for long is hung (host/runs/heartbeat.ts). */
  | { readonly type: 'heartbeat'; readonly runId?: string; readonly step?: number }
  | { readonly type: 'progress'; readonly runId: string; readonly phase: StartupPhase; readonly message: string }
  | { readonly type: 'started'; readonly runId: string; readonly info: RunInfo; readonly startStep: number }
  | { readonly type: 'metrics'; readonly runId: string; readonly point: MetricPoint }
  | { readonly type: 'eval'; readonly runId: string; readonly point: EvalPoint }
  | { readonly type: 'gradmap'; readonly runId: string; readonly map: GradMap }
  | { readonly type: 'sample'; readonly runId: string; readonly sample: SampleRecord }
  /** A checkpoint was written: `checkpoints` are all the run keeps now, oldest first (the rest were pruned). */
  | { readonly type: 'checkpoint'; readonly runId: string; readonly checkpoints: CheckpointRef[] }
  | { readonly type: 'state'; readonly runId: string; readonly state: 'paused' | 'training' }
  | { readonly type: 'finished'; readonly runId: string; readonly reason: FinishReason; readonly message: string; readonly step: number }
  | { readonly type: 'sampleToken'; readonly requestId: string; readonly token: string }
  | { readonly type: 'sampleDone'; readonly requestId: string; readonly text: string; readonly backend: BackendName }
  | { readonly type: 'inspected'; readonly requestId: string; readonly tokens: InspectedToken[]; readonly meanSurprisal: number }
  | { readonly type: 'probed'; readonly requestId: string; readonly points: { k: number; loss: number }[] }
  | { readonly type: 'error'; readonly runId?: string; readonly requestId?: string; readonly code: string; readonly message: string; readonly hint?: string }
  /** Hidden units, pattern signals and beam search (protocol/inside.ts). */
  | InsideAnswer;

// ---------------------------------------------------------------- guards

const CONTROL = ['stop', 'pause', 'resume', 'checkpoint'] as const;

/** The worker's check on what arrives from its parent. The config itself is checked by `validateConfig`. */
export function isHostToWorker(msg: unknown): msg is HostToWorker {
  if (!isRecord(msg)) return false;
  switch (msg.type) {
    case 'start':
      return (
        isInteger(msg.version) &&
        isRunId(msg.runId) &&
        isString(msg.runDir) &&
        isStringArray(msg.files) &&
        isRecord(msg.config) &&
        (msg.resumeFrom === undefined || isString(msg.resumeFrom)) &&
        (msg.fineTuneFrom === undefined || isString(msg.fineTuneFrom)) &&
        (msg.maxBytes === undefined || isInteger(msg.maxBytes, 1)) &&
        (msg.truncate === undefined || typeof msg.truncate === 'boolean') &&
        (msg.allowChangedText === undefined || typeof msg.allowChangedText === 'boolean')
      );
    case 'sample':
      return (
        isString(msg.requestId, 100) &&
        (msg.runId === undefined || isRunId(msg.runId)) &&
        (msg.checkpoint === undefined || isString(msg.checkpoint)) &&
        sampleRequestProblem(msg) === undefined &&
        isInteger(msg.seed)
      );
    case 'inspect':
      return isString(msg.requestId, 100) && isString(msg.checkpoint) && isString(msg.text, 1_000_000) && isInteger(msg.topK, 0, 100);
    case 'probe':
      return (
        isString(msg.requestId, 100) &&
        isString(msg.checkpoint) &&
        isStringArray(msg.files, 1000) &&
        (msg.maxBytes === undefined || isInteger(msg.maxBytes, 1)) &&
        (msg.truncate === undefined || typeof msg.truncate === 'boolean')
      );
    case 'shutdown':
      return true;
    case 'insideTrace':
    case 'insideSignal':
    case 'beam':
      return isInsideRequest(msg);
    default:
      return isOneOf(msg.type, CONTROL) && isRunId(msg.runId) && optional(msg.requestId, isRequestId);
  }
}

const isRequestId = (v: unknown): v is string => isString(v, 100);

/**
 * The worker's answer to a message its guard refused: an error that carries the request's id (and
 * run id) when the message had them, so the host fails that request only, never the run training.
 */
export function rejectionOf(msg: unknown): Extract<WorkerToHost, { type: 'error' }> {
  const r = isRecord(msg) ? msg : {};
  const requestId = isRequestId(r.requestId) ? r.requestId : undefined;
  const problem = r.type === 'sample' ? sampleRequestProblem(r) : undefined;
  return {
    type: 'error',
    ...(requestId !== undefined ? { requestId } : {}),
    code: problem ? 'BAD_REQUEST' : 'BAD_MESSAGE',
    message: problem ?? `The worker received a malformed '${String(r.type).slice(0, 40)}' message.`,
  };
}

const PHASES = ['backend', 'reading', 'tokenizing', 'building', 'restoring'] as const;
const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

const optional = <T>(value: unknown, guard: (v: unknown) => v is T): boolean => value === undefined || guard(value);

/** Loss and norms may legitimately be NaN or Infinity when a run diverges; everything else is finite. */
function isNumber(value: unknown): value is number {
  return typeof value === 'number';
}

function isMetricPoint(p: unknown): p is MetricPoint {
  return (
    isRecord(p) &&
    isInteger(p.step, 0) &&
    isNumber(p.loss) &&
    isNumber(p.gradNorm) &&
    typeof p.clipped === 'boolean' &&
    isFiniteNumber(p.tokensPerSec) &&
    isFiniteNumber(p.elapsedMs)
  );
}

function isEvalPoint(p: unknown): p is EvalPoint {
  return isRecord(p) && isInteger(p.step, 0) && isNumber(p.valLoss);
}

function isNumberMatrix(m: unknown): m is number[][] {
  return Array.isArray(m) && m.length <= 64 && m.every((row) => Array.isArray(row) && row.length <= 100_000 && row.every(isNumber));
}

function isGradMap(m: unknown): m is GradMap {
  return (
    isRecord(m) &&
    isInteger(m.step, 0) &&
    isNumberMatrix(m.hiddenGradNorms) &&
    optional(m.totalGradNorms, isNumberMatrix) &&
    isRecord(m.paramGradNorms) &&
    Object.values(m.paramGradNorms).every(isNumber) &&
    isNumber(m.globalNorm) &&
    isFiniteNumber(m.clip)
  );
}

function isSampleRecord(s: unknown): s is SampleRecord {
  return isRecord(s) && isInteger(s.step, 0) && isString(s.prompt) && isString(s.text) && isFiniteNumber(s.temperature);
}

function isCheckpointRef(c: unknown): c is CheckpointRef {
  return isRecord(c) && isInteger(c.step, 0) && isString(c.path, 1000) && isString(c.time, 100) && (c.valLoss === undefined || isNumber(c.valLoss));
}

function isRunInfo(i: unknown): i is RunInfo {
  return (
    isRecord(i) &&
    isOneOf(i.backend, BACKENDS) &&
    isString(i.backendReason, 10_000) &&
    isInteger(i.vocabSize, 1) &&
    isInteger(i.paramCount, 0) &&
    isInteger(i.trainTokens, 0) &&
    isInteger(i.valTokens, 0) &&
    isFiniteNumber(i.uniformLoss) &&
    isNumber(i.unigramLoss) &&
    isFiniteNumber(i.charsPerToken) &&
    optional(i.threads, (v): v is number => isInteger(v, 1, 256))
  );
}

function isInspectedToken(t: unknown): t is InspectedToken {
  return (
    isRecord(t) &&
    isString(t.token, 10_000) &&
    (t.surprisal === undefined || isNumber(t.surprisal)) &&
    Array.isArray(t.top) &&
    t.top.every((e) => isRecord(e) && isString(e.token, 10_000) && isFiniteNumber(e.p))
  );
}

/**
 * The host's check on every message from the worker: true when the message has the shape its `type`
 * claims. The worker is our own code, but it runs tfjs, reads user files and may be a different build
 * after an update: a malformed message is logged and dropped rather than corrupting a run's history
 * or a view.
 */
export function isWorkerToHost(msg: unknown): msg is WorkerToHost {
  if (!isRecord(msg)) return false;
  switch (msg.type) {
    case 'hello':
      return isInteger(msg.version) && isInteger(msg.pid);
    case 'heartbeat':
      return optional(msg.runId, isRunId) && optional(msg.step, (v): v is number => isInteger(v, 0));
    case 'progress':
      return isRunId(msg.runId) && isOneOf(msg.phase, PHASES) && isString(msg.message, 10_000);
    case 'started':
      return isRunId(msg.runId) && isRunInfo(msg.info) && isInteger(msg.startStep, 0);
    case 'metrics':
      return isRunId(msg.runId) && isMetricPoint(msg.point);
    case 'eval':
      return isRunId(msg.runId) && isEvalPoint(msg.point);
    case 'gradmap':
      return isRunId(msg.runId) && isGradMap(msg.map);
    case 'sample':
      return isRunId(msg.runId) && isSampleRecord(msg.sample);
    case 'checkpoint':
      return isRunId(msg.runId) && Array.isArray(msg.checkpoints) && msg.checkpoints.length <= 1000 && msg.checkpoints.every(isCheckpointRef);
    case 'state':
      return isRunId(msg.runId) && (msg.state === 'paused' || msg.state === 'training');
    case 'finished':
      return isRunId(msg.runId) && isOneOf(msg.reason, FINISH_REASONS) && isString(msg.message, 10_000) && isInteger(msg.step, 0);
    case 'sampleToken':
      return isString(msg.requestId, 100) && isString(msg.token, 10_000);
    case 'sampleDone':
      return isString(msg.requestId, 100) && isString(msg.text) && isOneOf(msg.backend, BACKENDS);
    case 'inspected':
      return isString(msg.requestId, 100) && Array.isArray(msg.tokens) && msg.tokens.every(isInspectedToken) && isNumber(msg.meanSurprisal);
    case 'probed':
      return isString(msg.requestId, 100) && Array.isArray(msg.points) && msg.points.length <= 64 && msg.points.every((p) => isRecord(p) && isInteger(p.k, 1) && isNumber(p.loss));
    case 'error':
      return (
        optional(msg.runId, isRunId) &&
        optional(msg.requestId, (v): v is string => isString(v, 100)) &&
        isString(msg.code, 100) &&
        isString(msg.message, 10_000) &&
        optional(msg.hint, (v): v is string => isString(v, 10_000))
      );
    case 'insideTraced':
    case 'insideSignalDone':
    case 'beamDone':
      return isInsideAnswer(msg);
    default:
      return false;
  }
}
