/**
 * The host's bounded history: any run length fits in a fixed number of points per series, the newest
 * at full resolution, and the panel's snapshot built from it stays a few megabytes.
 */
import * as assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { summarize, type RunRecord } from '../../src/core/runFiles';
import { BoundedHistory, BoundedSeries, HISTORY_CAPS, mergeMetrics } from '../../src/host/runs/boundedHistory';
import type { RunView } from '../../src/protocol/panel';
import type { MetricPoint } from '../../src/protocol/types';

const metric = (step: number, loss = 5 - step / 1e6): MetricPoint => ({ step, loss, gradNorm: 1, clipped: false, tokensPerSec: 4000, elapsedMs: step * 10 });

function record(): RunRecord {
  return {
    id: 'r1',
    name: 'long',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '',
    files: ['/a.txt'],
    config: { ...DEFAULT_CONFIG, steps: 1_000_000 },
    state: 'completed',
    step: 1_000_000,
    durationMs: 1,
    checkpoints: [],
  };
}

describe('host: BoundedHistory', () => {
  it('keeps at most its cap, the newest points exactly, in ascending steps', () => {
    const series = new BoundedSeries<MetricPoint>(100, 50, mergeMetrics);
    for (let step = 1; step <= 10_000; step++) series.push(metric(step));
    const kept = series.toArray();
    assert.ok(kept.length <= 100 && kept.length >= 75, `kept ${kept.length}`);
    assert.equal(series.count, 10_000);
    assert.deepEqual(
      kept.slice(-50).map((p) => p.step),
      Array.from({ length: 50 }, (_, i) => 9951 + i),
    );
    for (let i = 1; i < kept.length; i++) assert.ok(kept[i].step > kept[i - 1].step, `step ${kept[i].step} after ${kept[i - 1].step}`);
    // A bucket's loss is the mean over its steps: on a straight line, the value in the middle of the bucket.
    const firstBucketEnd = kept[0].step;
    assert.ok(Math.abs(kept[0].loss - metric((1 + firstBucketEnd) / 2).loss) < 1e-9);
  });

  it("keeps the curve's shape: a step change in the loss stays where it was", () => {
    const series = new BoundedSeries<MetricPoint>(200, 100, mergeMetrics);
    for (let step = 1; step <= 100_000; step++) series.push(metric(step, step <= 30_000 ? 4 : 2));
    const kept = series.toArray();
    const before = kept.filter((p) => p.step < 29_000);
    const after = kept.filter((p) => p.step > 32_000);
    assert.ok(before.every((p) => p.loss === 4) && after.every((p) => p.loss === 2));
  });

  it("drops points after a resumed run's checkpoint", () => {
    const series = new BoundedSeries<MetricPoint>(100, 50, mergeMetrics);
    for (let step = 1; step <= 1000; step++) series.push(metric(step));
    series.dropAfter(900);
    // Older points are buckets: the last one kept ends at or a bucket's width before the checkpoint.
    const last = series.toArray().at(-1)!.step;
    assert.ok(last <= 900 && last > 850, `last kept step ${last}`);
    series.dropAfter(10);
    assert.ok(series.toArray().every((p) => p.step <= 10));
  });

  it('a NaN loss (a diverging run) survives the merging', () => {
    const series = new BoundedSeries<MetricPoint>(10, 4, mergeMetrics);
    for (let step = 1; step <= 100; step++) series.push(metric(step, step === 20 ? NaN : 3));
    assert.ok(series.toArray().some((p) => Number.isNaN(p.loss)));
  });

  it('a 1,000,000-step history makes a snapshot of a few MB, built without holding the loop long', async () => {
    const steps = 1_000_000;
    const window = 64;
    const metrics: MetricPoint[] = [];
    const evals = [];
    const gradMaps = [];
    const samples = [];
    for (let step = 1; step <= steps; step++) {
      metrics.push(metric(step));
      if (step % 50 === 0) evals.push({ step, valLoss: 4 - step / 1e6 });
      if (step % 50 === 0)
        gradMaps.push({
          step,
          hiddenGradNorms: [Array.from({ length: window }, (_, t) => 1e-3 * (t + 1))],
          totalGradNorms: [Array.from({ length: window }, (_, t) => 2e-3 * (t + 1))],
          paramGradNorms: { kernel: 1, bias: 0.5 },
          globalNorm: 1,
          clip: 1,
        });
      if (step % 500 === 0) samples.push({ step, prompt: '', text: 'x'.repeat(200), temperature: 1 });
    }
    const history = new BoundedHistory(record());
    let longestMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestMs = Math.max(longestMs, now - last);
      last = now;
    }, 1);
    await history.addAll({ metrics, evals, gradMaps, samples });
    clearInterval(ticker);
    const kept = history.toHistory();
    assert.ok(
      kept.metrics.length <= HISTORY_CAPS.metrics &&
        kept.evals.length <= HISTORY_CAPS.evals &&
        kept.gradMaps.length <= HISTORY_CAPS.gradMaps &&
        kept.samples.length <= HISTORY_CAPS.samples,
    );
    assert.equal(kept.metrics.at(-1)?.step, steps);
    const view: RunView = {
      summary: summarize(kept.record),
      config: kept.record.config,
      metrics: kept.metrics,
      evals: kept.evals,
      gradMaps: kept.gradMaps,
      samples: kept.samples,
      checkpoints: [],
    };
    const bytes = Buffer.byteLength(JSON.stringify({ type: 'snapshot', runId: 'r1', run: view, readOnly: false }));
    console.log(
      `      1,000,000-step history: snapshot ${(bytes / 1e6).toFixed(2)} MB (${kept.metrics.length} metrics, ${kept.evals.length} evals, ${kept.gradMaps.length} maps, ${kept.samples.length} samples); longest hold while bounding ${longestMs.toFixed(1)} ms`,
    );
    assert.ok(bytes < 4e6, `snapshot is ${bytes} bytes`);
    assert.ok(longestMs < 200, `held the loop ${longestMs} ms`);
  });
});
