/**
 * The autoregressive linear model x̂_t = b + Σ_{i=1..tau} A_i x_{t-i}, fitted two ways:
 * - in closed form: least squares by Householder QR in float64 (stable where the normal equations
 *   square the condition number);
 * - by minibatch SGD on the squared error, as the chapter trains it, to compare.
 */
import { Rng } from '../rng';
import type { LagDesign } from './lags';

/** Predicts x_t [dim] from the lag window [tau * dim] (oldest first). */
export interface NextStepModel {
  readonly tau: number;
  readonly dim: number;
  predict(window: Float64Array): Float64Array;
}

export class LinearAR implements NextStepModel {
  /**
   * @param weights [tau * dim, dim]: column j maps the window to component j
   * @param bias [dim]
   */
  constructor(
    readonly tau: number,
    readonly dim: number,
    readonly weights: Float64Array,
    readonly bias: Float64Array,
  ) {}

  predict(window: Float64Array): Float64Array {
    const { dim } = this;
    const width = this.tau * dim;
    const out = this.bias.slice();
    for (let i = 0; i < width; i++) {
      const v = window[i];
      for (let j = 0; j < dim; j++) out[j] += v * this.weights[i * dim + j];
    }
    return out;
  }
}

/**
 * Least squares min ||[X 1] β - Y||² by Householder QR of the [rows, width + 1] design, one solve
 * per output component. Throws if the design is rank deficient (a column that is a combination of
 * others, e.g. a constant series).
 */
export function fitLinearAR(design: LagDesign, tau: number): LinearAR {
  const { rows, width, dim } = design;
  const n = width + 1;
  if (rows < n) throw new Error(`${rows} training rows cannot determine ${n} coefficients: use a smaller tau or more training data.`);
  // A = [X 1], column-major for the reflections.
  const A = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) A[c * rows + r] = design.features[r * width + c];
    A[width * rows + r] = 1;
  }
  const B = new Float64Array(rows * dim); // column-major targets
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) B[j * rows + r] = design.targets[r * dim + j];
  const diag = new Float64Array(n);
  let scale = 0;
  for (let c = 0; c < n; c++) {
    // Householder vector v for column c below the diagonal, stored in place.
    let norm = 0;
    for (let r = c; r < rows; r++) norm += A[c * rows + r] ** 2;
    norm = Math.sqrt(norm);
    scale = Math.max(scale, norm);
    const alpha = A[c * rows + c] > 0 ? -norm : norm;
    diag[c] = alpha;
    if (norm === 0 || Math.abs(alpha) <= 1e-12 * scale) throw new Error('The lag features are linearly dependent (is a column constant?): least squares has no unique solution.');
    A[c * rows + c] -= alpha;
    let vv = 0;
    for (let r = c; r < rows; r++) vv += A[c * rows + r] ** 2;
    const reflect = (col: Float64Array, offset: number) => {
      let dot = 0;
      for (let r = c; r < rows; r++) dot += A[c * rows + r] * col[offset + r];
      const f = (2 * dot) / vv;
      for (let r = c; r < rows; r++) col[offset + r] -= f * A[c * rows + r];
    };
    for (let k = c + 1; k < n; k++) reflect(A, k * rows);
    for (let j = 0; j < dim; j++) reflect(B, j * rows);
  }
  // Back substitution R β = Qᵀ y; R's diagonal is `diag`, above it the reflected A.
  const beta = new Float64Array(n * dim);
  for (let j = 0; j < dim; j++) {
    for (let c = n - 1; c >= 0; c--) {
      let s = B[j * rows + c];
      for (let k = c + 1; k < n; k++) s -= A[k * rows + c] * beta[k * dim + j];
      beta[c * dim + j] = s / diag[c];
    }
  }
  return new LinearAR(tau, dim, beta.slice(0, width * dim), beta.slice(width * dim));
}

export interface SgdOptions {
  epochs?: number;
  batch?: number;
  lr?: number;
  seed?: number;
}

/** The same model trained by minibatch SGD on the mean squared error (the chapter's way), from zero. */
export function fitLinearARBySgd(design: LagDesign, tau: number, options: SgdOptions = {}): { model: LinearAR; losses: number[] } {
  const { rows, width, dim } = design;
  const epochs = options.epochs ?? 20;
  const batch = options.batch ?? 16;
  const lr = options.lr ?? 0.01;
  const rng = new Rng(options.seed ?? 0);
  const W = new Float64Array(width * dim);
  const b = new Float64Array(dim);
  const model = new LinearAR(tau, dim, W, b);
  const order = Array.from({ length: rows }, (_, i) => i);
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    for (let i = rows - 1; i > 0; i--) {
      const k = rng.int(i + 1);
      [order[i], order[k]] = [order[k], order[i]];
    }
    let sum = 0;
    for (let start = 0; start < rows; start += batch) {
      const end = Math.min(rows, start + batch);
      const gW = new Float64Array(W.length);
      const gb = new Float64Array(dim);
      for (let q = start; q < end; q++) {
        const r = order[q];
        const x = design.features.subarray(r * width, (r + 1) * width);
        const pred = model.predict(x);
        for (let j = 0; j < dim; j++) {
          const err = pred[j] - design.targets[r * dim + j];
          sum += err * err;
          // d/dθ of ½ err²; the mean over the batch below.
          gb[j] += err;
          for (let i = 0; i < width; i++) gW[i * dim + j] += err * x[i];
        }
      }
      const m = end - start;
      for (let i = 0; i < W.length; i++) W[i] -= (lr * gW[i]) / m;
      for (let j = 0; j < dim; j++) b[j] -= (lr * gb[j]) / m;
    }
    losses.push(sum / (rows * dim));
  }
  return { model, losses };
}
