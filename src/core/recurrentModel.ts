/**
 * A stacked recurrent language model (RNN, GRU or LSTM) with explicit backpropagation through time.
 *
 *   tokens x_t --(one-hot or embedding)--> layer 1 --> ... --> layer L --> dense --> logits --> softmax
 *
 * The backward pass is written out, as in min-char-rnn: dL/dh_t = (from the output or the layer above)
 * + dL/dh_{t+1} dh_{t+1}/dh_t, walked from t = T-1 down to 0. It is cheaper than autodiff through an
 * unrolled graph, and it hands us dL/dh_t for every t and layer: the gradient-through-time map.
 *
 * Shapes: B batch, T window, V vocabulary, E embedding size, H hidden, G gate blocks (1, 3 or 4).
 * Sequences are time-major: row (t * B + b).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../protocol/types';
import type { Batch } from './batches';
import { Cell, CellState, cellFor } from './cells';
import { glorotUniform, orthogonal, uniform } from './init';
import type { LanguageModel, ModelState, Predictor, StepResult } from './model';
import { crossEntropySum, matMulNT, matMulTN, norms, scatterAddRows, softmaxCrossEntropy } from './ops';
import { ParamStore } from './params';
import { Rng } from './rng';

interface LayerNames {
  kernel: string;
  recurrent: string;
  bias: string;
}

/** What the forward pass of one layer keeps for the backward pass. */
interface LayerTrace {
  /** Input of the layer: token ids (layer 0 without embedding) or activations [T*B, D]. */
  input: tf.Tensor2D | null;
  /** h_{-1}, h_0 .. h_{T-1}: T+1 states [B, H]. */
  hs: tf.Tensor2D[];
  caches: unknown[];
}

export class RecurrentModel implements LanguageModel {
  readonly params = new ParamStore();
  readonly prefix = 0;
  readonly mapRows: number;
  private readonly cell: Cell<unknown>;
  private readonly layers: LayerNames[] = [];
  private readonly embedding?: string;

  constructor(readonly config: TrainConfig, readonly vocabSize: number, rng: Rng) {
    if (config.cell === 'window') throw new Error('RecurrentModel needs a recurrent cell');
    this.cell = cellFor(config.cell);
    const { hidden: H, layers: L, embedding: E } = config;
    const G = this.cell.gates;
    const V = vocabSize;
    this.mapRows = L;
    if (E > 0) {
      this.embedding = 'embedding/embeddings';
      this.params.add(this.embedding, [V, E], uniform(rng, V * E, 0.05));
    }
    for (let l = 0; l < L; l++) {
      const D = l === 0 ? (E > 0 ? E : V) : H;
      const prefix = `${this.cell.kerasName}_${l}`;
      const names = { kernel: `${prefix}/kernel`, recurrent: `${prefix}/recurrent_kernel`, bias: `${prefix}/bias` };
      this.params.add(names.kernel, [D, G * H], glorotUniform(rng, D, G * H));
      this.params.add(names.recurrent, [H, G * H], orthogonal(rng, H, G * H));
      if (config.cell === 'gru') {
        this.params.add(names.bias, [2, G * H], new Float32Array(2 * G * H));
      } else {
        const bias = new Float32Array(G * H);
        // Keras's unit_forget_bias: start with the forget gate open (f ≈ σ(1)), so memory persists early on.
        if (config.cell === 'lstm') bias.fill(1, H, 2 * H);
        this.params.add(names.bias, [G * H], bias);
      }
      this.layers.push(names);
    }
    this.params.add('dense/kernel', [H, V], glorotUniform(rng, H, V));
    this.params.add('dense/bias', [V], new Float32Array(V));
  }

  initialState(batch: number): ModelState {
    return this.layers.map(() => this.cell.zeroState(batch, this.config.hidden));
  }

  // ---------------------------------------------------------------- forward

