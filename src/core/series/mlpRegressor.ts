/**
 * The MLP over tau lags: x̂_t = tanh([x_{t-tau} .. x_{t-1}] W1 + b1) W2 + b2 (the Gaussian head adds a
 * log-variance per component). Its backward pass is written out like the recurrent models'; its
 * "gradient through time" is how much each lag matters: ‖∂L/∂x_{t-i}‖ for i = tau .. 1.
 *
 * Shapes: B batch, tau lags, d components, H hidden.
 */
import * as tf from '@tensorflow/tfjs-core';
import { glorotUniform } from '../init';
import { ParamStore } from '../params';
import type { Rng } from '../rng';
import type { NetworkRegressor, RegressionBatch, RegressorShape, StepOutput } from './networkRegressor';
import { headLoss, headWidth, splitHead } from './regressionHead';
import { readRollout, type Rollout } from './sequencePredictor';

export class MlpRegressor implements NetworkRegressor {
  readonly params = new ParamStore();
  readonly dim: number;
  readonly context: number;

  constructor(
    readonly shape: RegressorShape,
    rng: Rng,
  ) {
    this.dim = shape.dim;
    this.context = shape.context;
    const width = shape.context * shape.dim;
    const O = headWidth(shape.head, shape.dim);
    this.params.add('hidden/kernel', [width, shape.hidden], glorotUniform(rng, width, shape.hidden));
    this.params.add('hidden/bias', [shape.hidden], new Float32Array(shape.hidden));
    this.params.add('dense/kernel', [shape.hidden, O], glorotUniform(rng, shape.hidden, O));
    this.params.add('dense/bias', [O], new Float32Array(O));
  }

  private w(name: string): tf.Tensor2D {
    return this.params.get(name) as tf.Tensor2D;
  }

  private forward(X: tf.Tensor2D): { h: tf.Tensor2D; out: tf.Tensor2D } {
    const h = tf.tanh(tf.add(tf.matMul(X, this.w('hidden/kernel')), this.params.get('hidden/bias'))) as tf.Tensor2D;
    return { h, out: tf.add(tf.matMul(h, this.w('dense/kernel')), this.params.get('dense/bias')) };
  }

  batchFrom(normalized: Float64Array, trainLength: number, rng: Rng, batch: number): RegressionBatch {
    const { dim: d, context: tau } = this;
    const inputs = new Float32Array(batch * tau * d);
    const targets = new Float32Array(batch * d);
    for (let b = 0; b < batch; b++) {
      const t = tau + rng.int(trainLength - tau); // a target inside the training part
      inputs.set(normalized.subarray((t - tau) * d, t * d), b * tau * d);
      targets.set(normalized.subarray(t * d, (t + 1) * d), b * d);
    }
    return { inputs, targets, batch };
  }

  trainStep(batch: RegressionBatch, wantMap: boolean): StepOutput {
    const { dim: d, context: tau } = this;
    const B = batch.batch;
    const X = tf.tensor2d(batch.inputs, [B, tau * d]);
    const { h, out } = this.forward(X);
    const { loss, dOut } = headLoss(out, tf.tensor2d(batch.targets, [B, d]), this.shape.head);
    const dH = tf.matMul(dOut, this.w('dense/kernel'), false, true);
    const dA = tf.mul(dH, tf.sub(1, tf.square(h))) as tf.Tensor2D; // through tanh
    const grads: Record<string, tf.Tensor> = {
      'hidden/kernel': tf.matMul(X, dA, true, false),
      'hidden/bias': tf.sum(dA, 0),
      'dense/kernel': tf.matMul(h, dOut, true, false),
      'dense/bias': tf.sum(dOut, 0),
    };
    if (!wantMap) return { loss, grads };
    // ∂L/∂x_{t-i}: the input gradient, one norm per lag (oldest first).
    const dX = tf.reshape(tf.matMul(dA, this.w('hidden/kernel'), false, true), [B, tau, d]);
    const perLag = tf.sqrt(tf.sum(tf.square(dX), [0, 2])) as tf.Tensor1D;
    return { loss, grads, map: { total: perLag, last: tf.clone(perLag) } };
  }

  rollout(contexts: Float64Array, n: number, steps: number): Rollout {
    const { dim: d, context: tau } = this;
    const out = tf.tidy(() => {
      let window = tf.tensor2d(Float32Array.from(contexts), [n, tau * d]);
      const means: tf.Tensor2D[] = [];
      const logVars: tf.Tensor2D[] = [];
      for (let k = 0; k < steps; k++) {
        const { mean, logVar } = splitHead(this.forward(window).out, this.shape.head, d);
        means.push(mean);
        if (logVar) logVars.push(logVar);
        if (k + 1 < steps) window = tau > 1 ? (tf.concat([tf.slice(window, [0, d], [-1, -1]), mean], 1) as tf.Tensor2D) : mean;
      }
      return { mean: tf.stack(means), logVar: logVars.length ? tf.stack(logVars) : undefined };
    });
    return readRollout(out, steps, n * d);
  }

  dispose(): void {
    this.params.dispose();
  }
}
