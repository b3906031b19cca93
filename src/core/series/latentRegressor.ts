/**
 * RNN, GRU and LSTM regressors over a dense input x_t in R^d: one recurrent layer, then a dense head
 * predicting x_{t+1} from h_t (the mean, or the mean and log-variance of a Gaussian).
 *
 *   x_t [B, d] --(x W + b)--> cell(·, h_{t-1}) --> h_t [B, H] --(h Wy + by)--> x̂_{t+1}
 *
 * The cells are the language model's (cells.ts: they take x_t W + b precomputed, so a dense input
 * needs nothing new), and so is the backward pass: explicit backpropagation through time, t = W-1 .. 0,
 * which hands over dL/dh_t for the gradient-through-time map. Training windows start from a zero
 * state, and so does every forecast: from the last W true values (W = `context`), then its own
 * predictions fed back in.
 *
 * Shapes: B batch, W window, d components, H hidden, G gate blocks (1, 3 or 4); time-major rows t * B + b.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BackCarry, type Cell, type CellState, type CellWeights, cellFor } from '../cells';
import { glorotUniform, orthogonal } from '../init';
import { fusedAvailable, registerFusedKernels } from '../kernels/fusedKernels';
import { matMulNT, matMulTN, norms, transpose2d } from '../ops';
import { ParamStore } from '../params';
import type { Rng } from '../rng';
import type { NetworkRegressor, RegressionBatch, RegressorShape, StepOutput } from './networkRegressor';
import { headLoss, headWidth, splitHead } from './regressionHead';
import { readRollout, type Rollout } from './sequencePredictor';

type LatentKind = 'rnn' | 'gru' | 'lstm';

export class LatentRegressor implements NetworkRegressor {
  readonly params = new ParamStore();
  readonly dim: number;
  readonly context: number;
  private readonly cell: Cell<unknown>;
  private readonly fused: boolean;
  private readonly names: { kernel: string; recurrent: string; bias: string };

  constructor(
    readonly shape: RegressorShape,
    rng: Rng,
    implementation?: 'reference' | 'fused',
  ) {
    if (shape.kind === 'mlp') throw new Error('LatentRegressor needs a recurrent cell');
    registerFusedKernels();
    const impl = implementation ?? (fusedAvailable() ? 'fused' : 'reference');
    this.fused = impl === 'fused';
    this.cell = cellFor(shape.kind as LatentKind, impl);
    this.dim = shape.dim;
    this.context = shape.context;
    const { dim: D, hidden: H } = shape;
    const G = this.cell.gates;
    const prefix = `${this.cell.kerasName}_0`;
    this.names = { kernel: `${prefix}/kernel`, recurrent: `${prefix}/recurrent_kernel`, bias: `${prefix}/bias` };
    this.params.add(this.names.kernel, [D, G * H], glorotUniform(rng, D, G * H));
    this.params.add(this.names.recurrent, [H, G * H], orthogonal(rng, H, G * H));
    if (shape.kind === 'gru') this.params.add(this.names.bias, [2, G * H], new Float32Array(2 * G * H));
    else {
      const bias = new Float32Array(G * H);
      if (shape.kind === 'lstm') bias.fill(1, H, 2 * H); // forget gate open at the start, as the language model
      this.params.add(this.names.bias, [G * H], bias);
    }
    const O = headWidth(shape.head, D);
    this.params.add('dense/kernel', [H, O], glorotUniform(rng, H, O));
    this.params.add('dense/bias', [O], new Float32Array(O));
  }

  private w(name: string): tf.Tensor2D {
    return this.params.get(name) as tf.Tensor2D;
  }

  private inputBias(): tf.Tensor1D {
    const b = this.params.get(this.names.bias);
    return (this.shape.kind === 'gru' ? tf.reshape(tf.slice(b, [0, 0], [1, -1]), [-1]) : b) as tf.Tensor1D;
  }

  private cellWeights(): CellWeights {
    const U = this.w(this.names.recurrent);
    if (this.shape.kind !== 'gru') return { recurrent: U };
    return { recurrent: U, recurrentBias: tf.reshape(tf.slice(this.params.get(this.names.bias), [1, 0], [1, -1]), [-1]) as tf.Tensor1D };
  }

  /** One step of the cell from x [B, d]: the new state and what backward needs. */
  private step(x: tf.Tensor2D, s: CellState, w: CellWeights): { state: CellState; cache: unknown } {
    const xw = tf.add(tf.matMul(x, this.w(this.names.kernel)), this.inputBias()) as tf.Tensor2D;
    return this.cell.step(xw, 0, tf.matMul(s.h, w.recurrent), s, w);
  }

  private head(h: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(h, this.w('dense/kernel')), this.params.get('dense/bias'));
  }

  batchFrom(normalized: Float64Array, trainLength: number, rng: Rng, batch: number): RegressionBatch {
    const { dim: d, context: W } = this;
    const inputs = new Float32Array(W * batch * d);
    const targets = new Float32Array(W * batch * d);
    const starts = trainLength - W; // windows [s, s + W] lie inside the training part
    for (let b = 0; b < batch; b++) {
      const s = rng.int(starts);
      for (let t = 0; t < W; t++) {
        inputs.set(normalized.subarray((s + t) * d, (s + t + 1) * d), (t * batch + b) * d);
        targets.set(normalized.subarray((s + t + 1) * d, (s + t + 2) * d), (t * batch + b) * d);
      }
    }
    return { inputs, targets, batch };
  }

  /** Backpropagation through time, t = W-1 .. 0, from dAbove [W*B, H]: per step dxw, dhw and dL/dh_t. */
  private backThroughTime(caches: unknown[], dAbove: tf.Tensor2D, Ut: tf.Tensor2D, B: number) {
    const T = caches.length;
    const dxws: tf.Tensor2D[] = new Array(T);
    const dhws: tf.Tensor2D[] = new Array(T);
    const dhs: tf.Tensor2D[] = new Array(T);
    let carry: BackCarry = this.cell.zeroCarry(B, this.shape.hidden);
    for (let t = T - 1; t >= 0; t--) {
      const g = this.cell.backStep(caches[t], dAbove, t, carry);
      dxws[t] = g.dxw;
      dhws[t] = g.dhw;
      dhs[t] = g.dh;
      carry = { ...g.carry, dhRec: tf.matMul(g.dhw, Ut) };
    }
    return { dxws, dhws, dhs };
  }

  trainStep(batch: RegressionBatch, wantMap: boolean): StepOutput {
    const { dim: d, context: W } = this;
    const B = batch.batch;
    const H = this.shape.hidden;
    const X = tf.tensor2d(batch.inputs, [W * B, d]);
    const Y = tf.tensor2d(batch.targets, [W * B, d]);
    const w = this.cellWeights();
    // Forward: all input projections at once, then the loop over time.
    const xw = tf.add(tf.matMul(X, this.w(this.names.kernel)), this.inputBias()) as tf.Tensor2D;
    let s = this.cell.zeroState(B, H);
    const hs = [s.h];
    const caches: unknown[] = [];
    for (let t = 0; t < W; t++) {
      const r = this.cell.step(xw, t, tf.matMul(s.h, w.recurrent), s, w);
      s = r.state;
      hs.push(s.h);
      caches.push(r.cache);
    }
    const top = tf.concat(hs.slice(1), 0) as tf.Tensor2D; // [W*B, H]
    const out = this.head(top);
    const { loss, dOut } = headLoss(out, Y, this.shape.head);
    // Backward: the head, then through time.
    const Wy = this.w('dense/kernel');
    const Ut = transpose2d(w.recurrent, this.fused);
    const grads: Record<string, tf.Tensor> = {};
    grads['dense/kernel'] = matMulTN(top, dOut, this.fused);
    grads['dense/bias'] = tf.sum(dOut, 0);
    const { dxws, dhws, dhs } = this.backThroughTime(caches, matMulNT(dOut, Wy, this.fused), Ut, B);
    const dXW = tf.concat(dxws, 0) as tf.Tensor2D;
    const dHW = tf.concat(dhws, 0) as tf.Tensor2D;
    grads[this.names.recurrent] = matMulTN(tf.concat(hs.slice(0, W), 0) as tf.Tensor2D, dHW, this.fused);
    grads[this.names.bias] = this.shape.kind === 'gru' ? tf.stack([tf.sum(dXW, 0), tf.sum(dHW, 0)]) : tf.sum(dXW, 0);
    grads[this.names.kernel] = matMulTN(X, dXW, this.fused);
    if (!wantMap) return { loss, grads };
    // The last prediction's map: a second walk seeded only by the last step's loss.
    const lastOut = tf.slice(out, [(W - 1) * B, 0], [B, -1]) as tf.Tensor2D;
    const lastY = tf.slice(Y, [(W - 1) * B, 0], [B, -1]) as tf.Tensor2D;
    const dLast = matMulNT(headLoss(lastOut, lastY, this.shape.head).dOut, Wy, this.fused);
    const dAboveLast = W > 1 ? (tf.concat([tf.zeros([(W - 1) * B, H]), dLast], 0) as tf.Tensor2D) : dLast;
    const last = this.backThroughTime(caches, dAboveLast, Ut, B).dhs;
    return { loss, grads, map: { total: norms(dhs), last: norms(last) } };
  }

  rollout(contexts: Float64Array, n: number, steps: number): Rollout {
    const { dim: d, context: W } = this;
    const out = tf.tidy(() => {
      const w = this.cellWeights();
      // [N, W, d] -> time-major [W][N, d]
      const ctx = tf.unstack(tf.tensor3d(Float32Array.from(contexts), [n, W, d]), 1) as tf.Tensor2D[];
      let s = this.cell.zeroState(n, this.shape.hidden);
      for (const x of ctx) s = this.step(x, s, w).state;
      const means: tf.Tensor2D[] = [];
      const logVars: tf.Tensor2D[] = [];
      for (let k = 0; k < steps; k++) {
        const { mean, logVar } = splitHead(this.head(s.h), this.shape.head, d);
        means.push(mean);
        if (logVar) logVars.push(logVar);
        if (k + 1 < steps) s = this.step(mean, s, w).state;
      }
      return { mean: tf.stack(means), logVar: logVars.length ? tf.stack(logVars) : undefined };
    });
    return readRollout(out, steps, n * d);
  }

  dispose(): void {
    this.params.dispose();
  }
}