  /** Input projections xw_t = x_t W + b of one layer for all time steps: [T*B, G*H]. */
  private project(l: number, ids: Int32Array, below: tf.Tensor2D | null): { xw: tf.Tensor2D; input: tf.Tensor2D | null } {
    const W = this.params.get(this.layers[l].kernel) as tf.Tensor2D;
    const b = this.inputBias(l);
    if (below) return { xw: tf.add(tf.matMul(below, W), b), input: below };
    if (this.embedding) {
      const e = tf.gather(this.params.get(this.embedding), tf.tensor1d(ids, 'int32')) as tf.Tensor2D;
      return { xw: tf.add(tf.matMul(e, W), b), input: e };
    }
    // One-hot input: x_t W is row x_t of W, so a gather replaces the product.
    return { xw: tf.add(tf.gather(W, tf.tensor1d(ids, 'int32')), b) as tf.Tensor2D, input: null };
  }

  private inputBias(l: number): tf.Tensor {
    const b = this.params.get(this.layers[l].bias);
    return this.config.cell === 'gru' ? tf.slice(b, [0, 0], [1, -1]) : b;
  }

  private cellWeights(l: number): { recurrent: tf.Tensor2D; recurrentBias?: tf.Tensor2D } {
    const { recurrent, bias } = this.layers[l];
    const U = this.params.get(recurrent) as tf.Tensor2D;
    if (this.config.cell !== 'gru') return { recurrent: U };
    return { recurrent: U, recurrentBias: tf.slice(this.params.get(bias), [1, 0], [1, -1]) as tf.Tensor2D };
  }

  /**
   * Runs all layers over the window. `ids` [T*B] time-major. Returns the top layer's states and, per
   * layer, what backward needs. `probes[l][t]` (tests only) is added to h_t, so dL/dprobe = dL/dh_t.
   */
  private forward(ids: Int32Array, T: number, state: ModelState, probes?: tf.Tensor2D[][]): { top: tf.Tensor2D; traces: LayerTrace[]; finalState: ModelState } {
    const traces: LayerTrace[] = [];
    const finalState: ModelState = [];
    let below: tf.Tensor2D | null = null;
    for (let l = 0; l < this.layers.length; l++) {
      const { xw, input } = this.project(l, ids, below);
      const xws = tf.split(xw, T, 0) as tf.Tensor2D[]; // T x [B, G*H]
      const w = this.cellWeights(l);
      let s: CellState = state[l];
      const hs = [s.h];
      const caches: unknown[] = [];
      // The loop over time: h_t = cell(x_t, h_{t-1}).
      for (let t = 0; t < T; t++) {
        const { state: next, cache } = this.cell.step(xws[t], s, w);
        if (probes) next.h = tf.add(next.h, probes[l][t]);
        s = next;
        hs.push(s.h);
        caches.push(cache);
      }
      traces.push({ input, hs, caches });
      finalState.push(s);
      below = tf.concat(hs.slice(1), 0) as tf.Tensor2D; // [T*B, H]
    }
    return { top: below!, traces, finalState };
  }

