import * as assert from 'node:assert/strict';
import { EventLoopMonitor, markRunStarting } from '../../src/host/base/eventLoopMonitor';
import { nullLogger } from '../../src/host/base/logger';

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
    assert.ok(stats.ownMaxMs >= 100, `the block was the process's own work: ${stats.ownMaxMs}`);
    assert.ok(
      lines.some((l) => l.startsWith('WARN test: event-loop delay over the whole run: max') && l.includes('own work at most')),
      lines.join('\n'),
    );
    assert.equal(monitor.snapshot().worst.maxMs, stats.maxMs);
    assert.equal(monitor.stop(), undefined, 'stopping twice is harmless');
    monitor.dispose();
  });

  it('counts the synchronous work of starting a run (the fork of its worker) from the mark before it', async () => {
    const lines: string[] = [];
    const monitor = new EventLoopMonitor({ ...nullLogger, info: (m) => lines.push(m), warn: (m) => lines.push(`WARN ${m}`) }, 60_000);
    markRunStarting();
    // The launch (fork, run.json, listeners, all before the monitor starts): 120 ms of this thread's
    // CPU, however long a busy machine makes it take.
    const cpu = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.bind(process) ?? (() => process.cpuUsage());
    const used = () => {
      const u = cpu();
      return (u.user + u.system) / 1000;
    };
    const from = used();
    while (used() - from < 120) {
      // busy
    }
    monitor.start('launch');
    await new Promise((r) => setTimeout(r, 50));
    const stats = monitor.stop()!;
    assert.ok(stats.maxMs >= 100 && stats.ownMaxMs >= 100, `the launch was measured: max ${stats.maxMs}, own ${stats.ownMaxMs}`);
    assert.ok(
      lines.some((l) => l.startsWith('WARN launch: the event loop was held')),
      lines.join('\n'),
    );
    // A mark is used once: the next run starts from its own start.
    monitor.start('next');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(monitor.stop()!.maxMs < 100, 'the old mark was not reused');
    monitor.dispose();
  });

  it('tells a delay the process spent waiting (no CPU used) from one it spent working', async () => {
    const lines: string[] = [];
    const monitor = new EventLoopMonitor({ ...nullLogger, info: (m) => lines.push(m), warn: (m) => lines.push(`WARN ${m}`) }, 60_000);
    monitor.start('waiting');
    await new Promise((r) => setTimeout(r, 100));
    // The loop is held 150 ms, but the thread sleeps, as when the machine gives its cores to others.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
    await new Promise((r) => setTimeout(r, 100));
    const stats = monitor.stop()!;
    assert.ok(stats.maxMs >= 100, `max ${stats.maxMs}`);
    assert.ok(stats.ownMaxMs < 50, `own work ${stats.ownMaxMs} ms`);
    assert.equal(monitor.snapshot().worst.ownMaxMs, stats.ownMaxMs);
    // Within the budget by its own work: logged, not warned about.
    assert.ok(
      lines.some((l) => l.startsWith('waiting: event-loop delay over the whole run')),
      lines.join('\n'),
    );
    monitor.dispose();
  });

  it('weighs every period by its length in the overall p99, and keeps the largest delay', async () => {
    const monitor = new EventLoopMonitor(nullLogger, 60_000);
    monitor.start('quiet');
    await new Promise((r) => setTimeout(r, 3000));
    monitor.stop();
    await new Promise((r) => setTimeout(r, 500)); // between runs: not a delay
    monitor.start('short');
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    while (Date.now() - t < 150) {
      // one long block in a short period
    }
    await new Promise((r) => setTimeout(r, 30));
    const short = monitor.stop()!;
    const { worst, current } = monitor.snapshot();
    assert.equal(current, undefined);
    assert.ok(short.p99Ms >= 100, `the short period's own p99 is the block: ${short.p99Ms}`);
    assert.ok(worst.maxMs >= 100 && worst.maxMs < 450, `max ${worst.maxMs}: the block, not the pause between runs`);
    assert.ok(worst.p99Ms < short.p99Ms, `overall p99 ${worst.p99Ms} should not be the one block`);
    assert.ok(worst.durationMs >= 3100 && worst.durationMs < 5000, `duration ${worst.durationMs}`);
    monitor.dispose();
  });
});
