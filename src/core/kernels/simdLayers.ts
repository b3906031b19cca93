/**
 * A recurrent layer's whole pass through time in our WebAssembly SIMD kernels (asm/recurrent.ts):
 * one call forward, one call backward, over one memory, so nothing is copied between time steps and
 * no tfjs operation runs inside the loop over time. tfjs keeps the rest of the model (embedding,
 * layers' input products, head, softmax, optimizer); tensors cross the boundary once per layer.
 *
 * The math is that of the fused kernels (fusedKernels.ts); the unit tests check these passes against
 * them, against autodiff and against finite differences.
 *
 * Shapes: T window, B batch, H hidden, G = gates * H; rows time-major (t*B + b).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CellState } from '../cells';
import { JOB, KernelPool, kernelPool } from '../parallel/kernelPool';
import { KernelArena, SimdKernels } from './simdModule';

export type SimdCell = 'rnn' | 'gru' | 'lstm';

const GATES: Record<SimdCell, number> = { rnn: 1, gru: 3, lstm: 4 };

/** Where a layer's forward pass left what its backward pass reads (byte offsets into the arena). */
interface LayerSlot {
  T: number;
  B: number;
  /** Activations (LSTM i f g o; GRU z r n; RNN pre-activations) [T*B, G]. */
  acts: number;
  /** h_{-1} .. h_{T-1}: (T+1) blocks of [B, H]. */
  hs: number;
  /** LSTM: c_{-1} .. c_{T-1}; tanh c_t [T*B, H]. GRU: hn [T*B, H]. */
  cs: number;
  tc: number;
  hn: number;
  U: Float32Array;
  /** U^T packed, made on the first backward pass. */
  UTp?: number;
}

/** The input of a layer: x W + b already made by tfjs, or a one-hot input whose product is a row gather. */
export type LayerInput = { xw: tf.Tensor2D } | { table: tf.Tensor2D; ids: Int32Array; bias: tf.Tensor };

const values = (t: tf.Tensor) => t.dataSync() as Float32Array;

export interface LayerGrads {
  /** dL/d(x_t W + b) [T*R, G]: for the kernel's gradient and the layer below. Undefined for a one-hot input. */
  dXW?: tf.Tensor2D;
  /** dL/dU [H, G] (weight gradients only). */
  dU?: tf.Tensor2D;
  /** dL/db: [G], GRU [2, G] (input and recurrent bias). */
  dBias?: tf.Tensor;
  /** One-hot input: dL/dW [V, G], the rows of dXW summed by token. */
  dKernel?: tf.Tensor2D;
  /** ||dL/dh_t|| over the R rows, [T]. */
  dhNorms: tf.Tensor1D;
  /** LSTM: ||dL/dc_t|| through c_{t+1}, per t (zero at the last step), summed over the R rows like dhNorms. */
  dcNorms?: tf.Tensor1D;
}

export class SimdRecurrence {
  private readonly arena: KernelArena;
  private readonly G: number;
  readonly kernels: SimdKernels;
  private readonly pool?: KernelPool;
  private slots: LayerSlot[] = [];

  /** `threads` 2: the layer passes run on two threads (parallel/kernelPool.ts); falls back to one where the threaded build is missing. */
  constructor(
    kernels: SimdKernels,
    readonly cell: SimdCell,
    readonly H: number,
    threads = 1,
  ) {
    const shared = threads === 2 ? kernelPool() : undefined;
    this.kernels = shared?.kernels ?? kernels;
    this.arena = shared?.arena ?? new KernelArena(kernels.exports);
    this.pool = shared?.pool;
    this.G = GATES[cell] * H;
  }

  /** Threads running each layer pass. */
  get threads(): number {
    return this.pool ? 2 : 1;
  }

  /** Makes a kernel call, on both threads when there is a pool (the other thread first, through shared memory). */
  private call(job: number, f: (...args: number[]) => void, args: number[]): void {
    this.pool?.post(job, args);
    f(...args);
  }

  /** Frees every buffer of the previous pass: call before the first layer's forward. */
  begin(): void {
    this.arena.reset();
    this.slots = [];
  }

  /**
   * Layer l forward over T steps from `state` (B rows). U: recurrent kernel [H, G]; `bh`: the GRU's
   * recurrent bias [G]. Returns h_0..h_{T-1} [T*B, H] and the final state, as tensors.
   */
  forward(l: number, input: LayerInput, U: tf.Tensor2D, bh: tf.Tensor | undefined, state: CellState, T: number): { hs: tf.Tensor2D; final: CellState } {
    const { H, G, arena } = this;
    const k = this.kernels.exports;
    const B = state.h.shape[0];
    const u = values(U);
    const Up = arena.allocBytes(k.packedBytes(H, G));
    k.packB(arena.put(u), G, H, G, 0, Up);
    let acts: number;
    if ('xw' in input) {
      acts = arena.put(values(input.xw));
    } else {
      acts = arena.alloc(T * B * G);
      const table = arena.put(values(input.table));
      const ids = arena.put(input.ids);
      k.gatherRows(table, ids, arena.put(values(input.bias)), T * B, G, acts);
    }
    const hs = arena.alloc((T + 1) * B * H);
    arena.f32().set(state.h.dataSync() as Float32Array, hs / 4);
    const slot: LayerSlot = { T, B, acts, hs, cs: 0, tc: 0, hn: 0, U: u };
    if (this.cell === 'lstm') {
      slot.cs = arena.alloc((T + 1) * B * H);
      slot.tc = arena.alloc(T * B * H);
      arena.f32().set(state.c!.dataSync() as Float32Array, slot.cs / 4);
      this.call(JOB.lstmForward, k.lstmForward, [T, B, H, acts, Up, hs, slot.cs, slot.tc]);
    } else if (this.cell === 'gru') {
      slot.hn = arena.alloc(T * B * H);
      this.call(JOB.gruForward, k.gruForward, [T, B, H, acts, Up, arena.put(values(bh!)), hs, slot.hn, arena.alloc(B * G)]);
    } else {
      this.call(JOB.rnnForward, k.rnnForward, [T, B, H, acts, Up, hs]);
    }
    this.slots[l] = slot;
    const out = tf.tensor2d(arena.read(hs + B * H * 4, T * B * H), [T * B, H]);
    const h = tf.tensor2d(arena.read(hs + T * B * H * 4, B * H), [B, H]);
    const final: CellState = this.cell === 'lstm' ? { h, c: tf.tensor2d(arena.read(slot.cs + T * B * H * 4, B * H), [B, H]) } : { h };
    return { hs: out, final };
  }

