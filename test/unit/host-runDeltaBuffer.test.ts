import * as assert from 'node:assert/strict';
import { RunDeltaBuffer } from '../../src/host/views/runDeltaBuffer';
import type { GradMap, MetricPoint } from '../../src/protocol/types';

const point = (step: number): MetricPoint => ({ step, loss: 2, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: step });
const map = (step: number): GradMap => ({ step, hiddenGradNorms: [[1]], paramGradNorms: {}, globalNorm: 1, clip: 1 });

describe("the panel's batch of run deltas", () => {
  it("gathers a fast run's events into one batch, in order, and starts afresh after each take", () => {
    const buffer = new RunDeltaBuffer();
    assert.equal(buffer.take(), undefined);
    for (let step = 1; step <= 100; step++) {
      assert.equal(buffer.add({ runId: 'r', kind: 'metrics', point: point(step) }), true);
      if (step % 2 === 0) buffer.add({ runId: 'r', kind: 'gradmap', map: map(step) });
      if (step % 10 === 0) buffer.add({ runId: 'r', kind: 'eval', point: { step, valLoss: 1 } });
    }
    buffer.add({ runId: 'r', kind: 'sample', sample: { step: 100, prompt: '', text: 'x', temperature: 1 } });
    const batch = buffer.take()!;
    assert.deepEqual(
      batch.metrics.map((m) => m.step),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    assert.deepEqual([batch.gradMaps.length, batch.evals.length, batch.samples.length], [50, 10, 1]);
    assert.equal(buffer.isEmpty, true);
    assert.equal(buffer.take(), undefined);
  });

  it('keeps nothing of events that are not deltas', () => {
    const buffer = new RunDeltaBuffer();
    assert.equal(buffer.add({ runId: 'r', kind: 'status' }), false);
    assert.equal(buffer.add({ runId: 'r', kind: 'progress', phase: 'reading', message: 'Reading' }), false);
    assert.equal(buffer.take(), undefined);
  });
});
