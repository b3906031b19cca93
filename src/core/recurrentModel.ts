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
import { BackCarry, Cell, CellState, CellWeights, cellFor } from './cells';
import { glorotUniform, orthogonal, uniform } from './init';
import { fusedAvailable, registerFusedKernels } from './kernels/fusedKernels';
import { SimdRecurrence } from './kernels/simdLayers';
import { simdKernels } from './kernels/simdModule';
import type { LanguageModel, ModelState, Predictor, StepResult } from './model';
import { crossEntropySum, gatherRowsAddBias, matMulNT, matMulTN, norms, scatterAddRows, softmaxCrossEntropy, transpose2d } from './ops';
import { ParamStore } from './params';
import { Rng } from './rng';

/** tfjs ops; fused kernels per time step; our WebAssembly SIMD kernels for each layer's whole pass (kernels/simdLayers.ts). */
export type Implementation = 'reference' | 'fused' | 'simd';

/** The default: SIMD kernels where they load and tensors live in this process (wasm, cpu), else fused kernels there, else tfjs ops. */
export function defaultImplementation(): Implementation {
  if (!fusedAvailable()) return 'reference';
  return simdKernels() ? 'simd' : 'fused';
}

/** Sequences of a batch on which the last prediction's gradient map is measured. */
export const LAST_STEP_ROWS = 8;

/** The first r rows of every tensor of a step cache. */
function firstRows(cache: Record<string, tf.Tensor2D>, r: number): Record<string, tf.Tensor2D> {
  return Object.fromEntries(Object.entries(cache).map(([k, t]) => [k, tf.slice(t, [0, 0], [r, -1])]));
}

interface LayerNames {
  kernel: string;
  recurrent: string;
  bias: string;
}

/** What the forward pass of one layer keeps for the backward pass. */
interface LayerTrace {
  /** Input of the layer [T*B, D], or null for one-hot token ids (layer 0 without embedding). */
  input: tf.Tensor2D | null;
  /** h_{-1}, h_0 .. h_{T-1}: T+1 states [B, H]. */
  hs: tf.Tensor2D[];
  caches: unknown[];
}

export class RecurrentModel implements LanguageModel {
  readonly params = new ParamStore();
  readonly prefix = 0;
  readonly mapRows: number;
  readonly implementation: Implementation;
  private readonly fused: boolean;
  private simd?: SimdRecurrence;
  private readonly cell: Cell<unknown>;
  private readonly layers: LayerNames[] = [];
  private readonly embedding?: string;

