import * as assert from 'assert';
import { Ema, emaSmooth } from '../../src/webview/lib/smoothing';
import { alignSeries, drawIndices, linearBuckets, logBuckets, minMaxIndices, pick } from '../../src/webview/lib/downsample';

describe('webview smoothing', () => {
  it('weight 0 returns the input unchanged', () => {
    assert.deepStrictEqual(emaSmooth([3, 1, 4, 1, 5], 0), [3, 1, 4, 1, 5]);
  });

  it('is debiased: a constant series stays constant from the first point', () => {
    for (const v of emaSmooth([2, 2, 2, 2], 0.9)) assert.ok(Math.abs(v - 2) < 1e-12, String(v));
  });

  it('follows the textbook recurrence', () => {
    const w = 0.6;
    const ys = [1, 3, 2];
    let biased = 0;
    const expected = ys.map((y, i) => {
      biased = w * biased + (1 - w) * y;
      return biased / (1 - Math.pow(w, i + 1));
    });
    const got = emaSmooth(ys, w);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12));
  });

  it('reduces the variance of noise and lags a step change', () => {
    const ys = Array.from({ length: 400 }, (_, i) => (i < 200 ? 1 : 3) + (i % 2 ? 0.5 : -0.5));
    const s = emaSmooth(ys, 0.95);
    const tail = s.slice(150, 200);
    assert.ok(Math.max(...tail) - Math.min(...tail) < 0.1, 'noise damped');
    assert.ok(s[205] < 2.5, 'lags the step');
    assert.ok(Math.abs(s[399] - 3) < 0.1, 'catches up');
  });

  it('incremental and batch forms agree, and skip non-finite values', () => {
    const ys = [1, NaN, 2, Infinity, 3];
    const ema = new Ema(0.5);
    const inc = ys.map((y) => ema.push(y));
    assert.deepStrictEqual(inc, emaSmooth(ys, 0.5));
    assert.strictEqual(inc[1], inc[0]);
  });

  it('rejects a weight of 1 or more', () => {
    assert.throws(() => new Ema(1), RangeError);
  });
});

describe('webview downsampling', () => {
  it('keeps first, min, max and last of each bucket, in order', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6, 7];
    const ys = [5, 9, 1, 5, 5, 0, 8, 5];
    // two buckets: x 0..3 and 4..7
    const idx = minMaxIndices(xs, ys, linearBuckets(0, 8, 2));
    assert.deepStrictEqual(idx, [0, 1, 2, 3, 4, 5, 6, 7]);
    const idx2 = minMaxIndices([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [5, 9, 5, 1, 5, 5, 5, 5, 5, 5], linearBuckets(0, 10, 1));
    assert.deepStrictEqual(idx2, [0, 1, 3, 9]);
  });

  it('preserves the extremes of 50,000 noisy points in at most 4 per bucket', () => {
    const n = 50_000;
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    const ys = xs.map((x) => Math.sin(x / 700) + ((x * 7919) % 13) / 13);
    ys[31_337] = 10; // a spike must survive
    const buckets = 600;
    const idx = minMaxIndices(xs, ys, linearBuckets(1, n, buckets));
    assert.ok(idx.length <= 4 * buckets, `${idx.length} points`);
    assert.ok(idx.includes(31_337));
    const kept = pick(ys, idx);
    assert.strictEqual(Math.max(...kept), Math.max(...ys));
    assert.strictEqual(Math.min(...kept), Math.min(...ys));
    for (let k = 1; k < idx.length; k++) assert.ok(idx[k] > idx[k - 1]);
    assert.strictEqual(idx[0], 0);
    assert.strictEqual(idx[idx.length - 1], n - 1);
  });

  it('log buckets are finer at small x', () => {
    const b = logBuckets(1, 10_000, 4);
    assert.deepStrictEqual([1, 9, 11, 99, 101, 999, 1001, 10_000].map(b), [0, 0, 1, 1, 2, 2, 3, 3]);
    assert.strictEqual(b(0), 0);
  });

  it('aligns series with different x values, nulls where a series has no point', () => {
    const [x, a, b] = alignSeries([
      { x: [1, 2, 3, 4], y: [10, 20, 30, 40] },
      { x: [2, 4, 6], y: [0.2, NaN, 0.6] },
    ]);
    assert.deepStrictEqual(x, [1, 2, 3, 4, 6]);
    assert.deepStrictEqual(a, [10, 20, 30, 40, null]);
    assert.deepStrictEqual(b, [null, 0.2, null, null, 0.6]);
  });

  it('a repeated x within a series keeps its last value', () => {
    const [x, a] = alignSeries([{ x: [1, 1, 2], y: [5, 6, 7] }]);
    assert.deepStrictEqual(x, [1, 2]);
    assert.deepStrictEqual(a, [6, 7]);
  });
});

describe('webview drawing indices', () => {
  it('keeps every point of a short series, thins a long one to about 4 per pixel', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    assert.strictEqual(drawIndices(xs, xs, 500, false).length, 1000);
    const long = Array.from({ length: 40_000 }, (_, i) => i + 1);
    const idx = drawIndices(
      long,
      long.map((x) => Math.sin(x)),
      300,
      false,
    );
    assert.ok(idx.length <= 1200 && idx.length >= 300, String(idx.length));
  });

  it('leaves out x <= 0 on a log axis', () => {
    assert.deepStrictEqual(drawIndices([0, 1, 2], [5, 6, 7], 100, true), [1, 2]);
    assert.deepStrictEqual(drawIndices([0, 1, 2], [5, 6, 7], 100, false), [0, 1, 2]);
  });
});
