/** `guarded`: fire-and-forget work whose failure is logged and recovered from, never left unhandled. */
import * as assert from 'node:assert/strict';
import { guarded } from '../../src/host/base/guarded';
import type { Logger } from '../../src/host/base/logger';

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, trace: (m) => lines.push(`trace ${m}`), info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

describe('host: guarded', () => {
  it('logs a synchronous throw with what was being done, then recovers', () => {
    const log = memoryLog();
    const seen: unknown[] = [];
    guarded(
      log,
      'run x: worker exit',
      () => {
        throw new Error('disk full');
      },
      (e) => seen.push(e),
    );
    assert.equal(seen.length, 1);
    assert.match(log.lines[0], /^error run x: worker exit failed: Error: disk full/);
  });

  it('logs a rejected promise and recovers, without an unhandled rejection', async () => {
    const log = memoryLog();
    let recovered = false;
    let unhandled = false;
    const onUnhandled = () => (unhandled = true);
    process.once('unhandledRejection', onUnhandled);
    guarded(
      log,
      'panel: sending the run',
      async () => {
        await Promise.resolve();
        throw new Error('unreadable');
      },
      () => (recovered = true),
    );
    await new Promise((r) => setTimeout(r, 20));
    process.removeListener('unhandledRejection', onUnhandled);
    assert.equal(recovered, true);
    assert.equal(unhandled, false);
    assert.match(log.lines[0], /panel: sending the run failed: Error: unreadable/);
  });

  it('a failing recovery is logged too, and nothing escapes', () => {
    const log = memoryLog();
    assert.doesNotThrow(() =>
      guarded(
        log,
        'x',
        () => {
          throw new Error('one');
        },
        () => {
          throw new Error('two');
        },
      ),
    );
    assert.equal(log.lines.length, 2);
    assert.match(log.lines[1], /recovering from the failure failed too: two/);
  });

  it('does nothing more when the work succeeds', async () => {
    const log = memoryLog();
    let called = false;
    guarded(
      log,
      'x',
      async () => 1,
      () => (called = true),
    );
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(log.lines, []);
    assert.equal(called, false);
  });
});
