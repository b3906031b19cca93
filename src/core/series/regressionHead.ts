/**
 * The output head of the network regressors and its loss, with the gradient written out:
 * - `mse`: out [N, d] is the prediction; loss = mean over N·d of (out - y)²;
 * - `gaussian`: out [N, 2d] is the mean μ and the log-variance s of a Gaussian over y; loss = the mean
 *   negative log-likelihood ½ (log 2π + s + (y - μ)² e^{-s}). Its σ = e^{s/2} gives a predictive
 *   interval μ ± 1.96 σ.
 */
import * as tf from '@tensorflow/tfjs-core';

export const HEADS = ['mse', 'gaussian'] as const;
export type HeadKind = (typeof HEADS)[number];

/** Output units of a head over d components. */
export const headWidth = (head: HeadKind, dim: number): number => (head === 'gaussian' ? 2 * dim : dim);

/** The log-variance is kept within e^{±LOG_VAR_LIMIT}: a Gaussian collapsing on one training point would otherwise diverge. */
const LOG_VAR_LIMIT = 8;

/** Splits head outputs [N, O] into the mean [N, d] and, for a Gaussian, the bounded log-variance [N, d]. */
export function splitHead(out: tf.Tensor2D, head: HeadKind, dim: number): { mean: tf.Tensor2D; logVar?: tf.Tensor2D } {
  if (head === 'mse') return { mean: out };
  const [mean, s] = tf.split(out, [dim, dim], 1) as tf.Tensor2D[];
  return { mean, logVar: tf.clipByValue(s, -LOG_VAR_LIMIT, LOG_VAR_LIMIT) };
}

/**
 * The head's loss and its gradient with respect to the outputs.
 * out [N, O], y [N, d] -> loss (scalar, mean per component), dOut [N, O].
 */
export function headLoss(out: tf.Tensor2D, y: tf.Tensor2D, head: HeadKind): { loss: tf.Scalar; dOut: tf.Tensor2D } {
  const n = y.shape[0] * y.shape[1];
  if (head === 'mse') {
    const err = tf.sub(out, y);
    return { loss: tf.div(tf.sum(tf.square(err)), n) as tf.Scalar, dOut: tf.mul(err, 2 / n) as tf.Tensor2D };
  }
  const dim = y.shape[1];
  const [mean, sRaw] = tf.split(out, [dim, dim], 1) as tf.Tensor2D[];
  const s = tf.clipByValue(sRaw, -LOG_VAR_LIMIT, LOG_VAR_LIMIT);
  const err = tf.sub(y, mean);
  const precision = tf.exp(tf.neg(s));
  const sq = tf.mul(tf.square(err), precision);
  const loss = tf.div(tf.sum(tf.add(tf.add(s, sq), Math.log(2 * Math.PI))), 2 * n) as tf.Scalar;
  const dMean = tf.div(tf.neg(tf.mul(err, precision)), n);
  // d/ds of ½ (s + err² e^{-s}), zero where the clip holds s at its bound.
  const inside = tf.logicalAnd(tf.greater(sRaw, -LOG_VAR_LIMIT), tf.less(sRaw, LOG_VAR_LIMIT));
  const dS = tf.where(inside, tf.div(tf.sub(1, sq), 2 * n), tf.zerosLike(sq));
  return { loss, dOut: tf.concat([dMean, dS], 1) as tf.Tensor2D };
}
