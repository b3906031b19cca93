import * as assert from 'node:assert/strict';
import { EventLoopMonitor } from '../../src/host/eventLoopMonitor';
import { nullLogger } from '../../src/host/logger';

describe('host: event-loop delay monitor', () => {
  it('sees a 150 ms block of the event loop and reports it in milliseconds', async () => {
    const lines: string[] = [];
    const monitor = new EventLoopMonitor({ ...nullLogger, info: (m) => lines.push(m), warn: (m) => lines.push(`WARN ${m}`) }, 60_000);
    monitor.start('test');
    await new Promise((r) => setTimeout(r, 100));
    const t = Date.now();
    while (Date.now() - t < 150) {
      // block the loop
    }
    await new Promise((r) => setTimeout(r, 100));
    const stats = monitor.stop()!;
    assert.ok(stats.maxMs >= 100 && stats.maxMs < 1000, `max ${stats.maxMs}`);
    assert.ok(lines.some((l) => l.startsWith('WARN test: event-loop delay over the whole run: max')), lines.join('\n'));
    assert.ok(monitor.snapshot().worst.maxMs >= stats.maxMs);
    assert.equal(monitor.stop(), undefined, 'stopping twice is harmless');
    monitor.dispose();
  });
});