  /** `implementation` defaults to fused kernels where the backend runs them. */
  constructor(
    readonly config: TrainConfig,
    readonly vocabSize: number,
    rng: Rng,
    implementation?: Implementation,
  ) {
    if (config.cell === 'window') throw new Error('RecurrentModel needs a recurrent cell');
    registerFusedKernels();
    // The SIMD kernels implement the tanh recurrence; a ReLU RNN runs on the fused cells.
    const simdCell = (config.activation ?? 'tanh') === 'tanh';
    this.implementation = implementation ?? (simdCell ? defaultImplementation() : fusedAvailable() ? 'fused' : 'reference');
    if (this.implementation === 'simd' && !simdCell) throw new Error('the WebAssembly SIMD kernels implement tanh recurrences only');
    this.fused = this.implementation !== 'reference';
    // The SIMD kernels run whole passes; one step at a time (sampling, tracing, probes) uses the fused cells.
    this.cell = cellFor(config.cell, this.fused ? 'fused' : 'reference', config.activation);
    if (this.implementation === 'simd') {
      const kernels = simdKernels();
      if (!kernels) throw new Error('the WebAssembly SIMD kernels are not available in this runtime');
      this.simd = new SimdRecurrence(kernels, config.cell, config.hidden);
    }
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

  /** Runs each layer's pass on two threads sharing the kernels' memory (parallel/kernelPool.ts). False where that cannot be. */
  useKernelThreads(): boolean {
    if (!this.simd) return false;
    const two = new SimdRecurrence(this.simd.kernels, this.config.cell as 'rnn' | 'gru' | 'lstm', this.config.hidden, 2);
    if (two.threads === 2) this.simd = two;
    return two.threads === 2;
  }

  initialState(batch: number): ModelState {
    return this.layers.map(() => this.cell.zeroState(batch, this.config.hidden));
  }

  // ---------------------------------------------------------------- forward

  private weight(name: string): tf.Tensor2D {
    return this.params.get(name) as tf.Tensor2D;
  }

  /** Input projections xw_t = x_t W + b of one layer for all time steps at once: [T*B, G*H]. */
  private project(l: number, ids: Int32Array, below: tf.Tensor2D | null): { xw: tf.Tensor2D; input: tf.Tensor2D | null } {
    const W = this.weight(this.layers[l].kernel);
    const b = this.inputBias(l);
    if (below) return { xw: tf.add(tf.matMul(below, W), b), input: below };
    if (this.embedding) {
      const e = gatherRowsAddBias(this.weight(this.embedding), ids, tf.zeros([this.config.embedding]), this.fused);
      return { xw: tf.add(tf.matMul(e, W), b), input: e };
    }
    // One-hot input: x_t W is row x_t of W, so a gather replaces the product.
    return { xw: gatherRowsAddBias(W, ids, b, this.fused), input: null };
  }

  private inputBias(l: number): tf.Tensor1D {
    const b = this.params.get(this.layers[l].bias);
    return (this.config.cell === 'gru' ? tf.reshape(tf.slice(b, [0, 0], [1, -1]), [-1]) : b) as tf.Tensor1D;
  }

  private cellWeights(l: number): CellWeights {
    const { recurrent, bias } = this.layers[l];
    const U = this.weight(recurrent);
    if (this.config.cell !== 'gru') return { recurrent: U };
    return { recurrent: U, recurrentBias: tf.reshape(tf.slice(this.params.get(bias), [1, 0], [1, -1]), [-1]) as tf.Tensor1D };
  }

  /**
   * Runs all layers over the window. `ids` [T*B] time-major. Returns the top layer's states [T*B, H]
   * and, per layer, what backward needs. `probes[l][t]` (tests only) is added to h_t, so
   * dL/dprobe = dL/dh_t. `finalState` is the state after `carryAt` steps (default: all T).
   */
  private forward(
    ids: Int32Array,
    T: number,
    state: ModelState,
    probes?: tf.Tensor2D[][],
    carryAt = T,
    simd = this.simd,
  ): { top: tf.Tensor2D; traces: LayerTrace[]; finalState: ModelState } {
    const traces: LayerTrace[] = [];
    const finalState: ModelState = [];
    let below: tf.Tensor2D | null = null;
    simd?.begin();
    for (let l = 0; l < this.layers.length; l++) {
      if (simd) {
        // The whole layer in one kernel call; its caches stay in the kernels' memory for the backward pass.
        const oneHot = below === null && !this.embedding;
        const { xw, input } = oneHot ? { xw: undefined, input: null } : this.project(l, ids, below);
        const w = this.cellWeights(l);
        const source = xw ? { xw } : { table: this.weight(this.layers[l].kernel), ids, bias: this.inputBias(l) };
        const r = simd.forward(l, source, w.recurrent, w.recurrentBias, state[l], T);
        traces.push({ input, hs: [], caches: [] });
        finalState.push(r.final);
        below = r.hs;
        continue;
      }
      const { xw, input } = this.project(l, ids, below);
      const w = this.cellWeights(l);
      let s: CellState = state[l];
      const hs = [s.h];
      const caches: unknown[] = [];
      // The loop over time: h_t = cell(x_t, h_{t-1}), with the recurrent product h_{t-1} U made here.
      for (let t = 0; t < T; t++) {
        const hU = tf.matMul(s.h, w.recurrent) as tf.Tensor2D;
        const { state: next, cache } = this.cell.step(xw, t, hU, s, w);
        if (probes) next.h = tf.add(next.h, probes[l][t]);
        s = next;
        hs.push(s.h);
        caches.push(cache);
        if (t === carryAt - 1) finalState.push(s);
      }
      traces.push({ input, hs, caches });
      below = tf.concat(hs.slice(1), 0) as tf.Tensor2D; // [T*B, H]
    }
    return { top: below!, traces, finalState };
  }

  private logits(top: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(top, this.weight('dense/kernel')), this.params.get('dense/bias'));
  }

