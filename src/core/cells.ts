/**
 * Recurrent cells: each maps (x_t, h_{t-1}) to h_t, forward and backward, one time step at a time.
 * The loop over time lives in `recurrentModel.ts`; a cell only knows one step.
 *
 * The loop hands a cell the two matrix products of the step, computed outside it:
 *   xw: x_t W + b for all time steps at once, [T*B, G*H] (one product before the loop; the cell reads
 *       rows t*B .. t*B+B-1);
 *   hU: h_{t-1} U, [B, G*H].
 * Weights follow Keras's layout: kernel W [D, G*H], recurrent_kernel U [H, G*H], bias [G*H] (GRU:
 * [2, 3H], input and recurrent bias), gates side by side in Keras's order: LSTM i, f, c, o; GRU z, r, h;
 * simple RNN one block.
 *
 * backStep gets dL/dh_t in two parts, the gradient from above (the output layer or the next layer,
 * rows of dAbove [T*B, H]) and from step t+1 (carry), and returns the gradients of the step's
 * pre-activations:
 *   dxw: dL/d(xw_t), for dL/dW, dL/db and dL/dx_t;
 *   dhw: dL/d(h_{t-1} U (+ b_h)), for dL/dU and, times U^T, dL/dh_{t-1};
 *   dh:  dL/dh_t itself, the value shown in the gradient-through-time map.
 * dxw and dhw differ only for the GRU, whose reset gate multiplies the recurrent product.
 *
 * Two implementations of each cell with the same math: `reference` in tfjs ops (readable, runs on every
 * backend, checked against autodiff) and `fused` through the kernels of kernels/fusedKernels.ts (one pass
 * per step on the wasm and cpu backends; checked against the reference).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, CellType } from '../protocol/types';
import { runFused } from './kernels/fusedKernels';

// A type alias, not an interface, so that states are tf.TensorContainers (tf.tidy may return them).
export type CellState = {
  /** Hidden state h_t [B, H]. */
  h: tf.Tensor2D;
  /** LSTM memory cell c_t [B, H]. */
  c?: tf.Tensor2D;
};

export interface CellWeights {
  /** U [H, G*H] */
  recurrent: tf.Tensor2D;
  /** GRU only: recurrent bias b_h [3H]. */
  recurrentBias?: tf.Tensor1D;
}

/** What flows from step t+1 back into step t, besides dAbove. */
export interface BackCarry {
  /** dhw_{t+1} U^T [B, H] (zeros at the last step). */
  dhRec: tf.Tensor2D;
  /** LSTM: dL/dc_t from step t+1 [B, H]. */
  dc?: tf.Tensor2D;
  /** GRU: the part of dL/dh_t that bypasses U, dh_{t+1} ⊙ z_{t+1} [B, H]. */
  dhDirect?: tf.Tensor2D;
}

export interface StepGrads {
  dxw: tf.Tensor2D;
  dhw: tf.Tensor2D;
  dh: tf.Tensor2D;
  /** The carry for step t-1, except dhRec, which the loop computes as dhw U^T. */
  carry: Omit<BackCarry, 'dhRec'>;
}

export interface Cell<Cache> {
  readonly type: Exclude<CellType, 'window'>;
  /** Gate blocks G in the kernels: 1, 3 or 4. */
  readonly gates: number;
  /** Keras layer name prefix. */
  readonly kerasName: string;
  zeroState(batch: number, hidden: number): CellState;
  /** Zero carry for the last time step. */
  zeroCarry(batch: number, hidden: number): BackCarry;
  /** One step forward: (x_t, h_{t-1}) -> h_t, plus what backStep needs. */
  step(xw: tf.Tensor2D, t: number, hU: tf.Tensor2D, prev: CellState, w: CellWeights): { state: CellState; cache: Cache };
  /** One step backward. */
  backStep(cache: Cache, dAbove: tf.Tensor2D, t: number, carry: BackCarry): StepGrads;
}

