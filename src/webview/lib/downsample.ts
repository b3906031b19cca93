/**
 * Downsampling for drawing: with tens of thousands of points and a few hundred pixels, each pixel
 * column keeps only the points that shape it (first, minimum, maximum, last), so spikes survive and
 * the drawn line looks identical while the path has at most four points per pixel. Pure.
 */

/** Maps an x value to a bucket (a pixel column); buckets must not decrease as x grows. */
export type BucketOf = (x: number) => number;

/** Buckets of equal width on a linear axis over [min, max]. */
export function linearBuckets(min: number, max: number, buckets: number): BucketOf {
  const span = max - min || 1;
  return (x) => Math.min(buckets - 1, Math.max(0, Math.floor(((x - min) / span) * buckets)));
}

/** Buckets of equal width on a logarithmic axis over [min, max] (both > 0); x <= 0 falls in bucket 0. */
export function logBuckets(min: number, max: number, buckets: number): BucketOf {
  const lo = Math.log(Math.max(min, Number.MIN_VALUE));
  const span = Math.log(Math.max(max, Number.MIN_VALUE)) - lo || 1;
  return (x) => (x > 0 ? Math.min(buckets - 1, Math.max(0, Math.floor(((Math.log(x) - lo) / span) * buckets))) : 0);
}

/**
 * Indices of the points to draw, ascending: per bucket the first, the minimum, the maximum and the
 * last point (fewer when they coincide). Non-finite y values are never chosen as min or max but the
 * bucket's first and last points are kept so gaps stay visible. `xs` must be ascending; points
 * before `start` are skipped (no copy of the arrays is made).
 */
export function minMaxIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, bucketOf: BucketOf, start = 0): number[] {
  const out: number[] = [];
  const n = Math.min(xs.length, ys.length);
  let i = start;
  while (i < n) {
    const bucket = bucketOf(xs[i]);
    const first = i;
    let minI = -1;
    let maxI = -1;
    while (i < n && bucketOf(xs[i]) === bucket) {
      const y = ys[i];
      if (Number.isFinite(y)) {
        if (minI < 0 || y < ys[minI]) minI = i;
        if (maxI < 0 || y > ys[maxI]) maxI = i;
      }
      i++;
    }
    const last = i - 1;
    const picks = [first, minI, maxI, last].filter((k) => k >= 0).sort((a, b) => a - b);
    for (const k of picks) if (out[out.length - 1] !== k) out.push(k);
  }
  return out;
}

/** Picks `indices` out of `values`. */
export function pick<T>(values: ArrayLike<T>, indices: readonly number[]): T[] {
  const out = new Array<T>(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = values[indices[k]];
  return out;
}

/**
 * Merges series with their own x values into uPlot's aligned form: one ascending x array (the union)
 * and, per series, a y array with `null` where that series has no point. Each input x must be ascending.
 */
export function alignSeries(series: readonly { readonly x: ArrayLike<number>; readonly y: ArrayLike<number> }[]): [number[], ...(number | null)[][]] {
  const xs: number[] = [];
  const cursors = series.map(() => 0);
  const ys: (number | null)[][] = series.map(() => []);
  for (;;) {
    let next = Infinity;
    series.forEach((s, k) => {
      if (cursors[k] < s.x.length && s.x[cursors[k]] < next) next = s.x[cursors[k]];
    });
    if (next === Infinity) break;
    xs.push(next);
    series.forEach((s, k) => {
      if (cursors[k] < s.x.length && s.x[cursors[k]] === next) {
        // Repeated x within one series: the last value wins.
        while (cursors[k] + 1 < s.x.length && s.x[cursors[k] + 1] === next) cursors[k]++;
        const y = s.y[cursors[k]];
        ys[k].push(Number.isFinite(y) ? y : null);
        cursors[k]++;
      } else {
        ys[k].push(null);
      }
    });
  }
  return [xs, ...ys];
}

/**
 * Indices of the points worth drawing for a series shown `pixels` wide: all of them when there are
 * few, else the min/max per pixel column (on a log or linear x axis). On a log axis points at x <= 0
 * cannot be placed and are left out.
 */
export function drawIndices(xs: readonly number[], ys: ArrayLike<number>, pixels: number, log: boolean): number[] {
  let start = 0;
  if (log) while (start < xs.length && !(xs[start] > 0)) start++;
  const n = xs.length - start;
  if (n <= 0) return [];
  if (n <= 3 * pixels) return Array.from({ length: n }, (_, k) => start + k);
  const lo = xs[start];
  const hi = xs[xs.length - 1];
  const buckets = Math.max(1, Math.floor(pixels));
  const bucketOf = log ? logBuckets(lo, hi, buckets) : linearBuckets(lo, hi, buckets);
  return minMaxIndices(xs, ys, bucketOf, start);
}
