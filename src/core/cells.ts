/**
 * Recurrent cells: each maps (x_t, h_{t-1}) to h_t, forward and backward, one time step at a time.
 * The loop over time lives in `recurrentLayer.ts`; a cell only knows one step.
 *
 * Every cell receives x_t already projected, xw_t = x_t W + b ([B, G*H]), because the input projection
 * of all time steps is one matrix product done before the loop. Weights follow Keras's layout:
 *   kernel [D, G*H], recurrent_kernel [H, G*H], bias [G*H] (GRU: [2, 3*H], input and recurrent bias)
 * with the gates side by side in Keras's order: LSTM i, f, c, o; GRU z, r, h; simple RNN one block.
 *
 * backStep gets dL/dh_t (everything flowing into h_t: from the layer above or the output, and from
 * step t+1) and returns the gradients with respect to the step's pre-activations:
 *   dxw: dL/d(xw_t), the input projection's gradient, used for dL/dW, dL/db and dL/dx_t;
 *   dhw: dL/d(h_{t-1} U (+ b_h)), the recurrent projection's gradient, used for dL/dU and dL/dh_{t-1}.
 * They differ only for the GRU, whose reset gate multiplies the recurrent projection.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CellType } from '../protocol/types';

// A type alias, not an interface, so that states are tf.TensorContainers (tf.tidy may return them).
export type CellState = {
  /** Hidden state h_t [B, H]. */
  h: tf.Tensor2D;
  /** LSTM memory cell c_t [B, H]. */
  c?: tf.Tensor2D;
};

/** What a cell needs from its layer for one pass: the recurrent kernel, and its transpose for backward. */
export interface CellWeights {
  /** U [H, G*H] */
  recurrent: tf.Tensor2D;
  /** GRU only: recurrent bias b_h [1, 3H]. */
  recurrentBias?: tf.Tensor2D;
}

export interface StepGrads {
  /** dL/d(xw_t) [B, G*H] */
  dxw: tf.Tensor2D;
  /** dL/d(recurrent projection) [B, G*H] */
  dhw: tf.Tensor2D;
  /** Part of dL/dh_{t-1} that does not pass through U (GRU's z * h_{t-1} term) [B, H]. */
  dhPrevDirect?: tf.Tensor2D;
  /** dL/dc_{t-1} [B, H] (LSTM). */
  dcPrev?: tf.Tensor2D;
}

export interface Cell<Cache> {
  readonly type: Exclude<CellType, 'window'>;
  /** Gate blocks G in the kernels: 1, 3 or 4. */
  readonly gates: number;
  /** Keras layer name prefix. */
  readonly kerasName: string;
  zeroState(batch: number, hidden: number): CellState;
  /** One step forward: (xw_t [B, G*H], state_{t-1}) -> state_t, plus what backStep needs. */
  step(xw: tf.Tensor2D, prev: CellState, w: CellWeights): { state: CellState; cache: Cache };
  /** One step backward, given dL/dh_t [B, H] and dL/dc_t from step t+1 (LSTM). */
  backStep(cache: Cache, dh: tf.Tensor2D, dcNext: tf.Tensor2D | undefined): StepGrads;
}

const oneMinus = (x: tf.Tensor2D) => tf.sub(1, x) as tf.Tensor2D;
/** Derivative of sigmoid expressed through its output s: s (1 - s). */
const dSigmoid = (s: tf.Tensor2D) => tf.mul(s, oneMinus(s)) as tf.Tensor2D;
/** Derivative of tanh expressed through its output y: 1 - y^2. */
const dTanh = (y: tf.Tensor2D) => tf.sub(1, tf.square(y)) as tf.Tensor2D;

// ------------------------------------------------------------------ vanilla RNN

interface RnnCache {
  h: tf.Tensor2D;
}

/** h_t = tanh(x_t W + h_{t-1} U + b) */
export const rnnCell: Cell<RnnCache> = {
  type: 'rnn',
  gates: 1,
  kerasName: 'simple_rnn',
  zeroState: (batch, hidden) => ({ h: tf.zeros([batch, hidden]) }),
  step(xw, prev, w) {
    const h = tf.tanh(tf.add(xw, tf.matMul(prev.h, w.recurrent))) as tf.Tensor2D;
    return { state: { h }, cache: { h } };
  },
  backStep(cache, dh) {
    const da = tf.mul(dh, dTanh(cache.h)) as tf.Tensor2D;
    return { dxw: da, dhw: da };
  },
};

// ------------------------------------------------------------------ LSTM

interface LstmCache {
  i: tf.Tensor2D;
  f: tf.Tensor2D;
  g: tf.Tensor2D;
  o: tf.Tensor2D;
  cPrev: tf.Tensor2D;
  tanhC: tf.Tensor2D;
}