  // ---------------------------------------------------------------- forward + backward

  /**
   * Backpropagation through time in one layer, t = T-1 .. 0: given dAbove [T*B, H], the gradient
   * reaching each h_t from above, returns per step the pre-activation gradients and dL/dh_t.
   */
  private backThroughTime(caches: unknown[], dAbove: tf.Tensor2D, Ut: tf.Tensor2D, B: number, T: number) {
    const dxws: tf.Tensor2D[] = new Array(T);
    const dhws: tf.Tensor2D[] = new Array(T);
    const dhs: tf.Tensor2D[] = new Array(T);
    // LSTM: dL/dc_t through c_{t+1} (the carry into step t; zero at the last step): with dL/dh_t, the
    // gradient with respect to the state (h_t, c_t) that step t hands on.
    const dcs: tf.Tensor2D[] = new Array(T);
    let carry: BackCarry = this.cell.zeroCarry(B, this.config.hidden);
    for (let t = T - 1; t >= 0; t--) {
      if (carry.dc) dcs[t] = carry.dc;
      const g = this.cell.backStep(caches[t], dAbove, t, carry);
      dxws[t] = g.dxw;
      dhws[t] = g.dhw;
      dhs[t] = g.dh; // dL/dh_t: from above plus from step t+1
      carry = { ...g.carry, dhRec: tf.matMul(g.dhw, Ut) };
    }
    return { dxws, dhws, dhs, dcs: carry.dc ? dcs : undefined };
  }

  trainStep(batch: Batch, state: ModelState | undefined, wantGradMap: boolean, probes?: tf.Tensor2D[][], lastStep = true): StepResult {
    const { batch: B, window: T } = batch;
    const fused = this.fused;
    const init = state && batch.continues ? state : this.initialState(B);
    // Kept windows (keepGraph) carry no loss: only the newest window's predictions are scored.
    const from = batch.lossFrom ?? 0;
    // Probes (tests) and kept windows (keepGraph: a state carried from mid-window) go through the step-by-step cells.
    const simd = probes || from || (batch.carryAt !== undefined && batch.carryAt !== T) ? undefined : this.simd;
    const { top: all, traces, finalState } = this.forward(batch.x, T, init, probes, batch.carryAt, simd);
    const top = from ? (tf.slice(all, [from * B, 0], [-1, -1]) as tf.Tensor2D) : all;
    const logits = this.logits(top);
    const { loss, dLogits } = softmaxCrossEntropy(logits, from ? batch.y.subarray(from * B) : batch.y);
    const Wy = this.weight('dense/kernel');
    const Uts = simd ? [] : this.layers.map((layer) => transpose2d(this.weight(layer.recurrent), fused)); // [G*H, H], once per pass

    const grads: Record<string, tf.Tensor> = {};
    grads['dense/kernel'] = matMulTN(top, dLogits, fused);
    grads['dense/bias'] = tf.sum(dLogits, 0);
    // dL/dh_t arriving from above for every t, [T*B, H]: from the output layer, then from layer l+1.
    let dAbove = matMulNT(dLogits, Wy, fused);
    if (from) dAbove = tf.concat([tf.zeros([from * B, this.config.hidden]), dAbove], 0) as tf.Tensor2D;
    const totalRows: tf.Tensor1D[] = [];

    for (let l = this.layers.length - 1; l >= 0; l--) {
      const { kernel, recurrent, bias } = this.layers[l];
      const { input, hs, caches } = traces[l];
      let dXW: tf.Tensor2D | undefined; // [T*B, G*H]
      if (simd) {
        const g = simd.backward(l, dAbove.dataSync() as Float32Array, B, true, input === null ? { ids: batch.x, V: this.vocabSize } : undefined);
        if (wantGradMap) totalRows[l] = g.dhNorms;
        [grads[recurrent], grads[bias], dXW] = [g.dU!, g.dBias!, g.dXW];
        if (g.dKernel) grads[kernel] = g.dKernel;
      } else {
        const { dxws, dhws, dhs } = this.backThroughTime(caches, dAbove, Uts[l], B, T);
        if (wantGradMap) totalRows[l] = norms(dhs);
        dXW = tf.concat(dxws, 0) as tf.Tensor2D;
        const dHW = tf.concat(dhws, 0) as tf.Tensor2D;
        const hPrev = tf.concat(hs.slice(0, T), 0) as tf.Tensor2D; // h_{t-1} for t = 0..T-1
        grads[recurrent] = matMulTN(hPrev, dHW, fused);
        grads[bias] = this.config.cell === 'gru' ? tf.stack([tf.sum(dXW, 0), tf.sum(dHW, 0)]) : tf.sum(dXW, 0);
        if (input === null) grads[kernel] = scatterAddRows(batch.x, dXW, this.vocabSize, fused);
      }
      if (input !== null && dXW) {
        grads[kernel] = matMulTN(input, dXW, fused);
        const dInput = matMulNT(dXW, this.weight(kernel), fused); // [T*B, D]
        if (l > 0) dAbove = dInput;
        else grads[this.embedding!] = scatterAddRows(batch.x, dInput, this.vocabSize, fused);
      }
    }
    if (!wantGradMap) return { loss, grads, finalState };
    const totalGradNorms = tf.stack(totalRows) as tf.Tensor2D;
    return lastStep ? { loss, grads, finalState, totalGradNorms, ...this.lastStepMap(logits, traces, Uts, batch, simd) } : { loss, grads, finalState, totalGradNorms };
  }

