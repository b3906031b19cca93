/**
 * Fire-and-forget work in the host (an event handler, a callback, a promise nobody awaits) goes
 * through `guarded`: a failure is logged with what was being done, and `onError` can end what the
 * failure leaves half-done, so one exception never leaves a run active or the queue stalled.
 */
import type { Logger } from './logger';

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs `fn` (sync or async) without awaiting it; a throw or rejection is logged, then `onError` runs. */
export function guarded(log: Logger, what: string, fn: () => unknown, onError?: (e: unknown) => void): void {
  const fail = (e: unknown) => {
    log.error(`${what} failed: ${e instanceof Error && e.stack ? e.stack : errorText(e)}`);
    if (!onError) return;
    try {
      onError(e);
    } catch (again) {
      log.error(`${what}: recovering from the failure failed too: ${errorText(again)}`);
    }
  };
  try {
    const result = fn();
    if (result instanceof Promise) result.catch(fail);
  } catch (e) {
    fail(e);
  }
}