  /**
   * Layer l backward through time over the first R rows of its batch, given dL/dh_t from above
   * [T*R, H]. With `weights`, also dL/dU and dL/db (R must be the whole batch); with `oneHot`, the
   * kernel's gradient directly (rows of dXW summed by token id) instead of dXW.
   */
  backward(l: number, dAbove: Float32Array, R: number, weights: boolean, oneHot?: { ids: Int32Array; V: number }): LayerGrads {
    const { H, G, arena } = this;
    const k = this.kernels.exports;
    const s = this.slots[l];
    const { T, B } = s;
    if (s.UTp === undefined) {
      s.UTp = arena.allocBytes(k.packedBytes(G, H));
      k.packB(arena.put(s.U), G, G, H, 1, s.UTp); // B[k, n] = U^T[k, n] = U[n, k]
    }
    const dA = arena.put(dAbove);
    const ss = arena.alloc(T * this.threads); // a partial sum per thread
    const dxw = arena.alloc(T * R * G);
    let dhw = dxw; // the same but for the GRU, whose reset gate scales the recurrent part
    let ssc: number | undefined;
    if (this.cell === 'lstm') {
      ssc = arena.alloc(T * this.threads);
      this.call(JOB.lstmBackward, k.lstmBackward, [T, B, R, H, s.acts, s.cs, s.tc, s.UTp, dA, dxw, ss, ssc, arena.alloc(R * H), arena.alloc(R * H)]);
    } else if (this.cell === 'gru') {
      dhw = arena.alloc(T * R * G);
      this.call(JOB.gruBackward, k.gruBackward, [T, B, R, H, s.acts, s.hn, s.hs, s.UTp, dA, dxw, dhw, ss, arena.alloc(R * H), arena.alloc(R * H)]);
    } else {
      this.call(JOB.rnnBackward, k.rnnBackward, [T, B, R, H, s.hs, s.UTp, dA, dxw, ss, arena.alloc(R * H)]);
    }
    const parts = arena.read(ss, T * this.threads);
    const dhNorms = tf.tensor1d(Float32Array.from({ length: T }, (_, t) => Math.sqrt(this.threads === 2 ? parts[t] + parts[T + t] : parts[t])));
    const grads: LayerGrads = { dhNorms };
    if (ssc !== undefined) {
      const c = arena.read(ssc, T * this.threads);
      grads.dcNorms = tf.tensor1d(Float32Array.from({ length: T }, (_, t) => Math.sqrt(this.threads === 2 ? c[t] + c[T + t] : c[t])));
    }
    let dxSums: number | undefined;
    if (oneHot) {
      const dW = arena.alloc(oneHot.V * G);
      dxSums = arena.alloc(G);
      k.scatterRowsAndSum(dxw, arena.put(oneHot.ids), T * R, G, oneHot.V, dW, dxSums);
      grads.dKernel = tf.tensor2d(arena.read(dW, oneHot.V * G), [oneHot.V, G]);
    } else {
      grads.dXW = tf.tensor2d(arena.read(dxw, T * R * G), [T * R, G]);
    }
    if (!weights) return grads;
    if (R !== B) throw new Error('weight gradients need the whole batch');
    // dU = sum_t h_{t-1}^T dhw_t = hPrev^T dHW, one product over all steps: hPrev [T*B, H] is the
    // first T blocks of hs, transposed once so the product reads rows.
    const hT = arena.alloc(H * T * B);
    const P = arena.allocBytes(k.packedBytes(T * B, G));
    const dU = arena.alloc(H * G);
    this.call(JOB.weightGrad, k.weightGrad, [s.hs, T * B, H, dhw, G, hT, P, dU]);
    grads.dU = tf.tensor2d(arena.read(dU, H * G), [H, G]);
    if (dxSums === undefined) {
      dxSums = arena.alloc(G);
      k.colSums(dxw, T * B, G, dxSums);
    }
    const db = arena.read(dxSums, G);
    if (this.cell === 'gru') {
      const dhSums = arena.alloc(G);
      k.colSums(dhw, T * B, G, dhSums);
      const both = new Float32Array(2 * G);
      both.set(db);
      both.set(arena.read(dhSums, G), G);
      grads.dBias = tf.tensor2d(both, [2, G]);
    } else {
      grads.dBias = tf.tensor1d(db);
    }
    return grads;
  }
}