  private logits(top: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(top, this.params.get('dense/kernel') as tf.Tensor2D), this.params.get('dense/bias'));
  }

  // ---------------------------------------------------------------- forward + backward

  trainStep(batch: Batch, state: ModelState | undefined, wantGradMap: boolean, probes?: tf.Tensor2D[][]): StepResult {
    const { batch: B, window: T } = batch;
    const init = state && batch.continues ? state : this.initialState(B);
    const { top, traces, finalState } = this.forward(batch.x, T, init, probes);
    const { loss, dLogits } = softmaxCrossEntropy(this.logits(top), batch.y);

    const grads: Record<string, tf.Tensor> = {};
    grads['dense/kernel'] = matMulTN(top, dLogits);
    grads['dense/bias'] = tf.sum(dLogits, 0);
    // dL/dh_t arriving from above, for every t: [T*B, H] split into T pieces.
    let dAbove = tf.split(matMulNT(dLogits, this.params.get('dense/kernel') as tf.Tensor2D), T, 0) as tf.Tensor2D[];
    const mapRows: tf.Tensor1D[] = [];

    for (let l = this.layers.length - 1; l >= 0; l--) {
      const { kernel, recurrent, bias } = this.layers[l];
      const { input, hs, caches } = traces[l];
      const w = this.cellWeights(l);
      const Ut = tf.transpose(w.recurrent) as tf.Tensor2D; // [G*H, H], once per pass (see ops.ts)
      const dxws: tf.Tensor2D[] = new Array(T);
      const dhws: tf.Tensor2D[] = new Array(T);
      const dhTotal: tf.Tensor2D[] = new Array(T);
      let dhNext: tf.Tensor2D | undefined;
      let dcNext: tf.Tensor2D | undefined;
      // Backpropagation through time: t = T-1 .. 0.
      for (let t = T - 1; t >= 0; t--) {
        const dh = dhNext ? (tf.add(dAbove[t], dhNext) as tf.Tensor2D) : dAbove[t]; // dL/dh_t
        dhTotal[t] = dh;
        const g = this.cell.backStep(caches[t], dh, dcNext);
        dxws[t] = g.dxw;
        dhws[t] = g.dhw;
        const dhPrev = tf.matMul(g.dhw, Ut) as tf.Tensor2D;
        dhNext = g.dhPrevDirect ? (tf.add(dhPrev, g.dhPrevDirect) as tf.Tensor2D) : dhPrev;
        dcNext = g.dcPrev;
      }
      if (wantGradMap) mapRows[l] = norms(dhTotal);

      const dXW = tf.concat(dxws, 0) as tf.Tensor2D; // [T*B, G*H]
      const dHW = tf.concat(dhws, 0) as tf.Tensor2D;
      const hPrev = tf.concat(hs.slice(0, T), 0) as tf.Tensor2D; // h_{t-1} for t = 0..T-1
      grads[recurrent] = matMulTN(hPrev, dHW);
      grads[bias] = this.config.cell === 'gru' ? tf.stack([tf.sum(dXW, 0), tf.sum(dHW, 0)]) : tf.sum(dXW, 0);
      const W = this.params.get(kernel) as tf.Tensor2D;
      if (input === null) {
        grads[kernel] = scatterAddRows(batch.x, dXW, this.vocabSize);
      } else {
        grads[kernel] = matMulTN(input, dXW);
        const dInput = matMulNT(dXW, W); // [T*B, D]
        if (l > 0) dAbove = tf.split(dInput, T, 0) as tf.Tensor2D[];
        else grads[this.embedding!] = scatterAddRows(batch.x, dInput, this.vocabSize);
      }
    }
    const hiddenGradNorms = wantGradMap ? (tf.stack(mapRows) as tf.Tensor2D) : undefined;
    return { loss, grads, hiddenGradNorms, finalState };
  }

  evaluate(batch: Batch): tf.Scalar {
    const { top } = this.forward(batch.x, batch.window, this.initialState(batch.batch));
    return crossEntropySum(this.logits(top), batch.y);
  }

  // ---------------------------------------------------------------- one token at a time

  predictor(): Predictor {
    let state: ModelState = this.initialState(1);
    return {
      feed: (token: number) => {
        const ids = Int32Array.of(token);
        const { logp, next } = tf.tidy(() => {
          let below: tf.Tensor2D | null = null;
          const next: ModelState = [];
          for (let l = 0; l < this.layers.length; l++) {
            const { xw } = this.project(l, ids, below);
            const s = this.cell.step(xw, state[l], this.cellWeights(l)).state;
            next.push(s);
            below = s.h;
          }
          return { logp: tf.logSoftmax(this.logits(below!)), next };
        });
        disposeState(state);
        state = next;
        const out = logp.dataSync() as Float32Array;
        logp.dispose();
        return out;
      },
      dispose: () => disposeState(state),
    };
  }

  dispose(): void {
    this.params.dispose();
  }
}

export function disposeState(state: ModelState | undefined): void {
  for (const s of state ?? []) {
    s.h.dispose();
    s.c?.dispose();
  }
}
