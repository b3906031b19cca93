/**
 * The fixed-window autoregressive baseline of the d2l chapter: predict x_{t+1} from the last tau
 * tokens only, with a one-hidden-layer MLP. No state is carried: whatever lies further back than tau
 * tokens is invisible to it, which is the point of comparing it with the latent-variable models.
 *
 *   [x_{t-tau+1} .. x_t] --(one-hot or embedding, concatenated)--> dense_hidden (tanh) --> dense --> logits
 *
 * Shapes: B batch, T window, K = tau context positions, V vocabulary, E embedding, H hidden units.
 * Inputs arrive time-major with K-1 prefix rows, so context position k (0 = oldest) of every target
 * is the contiguous slice x[k*B, (k+T)*B).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../protocol/types';
import type { Batch } from './batches';
import { glorotUniform, uniform } from './init';
import type { LanguageModel, Predictor, StepResult } from './model';
import { fusedAvailable, registerFusedKernels } from './kernels/fusedKernels';
import { crossEntropySum, matMulNT, matMulTN, scatterAddRows, softmaxCrossEntropy } from './ops';
import { Implementation, LAST_STEP_ROWS } from './recurrentModel';
import { ParamStore } from './params';
import { Rng } from './rng';

const EMBEDDING = 'embedding/embeddings';
const W1 = 'dense_hidden/kernel';
const B1 = 'dense_hidden/bias';
const W2 = 'dense/kernel';
const B2 = 'dense/bias';

export class WindowModel implements LanguageModel {
  readonly params = new ParamStore();
  readonly prefix: number;
  readonly mapRows = 1;
  private readonly tau: number;
  /** Width of one context position's input vector: V (one-hot) or E. */
  private readonly width: number;
  readonly implementation: Implementation;
  private readonly fused: boolean;

  constructor(
    readonly config: TrainConfig,
    readonly vocabSize: number,
    rng: Rng,
    implementation?: Implementation,
  ) {
    registerFusedKernels();
    this.implementation = implementation ?? (fusedAvailable() ? 'fused' : 'reference');
    this.fused = this.implementation === 'fused';
    const { tau, hidden: H, embedding: E } = config;
    const V = vocabSize;
    this.tau = tau;
    this.prefix = tau - 1;
    this.width = E > 0 ? E : V;
    if (E > 0) this.params.add(EMBEDDING, [V, E], uniform(rng, V * E, 0.05));
    this.params.add(W1, [tau * this.width, H], glorotUniform(rng, tau * this.width, H));
    this.params.add(B1, [H], new Float32Array(H));
    this.params.add(W2, [H, V], glorotUniform(rng, H, V));
    this.params.add(B2, [V], new Float32Array(V));
  }

  /** Ids of context position k for all T*B targets. */
  private positionIds(x: Int32Array, k: number, B: number, T: number): Int32Array {
    return x.subarray(k * B, (k + T) * B);
  }

  /** Row indices into dense_hidden/kernel of the one-hot inputs: k*V + id, all positions. [K*T*B] */
  private oneHotRows(x: Int32Array, B: number, T: number): Int32Array {
    const n = T * B;
    const rows = new Int32Array(this.tau * n);
    for (let k = 0; k < this.tau; k++) {
      const ids = this.positionIds(x, k, B, T);
      for (let i = 0; i < n; i++) rows[k * n + i] = k * this.vocabSize + ids[i];
    }
    return rows;
  }

  private kernelBlock(k: number): tf.Tensor2D {
    return tf.slice(this.params.get(W1) as tf.Tensor2D, [k * this.width, 0], [this.width, -1]);
  }

  /** Hidden pre-activations [T*B, H]; `input` is the concatenated embeddings when E > 0. probes[k]: [T*B, width]. */
  private preActivation(x: Int32Array, B: number, T: number, probes?: tf.Tensor2D[]): { pre: tf.Tensor2D; input?: tf.Tensor2D; rows?: Int32Array } {
    const b1 = this.params.get(B1);
    if (this.config.embedding > 0) {
      const table = this.params.get(EMBEDDING);
      const chunks = Array.from({ length: this.tau }, (_, k) => {
        const e = tf.gather(table, tf.tensor1d(this.positionIds(x, k, B, T), 'int32')) as tf.Tensor2D;
        return probes ? tf.add(e, probes[k]) : e;
      });
      const input = tf.concat(chunks, 1) as tf.Tensor2D; // [T*B, K*E]
      return { pre: tf.add(tf.matMul(input, this.params.get(W1) as tf.Tensor2D), b1), input };
    }
    // One-hot: onehot_k W1_k is a row of W1, so the product over all positions is one gather and a sum.
    const rows = this.oneHotRows(x, B, T);
    const gathered = tf.reshape(tf.gather(this.params.get(W1), tf.tensor1d(rows, 'int32')), [this.tau, T * B, -1]);
    let pre = tf.add(tf.sum(gathered, 0), b1) as tf.Tensor2D;
    if (probes) probes.forEach((p, k) => (pre = tf.add(pre, tf.matMul(p, this.kernelBlock(k)))));
    return { pre, rows };
  }

  private logits(a: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(a, this.params.get(W2) as tf.Tensor2D), this.params.get(B2));
  }

  trainStep(batch: Batch, _state: undefined, wantGradMap: boolean, probes?: tf.Tensor2D[][], lastStep = true): StepResult {
    const { batch: B, window: T } = batch;
    const { pre, input, rows } = this.preActivation(batch.x, B, T, probes?.[0]);
    const a = tf.tanh(pre) as tf.Tensor2D;
    const logits = this.logits(a);
    const { loss, dLogits } = softmaxCrossEntropy(logits, batch.y);

    const grads: Record<string, tf.Tensor> = {};
    grads[W2] = matMulTN(a, dLogits, this.fused);
    grads[B2] = tf.sum(dLogits, 0);
    const dPre = tf.mul(matMulNT(dLogits, this.params.get(W2) as tf.Tensor2D, this.fused), tf.sub(1, tf.square(a))) as tf.Tensor2D;
    grads[B1] = tf.sum(dPre, 0);
    let dInputs: tf.Tensor2D[] | undefined; // dL/dx_k per context position [T*B, width]
    if (input) {
      grads[W1] = matMulTN(input, dPre, this.fused);
      dInputs = tf.split(matMulNT(dPre, this.params.get(W1) as tf.Tensor2D, this.fused), this.tau, 1) as tf.Tensor2D[];
      const ids = new Int32Array(this.tau * T * B);
      for (let k = 0; k < this.tau; k++) ids.set(this.positionIds(batch.x, k, B, T), k * T * B);
      grads[EMBEDDING] = scatterAddRows(ids, tf.concat(dInputs, 0) as tf.Tensor2D, this.vocabSize, this.fused);
    } else {
      grads[W1] = scatterAddRows(rows!, tf.tile(dPre, [this.tau, 1]) as tf.Tensor2D, this.tau * this.width, this.fused);
      if (wantGradMap) dInputs = Array.from({ length: this.tau }, (_, k) => matMulNT(dPre, this.kernelBlock(k), this.fused));
    }
    if (!wantGradMap) return { loss, grads };
    const positionNorms = (ds: tf.Tensor2D[]) => tf.reshape(tf.stack(ds.map((d) => tf.norm(d))), [1, this.tau]) as tf.Tensor2D;
    if (!lastStep) return { loss, grads, totalGradNorms: positionNorms(dInputs!) };
    // The last prediction's map, on the first LAST_STEP_ROWS sequences as for the recurrent models:
    // the last step's rows of dPre, rescaled from the mean over T*B targets to the mean over r.
    const r = Math.min(B, LAST_STEP_ROWS);
    const lastRows = (x: tf.Tensor2D) => tf.slice(x, [(T - 1) * B, 0], [r, -1]) as tf.Tensor2D;
    const dPreLast = tf.mul(lastRows(dPre), (T * B) / r) as tf.Tensor2D;
    const dInputsLast = input
      ? (tf.split(matMulNT(dPreLast, this.params.get(W1) as tf.Tensor2D, this.fused), this.tau, 1) as tf.Tensor2D[])
      : Array.from({ length: this.tau }, (_, k) => matMulNT(dPreLast, this.kernelBlock(k), this.fused));
    return {
      loss,
      grads,
      totalGradNorms: positionNorms(dInputs!),
      lastStepGradNorms: positionNorms(dInputsLast),
      lastStepLoss: tf.div(crossEntropySum(lastRows(logits), batch.y.subarray((T - 1) * B, (T - 1) * B + r)), r) as tf.Scalar,
    };
  }

  evaluate(batch: Batch): tf.Scalar {
    const { pre } = this.preActivation(batch.x, batch.batch, batch.window);
    return crossEntropySum(this.logits(tf.tanh(pre)), batch.y);
  }

  /** Keeps the last tau tokens; positions before the first token are `<unk>` (id 0). */
  predictor(initial?: Int32Array): Predictor {
    const context = initial ?? new Int32Array(this.tau);
    return {
      feed: (token: number) => {
        context.copyWithin(0, 1);
        context[this.tau - 1] = token;
        const logp = tf.tidy(() => tf.logSoftmax(this.logits(tf.tanh(this.preActivation(context, 1, 1).pre))));
        const out = logp.dataSync() as Float32Array;
        logp.dispose();
        return out;
      },
      fork: () => this.predictor(context.slice()),
      dispose: () => undefined,
    };
  }

  dispose(): void {
    this.params.dispose();
  }
}
