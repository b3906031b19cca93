/**
 * What forecasting needs of any model: given N contexts of true (normalised) history, roll forward
 * `steps` steps, each prediction fed back in as the next input. A lag model (linear AR, MLP) needs
 * tau steps of context; a latent model (RNN, GRU, LSTM) reads its training window from a zero state.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NextStepModel } from './linearAR';

export interface Rollout {
  /** mean[s] [N * dim]: the prediction s + 1 steps past the end of each context. */
  mean: Float64Array[];
  /** Gaussian head only: log-variance of each one-step predictive distribution, like `mean`. */
  logVar?: Float64Array[];
}

export interface SequencePredictor {
  readonly dim: number;
  /** Steps of true history a prediction starts from. */
  readonly context: number;
  /**
   * @param contexts [N, context, dim] normalised, oldest first
   * @param n N
   * @param steps how many steps to roll forward
   */
  rollout(contexts: Float64Array, n: number, steps: number): Rollout;
}

/** A next-step lag model as a SequencePredictor: the rollout in plain JavaScript. */
export function lagPredictor(model: NextStepModel): SequencePredictor {
  const { tau, dim } = model;
  return {
    dim,
    context: tau,
    rollout(contexts, n, steps) {
      const mean = Array.from({ length: steps }, () => new Float64Array(n * dim));
      for (let i = 0; i < n; i++) {
        const window = contexts.slice(i * tau * dim, (i + 1) * tau * dim);
        for (let s = 0; s < steps; s++) {
          const next = model.predict(window);
          mean[s].set(next, i * dim);
          window.copyWithin(0, dim);
          window.set(next, (tau - 1) * dim);
        }
      }
      return { mean };
    },
  };
}

/**
 * A network's rollout read back from its stacked tensors ([steps, ...] of `perStep` numbers each), one
 * array per step; the tensors are disposed.
 */
export function readRollout(out: { mean: tf.Tensor; logVar?: tf.Tensor }, steps: number, perStep: number): Rollout {
  const read = (t: tf.Tensor) => {
    const all = t.dataSync();
    return Array.from({ length: steps }, (_, k) => Float64Array.from(all.subarray(k * perStep, (k + 1) * perStep)));
  };
  try {
    return { mean: read(out.mean), ...(out.logVar ? { logVar: read(out.logVar) } : {}) };
  } finally {
    out.mean.dispose();
    out.logVar?.dispose();
  }
}