/** Keras's layer name for each cell: weights are named `<name>_<layer>/kernel` and so on (checkpoints, exports). */
export const KERAS_NAMES = { rnn: 'simple_rnn', gru: 'gru', lstm: 'lstm' } as const;

const zeros = (batch: number, hidden: number) => tf.zeros([batch, hidden]) as tf.Tensor2D;
const oneMinus = (x: tf.Tensor2D) => tf.sub(1, x) as tf.Tensor2D;
/** Derivative of sigmoid expressed through its output s: s (1 - s). */
const dSigmoid = (s: tf.Tensor2D) => tf.mul(s, oneMinus(s)) as tf.Tensor2D;
/** Derivative of tanh expressed through its output y: 1 - y^2. */
const dTanh = (y: tf.Tensor2D) => tf.sub(1, tf.square(y)) as tf.Tensor2D;
/** Rows of time step t from a time-major [T*B, K] tensor. */
const rowsAt = (x: tf.Tensor2D, t: number, batch: number) => tf.slice(x, [t * batch, 0], [batch, -1]);
const f2 = (ts: tf.Tensor[]) => ts as tf.Tensor2D[];

// ================================================================== vanilla RNN

interface RnnCache {
  h: tf.Tensor2D;
}

/** h_t = tanh(x_t W + h_{t-1} U + b) */
const rnnReference: Cell<RnnCache> = {
  type: 'rnn',
  gates: 1,
  kerasName: KERAS_NAMES.rnn,
  zeroState: (batch, hidden) => ({ h: zeros(batch, hidden) }),
  zeroCarry: (batch, hidden) => ({ dhRec: zeros(batch, hidden) }),
  step(xw, t, hU, prev) {
    const h = tf.tanh(tf.add(rowsAt(xw, t, prev.h.shape[0]), hU)) as tf.Tensor2D;
    return { state: { h }, cache: { h } };
  },
  backStep(cache, dAbove, t, carry) {
    const dh = tf.add(rowsAt(dAbove, t, cache.h.shape[0]), carry.dhRec) as tf.Tensor2D;
    const da = tf.mul(dh, dTanh(cache.h)) as tf.Tensor2D;
    return { dxw: da, dhw: da, dh, carry: {} };
  },
};

const rnnFused: Cell<RnnCache> = {
  ...rnnReference,
  step(xw, t, hU) {
    const [h] = f2(runFused('SeqLabRnnForwardStep', [xw, hU], { t }));
    return { state: { h }, cache: { h } };
  },
  backStep(cache, dAbove, t, carry) {
    const [da, dh] = f2(runFused('SeqLabRnnBackwardStep', [dAbove, carry.dhRec, cache.h], { t }));
    return { dxw: da, dhw: da, dh, carry: {} };
  },
};

/**
 * h_t = relu(x_t W + h_{t-1} U + b): the chapter's ReLU variant of the vanilla RNN. Unbounded, so its
 * gradients through time can grow as well as vanish (clipping matters more). Reference ops on every
 * backend, also where the tanh cell runs fused: its backward step slices the first rows of its cache
 * itself, so it serves the last prediction's map (fewer rows than the cache) either way.
 */
const rnnRelu: Cell<RnnCache> = {
  ...rnnReference,
  step(xw, t, hU, prev) {
    const h = tf.relu(tf.add(rowsAt(xw, t, prev.h.shape[0]), hU)) as tf.Tensor2D;
    return { state: { h }, cache: { h } };
  },
  backStep(cache, dAbove, t, carry) {
    const B = carry.dhRec.shape[0];
    const h = cache.h.shape[0] === B ? cache.h : (tf.slice(cache.h, [0, 0], [B, -1]) as tf.Tensor2D);
    const dh = tf.add(rowsAt(dAbove, t, B), carry.dhRec) as tf.Tensor2D;
    // relu'(a) = 1 where a > 0, which is where h = relu(a) > 0.
    const da = tf.mul(dh, tf.step(h)) as tf.Tensor2D;
    return { dxw: da, dhw: da, dh, carry: {} };
  },
};

// ================================================================== LSTM

