/**
 * Fused kernels: the element-wise math of one recurrent time step, forward or backward, in one pass
 * over memory, registered with tfjs for the wasm and cpu backends.
 *
 * Why: a cell step written with tfjs ops is 10 to 30 small kernels (split, sigmoid, tanh, mul, add,
 * concat), each costing tens of microseconds of dispatch on these backends, and slicing a time step out
 * of a [T*B, ...] tensor costs more. Here the step reads row block t of the whole-sequence tensors in
 * place and writes its outputs once. The math is exactly that of `cells.ts` (the reference, checked
 * against autodiff); tests check these kernels against it.
 *
 * Layout: time-major rows (t*B + b); gates side by side per row, in Keras order. Backward kernels take
 * their row count B from dhRec, so they can walk back through the first B' < B rows of the cached
 * activations (rows b < B' of a [B, K] tensor are its first B'*K numbers).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_BACKENDS, KernelMemory, kernelMemory } from './kernelIO';

type Views = Float32Array[];

interface FusedKernel {
  name: string;
  /** Output shapes from input shapes and attributes. */
  outputs(inputs: tf.TensorInfo[], attrs: Record<string, unknown>): number[][];
  /** Fills the output views from the input views. */
  run(inputs: Views, outputs: Views, shapes: { inputs: number[][]; attrs: Record<string, unknown> }): void;
}

// Math.exp is as fast here as any polynomial written in JavaScript (measured), and exact.
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
// tanh through exp, tanh(x) = 2 σ(2x) - 1: accurate to float32 in double arithmetic, faster than Math.tanh.
const tanh = (x: number) => 2 / (1 + Math.exp(-2 * x)) - 1;

// ------------------------------------------------------------------ LSTM

/** in: xw [T*B, 4H] (rows of step t used), hU [B, 4H], cPrev [B, H]; out: h, c [B, H], acts [B, 4H] (i f g o), tanhC [B, H] */
const lstmForward: FusedKernel = {
  name: 'SeqLabLstmForwardStep',
  outputs: ([, hU, cPrev]) => [cPrev.shape, cPrev.shape, hU.shape, cPrev.shape],
  run([xw, hU, cPrev], [h, c, acts, tanhC], { inputs, attrs }) {
    const [B, H] = inputs[2];
    const G = 4 * H;
    const base = (attrs.t as number) * B * G;
    for (let b = 0; b < B; b++) {
      const row = b * G;
      for (let j = 0; j < H; j++) {
        const k = row + j;
        const i = sigmoid(xw[base + k] + hU[k]);
        const f = sigmoid(xw[base + k + H] + hU[k + H]);
        const g = tanh(xw[base + k + 2 * H] + hU[k + 2 * H]);
        const o = sigmoid(xw[base + k + 3 * H] + hU[k + 3 * H]);
        const u = b * H + j;
        const cNew = f * cPrev[u] + i * g;
        const tc = tanh(cNew);
        c[u] = cNew;
        tanhC[u] = tc;
        h[u] = o * tc;
        acts[k] = i;
        acts[k + H] = f;
        acts[k + 2 * H] = g;
        acts[k + 3 * H] = o;
      }
    }
  },
};

/**
 * in: dAbove [T*B, H] (rows of step t), dhRec [B, H] = dz_{t+1} U^T, dcNext [B, H], acts [B, 4H], cPrev, tanhC [B, H]
 * out: dz [B, 4H] (pre-activation gradients), dcPrev [B, H], dh [B, H] = dL/dh_t
 */
const lstmBackward: FusedKernel = {
  name: 'SeqLabLstmBackwardStep',
  // Rows come from dhRec: a walk over the first rows of the batch reads a prefix of the caches.
  outputs: ([, dhRec, , acts]) => [[dhRec.shape[0], acts.shape[1]], dhRec.shape, dhRec.shape],
  run([dAbove, dhRec, dcNext, acts, cPrev, tanhC], [dz, dcPrev, dhOut], { inputs, attrs }) {
    const [B, H] = inputs[1];
    const G = 4 * H;
    const base = (attrs.t as number) * B * H;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const u = b * H + j;
        const k = b * G + j;
        const dh = dAbove[base + u] + dhRec[u];
        const i = acts[k];
        const f = acts[k + H];
        const g = acts[k + 2 * H];
        const o = acts[k + 3 * H];
        const tc = tanhC[u];
        const dc = dcNext[u] + dh * o * (1 - tc * tc);
        dz[k] = dc * g * i * (1 - i);
        dz[k + H] = dc * cPrev[u] * f * (1 - f);
        dz[k + 2 * H] = dc * i * (1 - g * g);
        dz[k + 3 * H] = dh * tc * o * (1 - o);
        dcPrev[u] = dc * f;
        dhOut[u] = dh;
      }
    }
  },
};