  /**
   * The map of the window's last prediction: a second walk back through time, seeded only by the
   * last step's loss, through the same cached activations, with no weight gradients. It runs on the
   * first LAST_STEP_ROWS sequences of the batch (their ℓ_T is the mean of their last losses): the
   * walk's cost is a matrix product per step, and over the whole batch it would add a quarter to a
   * step; over eight sequences the profile is as clear and the cost a few percent.
   */
  private lastStepMap(
    logits: tf.Tensor2D,
    traces: LayerTrace[],
    Uts: tf.Tensor2D[],
    batch: Batch,
    simd: SimdRecurrence | undefined,
  ): { lastStepGradNorms: tf.Tensor2D; lastStepCellGradNorms?: tf.Tensor2D; lastStepLoss: tf.Scalar } {
    const { batch: B, window: T } = batch;
    const { hidden: H } = this.config;
    const r = Math.min(B, LAST_STEP_ROWS);
    // `logits` holds the scored steps only (from lossFrom on); the last is the window's last either way.
    const lastLogits = tf.slice(logits, [logits.shape[0] - B, 0], [r, -1]) as tf.Tensor2D;
    const targets = batch.y.subarray((T - 1) * B, (T - 1) * B + r);
    const { loss: lastStepLoss, dLogits: dLast } = softmaxCrossEntropy(lastLogits, targets);
    let dAbove = tf.concat([tf.zeros([(T - 1) * r, H]), matMulNT(dLast, this.weight('dense/kernel'), this.fused)], 0) as tf.Tensor2D; // [T*r, H]
    const rows: tf.Tensor1D[] = [];
    const cellRows: tf.Tensor1D[] = [];
    for (let l = this.layers.length - 1; l >= 0; l--) {
      if (simd) {
        const g = simd.backward(l, dAbove.dataSync() as Float32Array, r, false);
        rows[l] = g.dhNorms;
        if (g.dcNorms) cellRows[l] = g.dcNorms;
        if (l > 0) dAbove = matMulNT(g.dXW!, this.weight(this.layers[l].kernel), this.fused);
        continue;
      }
      // Fused kernels read the first r rows of each cache in place; the reference cells get slices.
      const caches = this.fused ? traces[l].caches : traces[l].caches.map((c) => firstRows(c as Record<string, tf.Tensor2D>, r));
      const { dxws, dhs, dcs } = this.backThroughTime(caches, dAbove, Uts[l], r, T);
      rows[l] = norms(dhs);
      if (dcs) cellRows[l] = norms(dcs);
      if (l > 0) dAbove = matMulNT(tf.concat(dxws, 0) as tf.Tensor2D, this.weight(this.layers[l].kernel), this.fused);
    }
    const cells = cellRows.length ? { lastStepCellGradNorms: tf.stack(cellRows) as tf.Tensor2D } : {};
    return { lastStepGradNorms: tf.stack(rows) as tf.Tensor2D, ...cells, lastStepLoss };
  }

