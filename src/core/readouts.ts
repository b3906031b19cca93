/**
 * Readouts of a run's state, the chapter's arguments as numbers:
 * - memory horizon: how far back the last prediction's gradient reaches before it vanishes;
 * - the spectral radius and largest singular value of a recurrent matrix: powers of U shrink (radius
 *   below 1) or blow up (above 1) what flows back through time, which is why gradients vanish or explode;
 * - the clip rate: how often global-norm clipping acted.
 */

/** A gradient this far below its value at the last step counts as gone. */
export const HORIZON_THRESHOLD = 1e-3;

/**
 * Steps back from the last one over which ||dℓ_T/dh_t|| stays at or above `threshold` times its value
 * at t = T-1 (consecutively): 0 if it vanishes at once, T-1 if it never falls that low in the window.
 * @param norms [T] for one layer, t = 0 (oldest) .. T-1 (the predicted step)
 */
export function memoryHorizon(norms: readonly number[], threshold = HORIZON_THRESHOLD): number {
  const T = norms.length;
  if (T === 0) return 0;
  const last = norms[T - 1];
  if (!(last > 0) || !Number.isFinite(last)) return 0;
  let k = 0;
  while (k < T - 1 && norms[T - 2 - k] >= threshold * last) k++;
  return k;
}

/** A square block [n, n] of a row-major [n, cols] matrix, starting at column `col`. */
export function squareBlock(matrix: Float32Array | Float64Array, n: number, cols: number, col: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out[r * n + c] = matrix[r * cols + col + c];
  return out;
}

/** y = A x, or Aᵀ x with `transpose`, for row-major A [n, n]. */
function apply(A: Float64Array, n: number, x: Float64Array, transpose = false): Float64Array {
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    if (transpose) {
      const xr = x[r];
      for (let c = 0; c < n; c++) y[c] += A[r * n + c] * xr;
    } else {
      let s = 0;
      for (let c = 0; c < n; c++) s += A[r * n + c] * x[c];
      y[r] = s;
    }
  }
  return y;
}

const norm = (x: Float64Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));

/** A fixed, dense start vector: no seed to carry, no chance of starting orthogonal to what we seek. */
function startVector(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.sin(1.7 * i + 0.3));
}

/** σ_max(A) by power iteration on AᵀA. */
export function largestSingularValue(A: Float64Array, n: number, iterations = 100): number {
  let v = startVector(n);
  let sigma = 0;
  for (let i = 0; i < iterations; i++) {
    const w = apply(A, n, apply(A, n, v), true);
    const length = norm(w);
    if (length === 0) return 0;
    sigma = Math.sqrt(length / norm(v));
    v = w.map((x) => x / length);
  }
  return sigma;
}

/**
 * ρ(A) = max |λ|, by Gelfand's formula ρ = lim ||A^k v||^{1/k}: the growth rate of repeated products,
 * measured over the last `measure` of `burnIn + measure` steps. Unlike power iteration for the
 * eigenvector, it needs no real dominant eigenvalue: a complex pair (a rotation, common in trained
 * recurrent matrices) only makes the norm oscillate, which the long measuring window averages out.
 */
export function spectralRadius(A: Float64Array, n: number, burnIn = 200, measure = 200): number {
  let v = startVector(n);
  let logGrowth = 0;
  for (let i = 0; i < burnIn + measure; i++) {
    const w = apply(A, n, v);
    const length = norm(w);
    if (length === 0) return 0;
    if (i >= burnIn) logGrowth += Math.log(length / norm(v));
    v = w.map((x) => x / length);
  }
  return Math.exp(logGrowth / measure);
}

/** The fraction of logged steps on which global-norm clipping acted (undefined before any step). */
export function clipRate(metrics: readonly { clipped: boolean }[]): number | undefined {
  if (!metrics.length) return undefined;
  let clipped = 0;
  for (const m of metrics) if (m.clipped) clipped++;
  return clipped / metrics.length;
}

/** The gate blocks of each cell's recurrent matrix U [H, G*H], in Keras order. */
export const GATE_BLOCKS: Readonly<Record<'rnn' | 'gru' | 'lstm', readonly string[]>> = { rnn: ['h'], gru: ['z', 'r', 'n'], lstm: ['i', 'f', 'g', 'o'] };

/**
 * The norm of the gradient with respect to the whole state at each step: sqrt(||dh_t||² + ||dc_t||²)
 * for an LSTM (whose memory lives in c_t), ||dh_t|| for the others (no `c`).
 * @param h [T] ||dℓ_T/dh_t||  @param c [T] ||dℓ_T/dc_t||
 */
export function stateGradNorms(h: readonly number[], c?: readonly number[]): number[] {
  return c ? h.map((v, t) => Math.sqrt(v * v + (c[t] ?? 0) ** 2)) : [...h];
}

/**
 * Spectral radius and largest singular value of each gate block of a recurrent matrix U [H, G*H]
 * (row-major): h_{t-1} U_g is the block's linear map, and its powers decide whether what flows back
 * through time shrinks or grows.
 */
export function recurrentBlockReadouts(U: Float32Array | Float64Array, H: number, G: number): { spectralRadius: number[]; sigmaMax: number[] } {
  const spectral: number[] = [];
  const sigma: number[] = [];
  for (let g = 0; g < G; g++) {
    const block = squareBlock(U, H, G * H, g * H);
    spectral.push(spectralRadius(block, H));
    sigma.push(largestSingularValue(block, H));
  }
  return { spectralRadius: spectral, sigmaMax: sigma };
}

/**
 * Measure the matrices at every `spectralEvery`-th map: their cost grows with H² (about 1,000
 * products of H x H by a vector per block), so above 256 units they are measured less often to keep
 * the readouts within a few per cent of training time.
 */
export function spectralEvery(hidden: number): number {
  return Math.max(1, Math.ceil((hidden / 256) ** 2));
}