/**
 * i = σ(.) input gate: how much of the candidate to write;  f = σ(.) forget gate: how much memory to keep;
 * g = tanh(.) candidate memory;  o = σ(.) output gate: how much memory to expose.
 * c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t). The additive path through c is what lets gradients
 * survive many steps.
 */
export const lstmCell: Cell<LstmCache> = {
  type: 'lstm',
  gates: 4,
  kerasName: 'lstm',
  zeroState: (batch, hidden) => ({ h: tf.zeros([batch, hidden]), c: tf.zeros([batch, hidden]) }),
  step(xw, prev, w) {
    const z = tf.add(xw, tf.matMul(prev.h, w.recurrent)) as tf.Tensor2D;
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
    const i = tf.sigmoid(zi) as tf.Tensor2D;
    const f = tf.sigmoid(zf) as tf.Tensor2D;
    const g = tf.tanh(zg) as tf.Tensor2D;
    const o = tf.sigmoid(zo) as tf.Tensor2D;
    const cPrev = prev.c!;
    const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D;
    const tanhC = tf.tanh(c) as tf.Tensor2D;
    const h = tf.mul(o, tanhC) as tf.Tensor2D;
    return { state: { h, c }, cache: { i, f, g, o, cPrev, tanhC } };
  },
  backStep({ i, f, g, o, cPrev, tanhC }, dh, dcNext) {
    const dOut = tf.mul(dh, tanhC) as tf.Tensor2D;
    let dc = tf.mul(tf.mul(dh, o), dTanh(tanhC)) as tf.Tensor2D;
    if (dcNext) dc = tf.add(dc, dcNext);
    const di = tf.mul(tf.mul(dc, g), dSigmoid(i)) as tf.Tensor2D;
    const df = tf.mul(tf.mul(dc, cPrev), dSigmoid(f)) as tf.Tensor2D;
    const dg = tf.mul(tf.mul(dc, i), dTanh(g)) as tf.Tensor2D;
    const dO = tf.mul(dOut, dSigmoid(o)) as tf.Tensor2D;
    const dz = tf.concat([di, df, dg, dO], 1) as tf.Tensor2D;
    return { dxw: dz, dhw: dz, dcPrev: tf.mul(dc, f) as tf.Tensor2D };
  },
};

// ------------------------------------------------------------------ GRU

interface GruCache {
  z: tf.Tensor2D;
  r: tf.Tensor2D;
  n: tf.Tensor2D;
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
export const gruCell: Cell<GruCache> = {
  type: 'gru',
  gates: 3,
  kerasName: 'gru',
  zeroState: (batch, hidden) => ({ h: tf.zeros([batch, hidden]) }),
  step(xw, prev, w) {
    const hw = tf.add(tf.matMul(prev.h, w.recurrent), w.recurrentBias!) as tf.Tensor2D;
    const [xz, xr, xn] = tf.split(xw, 3, 1) as tf.Tensor2D[];
    const [hz, hr, hn] = tf.split(hw, 3, 1) as tf.Tensor2D[];
    const z = tf.sigmoid(tf.add(xz, hz)) as tf.Tensor2D;
    const r = tf.sigmoid(tf.add(xr, hr)) as tf.Tensor2D;
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn))) as tf.Tensor2D;
    const h = tf.add(tf.mul(z, prev.h), tf.mul(oneMinus(z), n)) as tf.Tensor2D;
    return { state: { h }, cache: { z, r, n, hn, hPrev: prev.h } };
  },
  backStep({ z, r, n, hn, hPrev }, dh) {
    const dnPre = tf.mul(tf.mul(dh, oneMinus(z)), dTanh(n)) as tf.Tensor2D;
    const dzPre = tf.mul(tf.mul(dh, tf.sub(hPrev, n)), dSigmoid(z)) as tf.Tensor2D;
    const drPre = tf.mul(tf.mul(dnPre, hn), dSigmoid(r)) as tf.Tensor2D;
    return {
      dxw: tf.concat([dzPre, drPre, dnPre], 1) as tf.Tensor2D,
      dhw: tf.concat([dzPre, drPre, tf.mul(dnPre, r)], 1) as tf.Tensor2D,
      dhPrevDirect: tf.mul(dh, z) as tf.Tensor2D,
    };
  },
};

export function cellFor(type: Exclude<CellType, 'window'>): Cell<unknown> {
  switch (type) {
    case 'rnn':
      return rnnCell as Cell<unknown>;
    case 'gru':
      return gruCell as Cell<unknown>;
    case 'lstm':
      return lstmCell as Cell<unknown>;
  }
}