  evaluate(batch: Batch): tf.Scalar {
    const { top } = this.forward(batch.x, batch.window, this.initialState(batch.batch));
    return crossEntropySum(this.logits(top), batch.y);
  }

  /**
   * Every layer's states over a text, for inspecting hidden units: h_t, and c_t and the gates for an
   * LSTM (i, f, g, o) or a GRU (z, r, n). One sequence from a zero state; the arrays are [T, H] and
   * [T, G*H], row-major. Call outside tf.tidy (it reads the values out and disposes the tensors).
   */
  trace(ids: Int32Array): { h: Float32Array; c?: Float32Array; gates?: Float32Array }[] {
    return tf.tidy(() => {
      const { traces } = this.forward(ids, ids.length, this.initialState(1), undefined, undefined); // the step-by-step cells keep every gate
      return traces.map((tr) => {
        const h = (tf.concat(tr.hs.slice(1), 0).dataSync() as Float32Array).slice();
        const caches = tr.caches as Record<string, tf.Tensor2D>[];
        if (this.config.cell === 'lstm') {
          // c_t = f ⊙ c_{t-1} + i ⊙ g, recomputed from the cached gates (the cache keeps c_{t-1} and tanh c_t).
          const acts = tf.concat(
            caches.map((k) => k.acts),
            0,
          );
          const [i, f, g] = tf.split(acts, 4, 1);
          const cPrev = tf.concat(
            caches.map((k) => k.cPrev),
            0,
          );
          const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g));
          return { h, c: (c.dataSync() as Float32Array).slice(), gates: (acts.dataSync() as Float32Array).slice() };
        }
        if (this.config.cell === 'gru')
          return {
            h,
            gates: (
              tf
                .concat(
                  caches.map((k) => k.gates),
                  0,
                )
                .dataSync() as Float32Array
            ).slice(),
          };
        return { h };
      });
    });
  }

  /** Sum over the batch of the loss of each window's last prediction only, from a zero state (scalar). Call inside tf.tidy. */
  evaluateLast(batch: Batch): tf.Scalar {
    const { top } = this.forward(batch.x, batch.window, this.initialState(batch.batch));
    const B = batch.batch;
    const last = tf.slice(top, [(batch.window - 1) * B, 0], [B, -1]) as tf.Tensor2D; // [B, H]
    return crossEntropySum(this.logits(last), batch.y.subarray((batch.window - 1) * B));
  }

  // ---------------------------------------------------------------- one token at a time

  predictor(initial?: ModelState): Predictor {
    let state: ModelState = initial ?? this.initialState(1);
    return {
      feed: (token: number) => {
        const ids = Int32Array.of(token);
        const { logp, next } = tf.tidy(() => {
          let below: tf.Tensor2D | null = null;
          const next: ModelState = [];
          for (let l = 0; l < this.layers.length; l++) {
            const { xw } = this.project(l, ids, below);
            const w = this.cellWeights(l);
            const s = this.cell.step(xw, 0, tf.matMul(state[l].h, w.recurrent), state[l], w).state;
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
      fork: () => this.predictor(state.map((s) => ({ h: tf.clone(s.h), ...(s.c ? { c: tf.clone(s.c) } : {}) }))),
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