interface LstmCache {
  /** Gate activations [B, 4H]: i, f, g, o. */
  acts: tf.Tensor2D;
  cPrev: tf.Tensor2D;
  tanhC: tf.Tensor2D;
}

/**
 * i = σ(.) input gate: how much of the candidate to write;  f = σ(.) forget gate: how much memory to keep;
 * g = tanh(.) candidate memory;  o = σ(.) output gate: how much memory to expose.
 * c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t). The additive path through c is what lets gradients
 * survive many steps.
 */
const lstmReference: Cell<LstmCache> = {
  type: 'lstm',
  gates: 4,
  kerasName: KERAS_NAMES.lstm,
  zeroState: (batch, hidden) => ({ h: zeros(batch, hidden), c: zeros(batch, hidden) }),
  zeroCarry: (batch, hidden) => ({ dhRec: zeros(batch, hidden), dc: zeros(batch, hidden) }),
  step(xw, t, hU, prev) {
    const z = tf.add(rowsAt(xw, t, prev.h.shape[0]), hU) as tf.Tensor2D;
    const [zi, zf, zg, zo] = f2(tf.split(z, 4, 1));
    const i = tf.sigmoid(zi) as tf.Tensor2D;
    const f = tf.sigmoid(zf) as tf.Tensor2D;
    const g = tf.tanh(zg) as tf.Tensor2D;
    const o = tf.sigmoid(zo) as tf.Tensor2D;
    const cPrev = prev.c!;
    const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D;
    const tanhC = tf.tanh(c) as tf.Tensor2D;
    const h = tf.mul(o, tanhC) as tf.Tensor2D;
    return { state: { h, c }, cache: { acts: tf.concat([i, f, g, o], 1) as tf.Tensor2D, cPrev, tanhC } };
  },
  backStep({ acts, cPrev, tanhC }, dAbove, t, carry) {
    const dh = tf.add(rowsAt(dAbove, t, cPrev.shape[0]), carry.dhRec) as tf.Tensor2D;
    const [i, f, g, o] = f2(tf.split(acts, 4, 1));
    const dc = tf.add(carry.dc!, tf.mul(tf.mul(dh, o), dTanh(tanhC))) as tf.Tensor2D;
    const di = tf.mul(tf.mul(dc, g), dSigmoid(i));
    const df = tf.mul(tf.mul(dc, cPrev), dSigmoid(f));
    const dg = tf.mul(tf.mul(dc, i), dTanh(g));
    const dO = tf.mul(tf.mul(dh, tanhC), dSigmoid(o));
    const dz = tf.concat([di, df, dg, dO], 1) as tf.Tensor2D;
    return { dxw: dz, dhw: dz, dh, carry: { dc: tf.mul(dc, f) as tf.Tensor2D } };
  },
};

const lstmFused: Cell<LstmCache> = {
  ...lstmReference,
  step(xw, t, hU, prev) {
    const [h, c, acts, tanhC] = f2(runFused('SeqLabLstmForwardStep', [xw, hU, prev.c!], { t }));
    return { state: { h, c }, cache: { acts, cPrev: prev.c!, tanhC } };
  },
  backStep({ acts, cPrev, tanhC }, dAbove, t, carry) {
    const [dz, dc, dh] = f2(runFused('SeqLabLstmBackwardStep', [dAbove, carry.dhRec, carry.dc!, acts, cPrev, tanhC], { t }));
    return { dxw: dz, dhw: dz, dh, carry: { dc } };
  },
};

// ================================================================== GRU

interface GruCache {
  /** Gate values [B, 3H]: z, r, n. */
  gates: tf.Tensor2D;
  /** The candidate's recurrent part h_{t-1} U_h + b_hh [B, H] (before the reset gate). */
  hn: tf.Tensor2D;
  hPrev: tf.Tensor2D;
}

