/**
 * Seeded weight initialisers (Keras's defaults for recurrent layers), computed in plain JavaScript so
 * that a seed gives the same weights on every backend.
 */
import { Rng } from './rng';

/** Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)). Shape [rows, cols] row-major. */
export function glorotUniform(rng: Rng, rows: number, cols: number): Float32Array {
  const limit = Math.sqrt(6 / (rows + cols));
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

export function uniform(rng: Rng, size: number, limit: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

/**
 * A [rows, cols] matrix with orthonormal rows (rows <= cols) or columns (rows > cols), like Keras's
 * Orthogonal initialiser: a Gaussian matrix orthonormalised by modified Gram-Schmidt in float64.
 * Orthogonal recurrent weights preserve the norm of h through time at the start of training.
 */
export function orthogonal(rng: Rng, rows: number, cols: number): Float32Array {
  const n = Math.min(rows, cols); // number of vectors to orthonormalise
  const len = Math.max(rows, cols); // their length
  const v = new Float64Array(n * len);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  for (let i = 0; i < n; i++) {
    const vi = v.subarray(i * len, (i + 1) * len);
    for (let j = 0; j < i; j++) {
      const vj = v.subarray(j * len, (j + 1) * len);
      let dot = 0;
      for (let k = 0; k < len; k++) dot += vi[k] * vj[k];
      for (let k = 0; k < len; k++) vi[k] -= dot * vj[k];
    }
    let norm = 0;
    for (let k = 0; k < len; k++) norm += vi[k] * vi[k];
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < len; k++) vi[k] /= norm;
  }
  const out = new Float32Array(rows * cols);
  if (rows <= cols) {
    out.set(v); // vectors are the rows
  } else {
    for (let i = 0; i < n; i++) for (let k = 0; k < len; k++) out[k * cols + i] = v[i * len + k];
  }
  return out;
}