// ------------------------------------------------------------------ GRU

/** in: xw [T*B, 3H], hU [B, 3H], bh [3H] recurrent bias, hPrev [B, H]; out: h [B, H], gates [B, 3H] (z r n), hn [B, H] (= (h U + b_h) n-part) */
const gruForward: FusedKernel = {
  name: 'SeqLabGruForwardStep',
  outputs: ([, hU, , hPrev]) => [hPrev.shape, hU.shape, hPrev.shape],
  run([xw, hU, bh, hPrev], [h, gates, hnOut], { inputs, attrs }) {
    const [B, H] = inputs[3];
    const G = 3 * H;
    const base = (attrs.t as number) * B * G;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const k = b * G + j;
        const u = b * H + j;
        const z = sigmoid(xw[base + k] + hU[k] + bh[j]);
        const r = sigmoid(xw[base + k + H] + hU[k + H] + bh[j + H]);
        const hn = hU[k + 2 * H] + bh[j + 2 * H];
        const n = tanh(xw[base + k + 2 * H] + r * hn);
        h[u] = z * hPrev[u] + (1 - z) * n;
        gates[k] = z;
        gates[k + H] = r;
        gates[k + 2 * H] = n;
        hnOut[u] = hn;
      }
    }
  },
};

/**
 * in: dAbove [T*B, H], dhRec [B, H] = dhw_{t+1} U^T, dhDirect [B, H] = dh_{t+1} ⊙ z_{t+1}, gates [B, 3H], hn, hPrev [B, H]
 * out: dxw [B, 3H], dhw [B, 3H], dhDirectPrev [B, H], dh [B, H]
 */
const gruBackward: FusedKernel = {
  name: 'SeqLabGruBackwardStep',
  outputs: ([, dhRec, , gates]) => [[dhRec.shape[0], gates.shape[1]], [dhRec.shape[0], gates.shape[1]], dhRec.shape, dhRec.shape],
  run([dAbove, dhRec, dhDirect, gates, hnIn, hPrev], [dxw, dhw, dhDirectPrev, dhOut], { inputs, attrs }) {
    const [B, H] = inputs[1];
    const G = 3 * H;
    const base = (attrs.t as number) * B * H;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const u = b * H + j;
        const k = b * G + j;
        const dh = dAbove[base + u] + dhRec[u] + dhDirect[u];
        const z = gates[k];
        const r = gates[k + H];
        const n = gates[k + 2 * H];
        const dnPre = dh * (1 - z) * (1 - n * n);
        const dzPre = dh * (hPrev[u] - n) * z * (1 - z);
        const drPre = dnPre * hnIn[u] * r * (1 - r);
        dxw[k] = dzPre;
        dxw[k + H] = drPre;
        dxw[k + 2 * H] = dnPre;
        dhw[k] = dzPre;
        dhw[k + H] = drPre;
        dhw[k + 2 * H] = dnPre * r;
        dhDirectPrev[u] = dh * z;
        dhOut[u] = dh;
      }
    }
  },
};

// ------------------------------------------------------------------ vanilla RNN

/** in: xw [T*B, H], hU [B, H]; out: h [B, H] */
const rnnForward: FusedKernel = {
  name: 'SeqLabRnnForwardStep',
  outputs: ([, hU]) => [hU.shape],
  run([xw, hU], [h], { inputs, attrs }) {
    const n = inputs[1][0] * inputs[1][1];
    const base = (attrs.t as number) * n;
    for (let u = 0; u < n; u++) h[u] = tanh(xw[base + u] + hU[u]);
  },
};

