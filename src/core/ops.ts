/**
 * Tensor helpers shared by the models, each in two forms: tfjs ops (the reference, differentiable,
 * any backend) and the fused kernels of kernels/fusedKernels.ts (wasm and cpu backends). Two traps of
 * the wasm backend shape them (see NOTES): matMul with a transposed operand is 10x slower than a
 * transpose followed by a plain matMul, and there is no UnsortedSegmentSum kernel, so the gradient of
 * a row gather (an embedding, or a one-hot input times a kernel) is accumulated here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runFused } from './kernels/fusedKernels';

export function transpose2d(x: tf.Tensor2D, fused: boolean): tf.Tensor2D {
  return fused ? (runFused('SeqLabTranspose2D', [x])[0] as tf.Tensor2D) : tf.transpose(x);
}

/** a^T b for a [N, M], b [N, K] -> [M, K] */
export function matMulTN(a: tf.Tensor2D, b: tf.Tensor2D, fused: boolean): tf.Tensor2D {
  return tf.matMul(transpose2d(a, fused), b);
}

/** a b^T for a [N, K], b [M, K] -> [N, M] */
export function matMulNT(a: tf.Tensor2D, b: tf.Tensor2D, fused: boolean): tf.Tensor2D {
  return tf.matMul(a, transpose2d(b, fused));
}

/** table[ids] + bias: a one-hot input times a kernel. table [V, K], bias [K] -> [N, K] */
export function gatherRowsAddBias(table: tf.Tensor2D, ids: Int32Array, bias: tf.Tensor, fused: boolean): tf.Tensor2D {
  if (fused) return runFused('SeqLabGatherRowsAddBias', [table, bias], { ids })[0] as tf.Tensor2D;
  return tf.add(tf.gather(table, tf.tensor1d(ids, 'int32')), bias);
}

/**
 * The gradient of `gather(table, ids)`: out[v] = sum of rows[i] where ids[i] = v.
 * ids [N], rows [N, K] -> [numRows, K].
 */
export function scatterAddRows(ids: Int32Array, rows: tf.Tensor2D, numRows: number, fused: boolean): tf.Tensor2D {
  if (fused) return runFused('SeqLabScatterAddRows', [rows], { ids, numRows })[0] as tf.Tensor2D;
  const [n, k] = rows.shape;
  const data = rows.dataSync() as Float32Array;
  const out = new Float32Array(numRows * k);
  for (let i = 0; i < n; i++) {
    const dst = ids[i] * k;
    const src = i * k;
    for (let j = 0; j < k; j++) out[dst + j] += data[src + j];
  }
  return tf.tensor2d(out, [numRows, k]);
}

/**
 * Mean softmax cross-entropy and its gradient with respect to the logits.
 * logits [N, V], targets [N] -> loss (scalar, nats/token), dLogits [N, V] = (softmax - onehot) / N.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: Int32Array): { loss: tf.Scalar; dLogits: tf.Tensor2D } {
  const [n, v] = logits.shape;
  const logp = tf.logSoftmax(logits);
  const onehot = tf.oneHot(tf.tensor1d(targets, 'int32'), v) as tf.Tensor2D;
  const loss = tf.div(tf.neg(tf.sum(tf.mul(logp, onehot))), n) as tf.Scalar;
  const dLogits = tf.div(tf.sub(tf.exp(logp), onehot), n) as tf.Tensor2D;
  return { loss, dLogits };
}

/** Sum over the batch of token cross-entropies (for validation): logits [N, V], targets [N] -> scalar. */
export function crossEntropySum(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  const onehot = tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]);
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), onehot))) as tf.Scalar;
}

/** Frobenius norm of each tensor in a list of same-shaped tensors, as one [count] tensor. */
export function norms(tensors: tf.Tensor[]): tf.Tensor1D {
  return tf.sqrt(
    tf.sum(
      tf.square(tf.stack(tensors)),
      tensors[0].shape.map((_, i) => i + 1),
    ),
  ) as tf.Tensor1D;
}
