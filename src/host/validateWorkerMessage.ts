/**
 * The host's full check on every message from the training worker. The worker is our own code, but it
 * runs tfjs, reads user files and may be a different build after an update: a malformed message is
 * logged and dropped here rather than corrupting a run's history or a view.
 * (`isWorkerToHost` in the protocol only checks that `type` is a string.)
 */
import type { CheckpointRef, EvalPoint, GradMap, MetricPoint, RunInfo, SampleRecord } from '../protocol/types';
import type { InspectedToken, WorkerToHost } from '../protocol/worker';
import { isFiniteNumber, isInteger, isOneOf, isRecord, isRunId, isString } from '../protocol/validate';

const PHASES = ['backend', 'reading', 'tokenizing', 'building', 'restoring'] as const;
const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
const FINISH_REASONS = ['completed', 'stopped', 'diverged'] as const;

const optional = <T>(value: unknown, guard: (v: unknown) => v is T): boolean => value === undefined || guard(value);

/** Loss and norms may legitimately be NaN or Infinity when a run diverges; everything else is finite. */
function isNumber(value: unknown): value is number {
  return typeof value === 'number';
}

function isMetricPoint(p: unknown): p is MetricPoint {
  return isRecord(p) && isInteger(p.step, 0) && isNumber(p.loss) && isNumber(p.gradNorm) &&
    typeof p.clipped === 'boolean' && isFiniteNumber(p.tokensPerSec) && isFiniteNumber(p.elapsedMs);
}

function isEvalPoint(p: unknown): p is EvalPoint {
  return isRecord(p) && isInteger(p.step, 0) && isNumber(p.valLoss);
}

function isNumberMatrix(m: unknown): m is number[][] {
  return Array.isArray(m) && m.length <= 64 && m.every((row) => Array.isArray(row) && row.length <= 100_000 && row.every(isNumber));
}

function isGradMap(m: unknown): m is GradMap {
  return isRecord(m) && isInteger(m.step, 0) && isNumberMatrix(m.hiddenGradNorms) && optional(m.totalGradNorms, isNumberMatrix) && isRecord(m.paramGradNorms) &&
    Object.values(m.paramGradNorms).every(isNumber) && isNumber(m.globalNorm) && isFiniteNumber(m.clip);
}

function isSampleRecord(s: unknown): s is SampleRecord {
  return isRecord(s) && isInteger(s.step, 0) && isString(s.prompt) && isString(s.text) && isFiniteNumber(s.temperature);
}

function isCheckpointRef(c: unknown): c is CheckpointRef {
  return isRecord(c) && isInteger(c.step, 0) && isString(c.path, 1000) && isString(c.time, 100) &&
    (c.valLoss === undefined || isNumber(c.valLoss));
}

function isRunInfo(i: unknown): i is RunInfo {
  return isRecord(i) && isOneOf(i.backend, BACKENDS) && isString(i.backendReason, 10_000) &&
    isInteger(i.vocabSize, 1) && isInteger(i.paramCount, 0) && isInteger(i.trainTokens, 0) && isInteger(i.valTokens, 0) &&
    isFiniteNumber(i.uniformLoss) && isNumber(i.unigramLoss) && isFiniteNumber(i.charsPerToken) && optional(i.threads, (v): v is number => isInteger(v, 1, 256));
}

function isInspectedToken(t: unknown): t is InspectedToken {
  return isRecord(t) && isString(t.token, 10_000) && (t.surprisal === undefined || isNumber(t.surprisal)) &&
    Array.isArray(t.top) && t.top.every((e) => isRecord(e) && isString(e.token, 10_000) && isFiniteNumber(e.p));
}

/** Returns the message typed when it has the shape its `type` claims, else `undefined`. */
export function validateWorkerMessage(msg: unknown): WorkerToHost | undefined {
  if (!isRecord(msg)) return undefined;
  const ok = (() => {
    switch (msg.type) {
      case 'hello':
        return isInteger(msg.version) && isInteger(msg.pid);
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
        return isRunId(msg.runId) && isCheckpointRef(msg.checkpoint);
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
      case 'error':
        return optional(msg.runId, isRunId) && optional(msg.requestId, (v): v is string => isString(v, 100)) &&
          isString(msg.code, 100) && isString(msg.message, 10_000) && optional(msg.hint, (v): v is string => isString(v, 10_000));
      default:
        return false;
    }
  })();
  return ok ? (msg as unknown as WorkerToHost) : undefined;
}
