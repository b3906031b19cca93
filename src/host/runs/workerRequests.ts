/**
 * Sample, inspect, probe and inside requests in flight to a worker, keyed by request id. Answers arrive
 * as worker messages (`sampleToken`, `sampleDone`, `inspected`, `probed`, the inside answers, `error`
 * with `requestId`); a worker that exits
 * first fails every request it held, so no caller waits forever.
 */
import { randomBytes } from 'node:crypto';
import type { BackendName } from '../../protocol/types';
import type { InspectedToken, WorkerToHost } from '../../protocol/worker';

export interface SampleResult {
  text: string;
  backend: BackendName;
}

export interface InspectResult {
  tokens: InspectedToken[];
  meanSurprisal: number;
}

/** The context-length probe: validation loss seeing only the last k tokens. */
export interface ProbeResult {
  points: { k: number; loss: number }[];
}

/** A request failed in the worker (`code` from its error message) or because the worker went away. */
export class WorkerRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'WorkerRequestError';
  }
}

interface Pending {
  owner: object;
  onToken?: (token: string) => void;
  /** A sample or inspect result, or an inside answer message itself (protocol/inside.ts). */
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}

export class WorkerRequests {
  private readonly pending = new Map<string, Pending>();

  /** Registers a request whose answer will come from `owner` (a worker). */
  add<T>(requestId: string, owner: object, onToken?: (token: string) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(requestId, { owner, onToken, resolve: resolve as Pending['resolve'], reject });
    });
  }

  /** Routes a worker message; true when it belonged to a request. */
  handle(msg: WorkerToHost): boolean {
    switch (msg.type) {
      case 'sampleToken':
        this.pending.get(msg.requestId)?.onToken?.(msg.token);
        return true;
      case 'sampleDone':
        this.settle(msg.requestId, (p) => p.resolve({ text: msg.text, backend: msg.backend }));
        return true;
      case 'inspected':
        this.settle(msg.requestId, (p) => p.resolve({ tokens: msg.tokens, meanSurprisal: msg.meanSurprisal }));
        return true;
      case 'probed':
        this.settle(msg.requestId, (p) => p.resolve({ points: msg.points }));
        return true;
      case 'insideTraced':
      case 'insideSignalDone':
      case 'beamDone':
        this.settle(msg.requestId, (p) => p.resolve(msg));
        return true;
      case 'error':
        if (msg.requestId === undefined) return false;
        this.settle(msg.requestId, (p) => p.reject(new WorkerRequestError(msg.message, msg.code, msg.hint)));
        return true;
      default:
        return false;
    }
  }

  /** Fails every request held by `owner` (its process exited). */
  failOwner(owner: object, reason: string): void {
    for (const [id, p] of [...this.pending]) {
      if (p.owner === owner) this.settle(id, (q) => q.reject(new WorkerRequestError(reason, 'WORKER_EXITED')));
    }
  }

  /** Fails one request (it timed out, say). */
  fail(requestId: string, error: Error): void {
    this.settle(requestId, (p) => p.reject(error));
  }

  failAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, (q) => q.reject(new WorkerRequestError(reason, 'CANCELLED')));
  }

  has(requestId: string): boolean {
    return this.pending.has(requestId);
  }

  private settle(requestId: string, fn: (p: Pending) => void): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    fn(p);
  }
}

/**
 * Routes a worker message that belongs to a request: its answer, or an error carrying a request id (or
 * no run id), which fails that request alone (`warn` says so when nobody waits for it any more).
 * False when the message is the run's own.
 */
export function routeToRequest(requests: WorkerRequests, msg: WorkerToHost, warn: (line: string) => void): boolean {
  if (msg.type === 'error' && (msg.requestId !== undefined || msg.runId === undefined)) {
    if (msg.requestId !== undefined && requests.has(msg.requestId)) requests.handle(msg);
    else warn(`a request${msg.requestId ? ` (${msg.requestId})` : ''} failed in the worker: ${msg.code}: ${msg.message}`);
    return true;
  }
  return requests.handle(msg);
}
