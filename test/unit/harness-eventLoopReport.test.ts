import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatLoopReport, readLoopReport } from '../harness/eventLoopReport';

describe("the test output's event-loop report", () => {
  it('sums up the whole-run lines of every Sequence Lab log under a folder, and ignores the rest', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-loop-'));
    try {
      const logs = path.join(dir, 'profile', 'logs', '1', 'exthost1', 'sequence-lab.sequence-lab');
      fs.mkdirSync(logs, { recursive: true });
      fs.writeFileSync(
        path.join(logs, 'Sequence Lab.log'),
        [
          '2026-11-26 01:05:34.098 [warning] run a: event-loop delay, last 30 s: max 102.3 ms, p99 10.1 ms, mean 0.9 ms; this process used 10.4% of a core (above the 50 ms budget)',
          '2026-11-26 01:10:09.967 [warning] run a: event-loop delay over the whole run: max 75.2 ms (own work at most 20.5 ms), p99 12.4 ms, mean 0.9 ms; this process used 11.9% of a core (above the 50 ms budget)',
          '2026-11-26 01:12:00.000 [info] run b: event-loop delay over the whole run: max 21.0 ms (own work at most 21.0 ms), p99 3.5 ms, mean 0.4 ms; this process used 4.0% of a core',
        ].join('\n'),
      );
      const report = readLoopReport(dir)!;
      assert.deepEqual(report, { runs: 2, worstMaxMs: 75.2, worstOwnMaxMs: 21, worstP99Ms: 12.4, over50: 1, maxCpuPercent: 11.9 });
      assert.match(formatLoopReport('e2e', report), /over 2 training runs: worst p99 12\.4 ms, largest single delay 75\.2 ms \(1 of 2 runs/);
      assert.equal(readLoopReport(path.join(dir, 'profile', 'logs', 'none')), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