/** in: dAbove [T*B, H], dhRec [B, H], h [B, H]; out: da [B, H] (pre-activation gradient), dh [B, H] */
const rnnBackward: FusedKernel = {
  name: 'SeqLabRnnBackwardStep',
  outputs: ([, dhRec]) => [dhRec.shape, dhRec.shape],
  run([dAbove, dhRec, h], [da, dhOut], { inputs, attrs }) {
    const n = inputs[1][0] * inputs[1][1];
    const base = (attrs.t as number) * n;
    for (let u = 0; u < n; u++) {
      const dh = dAbove[base + u] + dhRec[u];
      da[u] = dh * (1 - h[u] * h[u]);
      dhOut[u] = dh;
    }
  },
};

// ------------------------------------------------------------------ rows and transposes

/** in: table [V, K], bias [K]; attrs ids: Int32Array [N]; out: [N, K] = table[ids] + bias (one-hot input times a kernel) */
const gatherRowsAddBias: FusedKernel = {
  name: 'SeqLabGatherRowsAddBias',
  outputs: ([table], attrs) => [[(attrs.ids as Int32Array).length, table.shape[1]]],
  run([table, bias], [out], { inputs, attrs }) {
    const ids = attrs.ids as Int32Array;
    const K = inputs[0][1];
    for (let i = 0; i < ids.length; i++) {
      const src = ids[i] * K;
      const dst = i * K;
      for (let j = 0; j < K; j++) out[dst + j] = table[src + j] + bias[j];
    }
  },
};

/** in: rows [N, K]; attrs ids: Int32Array [N], numRows; out: [numRows, K], out[v] = sum of rows i with ids[i] = v */
const scatterAddRows: FusedKernel = {
  name: 'SeqLabScatterAddRows',
  outputs: ([rows], attrs) => [[attrs.numRows as number, rows.shape[1]]],
  run([rows], [out], { inputs, attrs }) {
    const ids = attrs.ids as Int32Array;
    const K = inputs[0][1];
    out.fill(0);
    for (let i = 0; i < ids.length; i++) {
      const dst = ids[i] * K;
      const src = i * K;
      for (let j = 0; j < K; j++) out[dst + j] += rows[src + j];
    }
  },
};

/** in: x [N, M]; out: [M, N]. Blocked, so both sides stay in cache. */
const transpose2d: FusedKernel = {
  name: 'SeqLabTranspose2D',
  outputs: ([x]) => [[x.shape[1], x.shape[0]]],
  run([x], [out], { inputs }) {
    const [N, M] = inputs[0];
    const BLOCK = 32;
    for (let i0 = 0; i0 < N; i0 += BLOCK) {
      const i1 = Math.min(N, i0 + BLOCK);
      for (let j0 = 0; j0 < M; j0 += BLOCK) {
        const j1 = Math.min(M, j0 + BLOCK);
        for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * N + i] = x[i * M + j];
      }
    }
  },
};

export const FUSED_KERNELS: readonly FusedKernel[] = [lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward, gatherRowsAddBias, scatterAddRows, transpose2d];

let registered = false;

/** Registers every fused kernel for the wasm and cpu backends (idempotent). */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  for (const kernel of FUSED_KERNELS) {
    for (const backendName of FUSED_BACKENDS) {
      tf.registerKernel({
        kernelName: kernel.name,
        backendName,
        kernelFunc: ({ inputs, backend, attrs }) => {
          const infos = Object.values(inputs) as tf.TensorInfo[];
          const memory: KernelMemory = kernelMemory(backend, backendName);
          const outputs = kernel.outputs(infos, attrs as Record<string, unknown>).map((shape) => memory.alloc(shape));
          // Views only after every allocation: a wasm allocation may move the heap.
          kernel.run(infos.map(memory.view), outputs.map(memory.view), { inputs: infos.map((i) => i.shape), attrs: attrs as Record<string, unknown> });
          return outputs;
        },
      });
    }
  }
}

/** Runs a fused kernel. Inputs in the order the kernel documents. */
export function runFused(name: string, inputs: tf.Tensor[], attrs: Record<string, unknown> = {}): tf.Tensor[] {
  const named = Object.fromEntries(inputs.map((t, i) => [`x${i}`, t]));
  const out = tf.engine().runKernel(name, named, attrs as never);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

/** True when the active backend runs the fused kernels. */
export function fusedAvailable(): boolean {
  return (FUSED_BACKENDS as readonly string[]).includes(tf.getBackend());
}