/**
 * z = σ(.) update gate: how much of h_{t-1} to keep;  r = σ(.) reset gate: how much of h_{t-1} feeds
 * the candidate;  n = tanh(x W_h + r ⊙ (h_{t-1} U_h + b_hh)) candidate;  h_t = z ⊙ h_{t-1} + (1 - z) ⊙ n.
 * The reset gate applies after the recurrent product (Keras's reset_after=True, its default, and
 * PyTorch's and cuDNN's form): one product h_{t-1} U per step. The textbook puts r before the product,
 * (r ⊙ h_{t-1}) U_h; both are GRUs and train alike.
 */
const gruReference: Cell<GruCache> = {
  type: 'gru',
  gates: 3,
  kerasName: KERAS_NAMES.gru,
  zeroState: (batch, hidden) => ({ h: zeros(batch, hidden) }),
  zeroCarry: (batch, hidden) => ({ dhRec: zeros(batch, hidden), dhDirect: zeros(batch, hidden) }),
  step(xw, t, hU, prev, w) {
    const hw = tf.add(hU, w.recurrentBias!) as tf.Tensor2D;
    const [xz, xr, xn] = f2(tf.split(rowsAt(xw, t, prev.h.shape[0]), 3, 1));
    const [hz, hr, hn] = f2(tf.split(hw, 3, 1));
    const z = tf.sigmoid(tf.add(xz, hz)) as tf.Tensor2D;
    const r = tf.sigmoid(tf.add(xr, hr)) as tf.Tensor2D;
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn))) as tf.Tensor2D;
    const h = tf.add(tf.mul(z, prev.h), tf.mul(oneMinus(z), n)) as tf.Tensor2D;
    return { state: { h }, cache: { gates: tf.concat([z, r, n], 1) as tf.Tensor2D, hn, hPrev: prev.h } };
  },
  backStep({ gates, hn, hPrev }, dAbove, t, carry) {
    const dh = tf.addN([rowsAt(dAbove, t, hPrev.shape[0]), carry.dhRec, carry.dhDirect!]) as tf.Tensor2D;
    const [z, r, n] = f2(tf.split(gates, 3, 1));
    const dnPre = tf.mul(tf.mul(dh, oneMinus(z)), dTanh(n)) as tf.Tensor2D;
    const dzPre = tf.mul(tf.mul(dh, tf.sub(hPrev, n)), dSigmoid(z)) as tf.Tensor2D;
    const drPre = tf.mul(tf.mul(dnPre, hn), dSigmoid(r)) as tf.Tensor2D;
    return {
      dxw: tf.concat([dzPre, drPre, dnPre], 1) as tf.Tensor2D,
      dhw: tf.concat([dzPre, drPre, tf.mul(dnPre, r)], 1) as tf.Tensor2D,
      dh,
      carry: { dhDirect: tf.mul(dh, z) as tf.Tensor2D },
    };
  },
};

const gruFused: Cell<GruCache> = {
  ...gruReference,
  step(xw, t, hU, prev, w) {
    const [h, gates, hn] = f2(runFused('SeqLabGruForwardStep', [xw, hU, w.recurrentBias!, prev.h], { t }));
    return { state: { h }, cache: { gates, hn, hPrev: prev.h } };
  },
  backStep({ gates, hn, hPrev }, dAbove, t, carry) {
    const [dxw, dhw, dhDirect, dh] = f2(runFused('SeqLabGruBackwardStep', [dAbove, carry.dhRec, carry.dhDirect!, gates, hn, hPrev], { t }));
    return { dxw, dhw, dh, carry: { dhDirect } };
  },
};

// ==================================================================

const REFERENCE = { rnn: rnnReference, gru: gruReference, lstm: lstmReference };
const FUSED = { rnn: rnnFused, gru: gruFused, lstm: lstmFused };

/** The cell of a type: `fused` for the wasm and cpu backends, `reference` elsewhere and in tests. ReLU (RNN only) is one cell for both. */
export function cellFor(type: Exclude<CellType, 'window'>, implementation: 'reference' | 'fused', activation: Activation = 'tanh'): Cell<unknown> {
  if (type === 'rnn' && activation === 'relu') return rnnRelu as Cell<unknown>;
  return (implementation === 'fused' ? FUSED : REFERENCE)[type] as Cell<unknown>;
}
