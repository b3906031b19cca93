/**
 * "Does the model use all past tokens?": the validation loss of a latent model when it sees only the
 * last k tokens before each prediction (its state starts from zero k steps back), for k = 1 up to the
 * training window. Where the curve flattens, tokens further back stopped helping; the gap between
 * k = 1 and the plateau is what the hidden state carries beyond a bigram.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from './batches';
import type { RecurrentModel } from './recurrentModel';

export interface ProbePoint {
  k: number;
  /** Mean cross-entropy of the predictions at the probed positions, nats/token. */
  loss: number;
}

/** 1, 2, 4, ... up to `window`, and `window` itself. */
export function probeLengths(window: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k < window; k *= 2) ks.push(k);
  ks.push(window);
  return ks;
}

/**
 * @param ids validation token ids
 * @param positions how many predictions to average, spread evenly over the split (the same positions for every k)
 */
export function contextProbe(model: RecurrentModel, ids: Int32Array, ks: readonly number[], positions = 512, rowsPerBatch = 64): ProbePoint[] {
  const maxK = Math.max(...ks);
  const available = ids.length - maxK;
  if (available < 1) throw new Error(`the validation text (${ids.length} tokens) is shorter than the longest probe (${maxK})`);
  const n = Math.min(positions, available);
  // Predicted positions p (the target is ids[p]), each with at least maxK tokens before it.
  const targets = Array.from({ length: n }, (_, i) => maxK + Math.floor((i * available) / n));
  return ks.map((k) => {
    let sum = 0;
    for (let r0 = 0; r0 < n; r0 += rowsPerBatch) {
      const rows = targets.slice(r0, r0 + rowsPerBatch);
      const B = rows.length;
      // Time-major: x[t][b] = ids[p_b - k + t], y[t][b] = ids[p_b - k + t + 1]; the last y is ids[p_b].
      const x = new Int32Array(k * B);
      const y = new Int32Array(k * B);
      for (let t = 0; t < k; t++) {
        for (let b = 0; b < B; b++) {
          x[t * B + b] = ids[rows[b] - k + t];
          y[t * B + b] = ids[rows[b] - k + t + 1];
        }
      }
      const batch: Batch = { x, y, batch: B, window: k, prefix: 0, continues: false };
      sum += tf.tidy(() => model.evaluateLast(batch).dataSync()[0]);
    }
    return { k, loss: sum / n };
  });
}
