/**
 * Numeric sequences, the chapter's starting point: x_1 .. x_T with each x_t in R^d.
 * Values are time-major: x_t's j-th component is values[t * dim + j] (t from 0).
 */
export interface Series {
  /** [length * dim], time-major. */
  readonly values: Float64Array;
  readonly length: number;
  readonly dim: number;
  /** One name per component (column names, or x1..xd). */
  readonly names: readonly string[];
}

export function makeSeries(values: Float64Array, dim: number, names?: readonly string[]): Series {
  if (dim < 1 || values.length % dim !== 0) throw new Error(`a series of dimension ${dim} cannot hold ${values.length} values`);
  return { values, length: values.length / dim, dim, names: names ?? Array.from({ length: dim }, (_, j) => `x${j + 1}`) };
}

/** x_t as a copy [dim]. */
export function at(series: Series, t: number): Float64Array {
  return series.values.slice(t * series.dim, (t + 1) * series.dim);
}

/** Per-component mean and standard deviation, fitted on the first `trainLength` steps only. */
export interface Normalizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

export function fitNormalizer(series: Series, trainLength: number): Normalizer {
  const { dim, values } = series;
  const mean = new Float64Array(dim);
  const std = new Float64Array(dim);
  for (let t = 0; t < trainLength; t++) for (let j = 0; j < dim; j++) mean[j] += values[t * dim + j] / trainLength;
  for (let t = 0; t < trainLength; t++) for (let j = 0; j < dim; j++) std[j] += (values[t * dim + j] - mean[j]) ** 2 / trainLength;
  for (let j = 0; j < dim; j++) {
    std[j] = Math.sqrt(std[j]);
    // Relative to the mean: a column of one repeated value has a rounding-error spread, not zero.
    if (!(std[j] > 1e-12 * Math.max(1, Math.abs(mean[j])))) throw new Error(`${series.names[j]} is constant over the training part: there is nothing to learn.`);
  }
  return { mean, std };
}

export function normalize(series: Series, n: Normalizer): Series {
  const out = new Float64Array(series.values.length);
  for (let i = 0; i < out.length; i++) out[i] = (series.values[i] - n.mean[i % series.dim]) / n.std[i % series.dim];
  return { ...series, values: out };
}

/** Undoes `normalize` on one vector x_t [dim], in place. */
export function denormalizeInPlace(x: Float64Array, n: Normalizer): Float64Array {
  for (let j = 0; j < x.length; j++) x[j] = x[j] * n.std[j] + n.mean[j];
  return x;
}
