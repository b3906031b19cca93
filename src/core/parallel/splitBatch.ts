/**
 * Cutting a batch into two groups of sequences for the two threads of data-parallel training, and
 * the carried hidden state along with it. Batches are time-major (row t*B + b).
 */
import type { Batch } from '../batches';
import type { CarriedState } from '../gradients';

/** Sequences [b0, b1) of `batch`. */
export function sliceBatch(batch: Batch, b0: number, b1: number): Batch {
  const B = batch.batch;
  const n = b1 - b0;
  const rowsX = batch.x.length / B;
  const x = new Int32Array(rowsX * n);
  for (let t = 0; t < rowsX; t++) x.set(batch.x.subarray(t * B + b0, t * B + b1), t * n);
  const y = new Int32Array(batch.window * n);
  for (let t = 0; t < batch.window; t++) y.set(batch.y.subarray(t * B + b0, t * B + b1), t * n);
  return { ...batch, x, y, batch: n };
}

/** Rows [b0, b1) of every layer's state. */
export function sliceState(state: CarriedState | undefined, b0: number, b1: number): CarriedState | undefined {
  return state?.map((s) => {
    const H = s.shape[1];
    return { shape: [b1 - b0, H], h: s.h.slice(b0 * H, b1 * H), c: s.c?.slice(b0 * H, b1 * H) };
  });
}

/** The two groups' states stacked back into one, first group first. */
export function joinState(a: CarriedState | undefined, b: CarriedState | undefined): CarriedState | undefined {
  if (!a || !b) return undefined;
  return a.map((s, l) => {
    const join = (x: Float32Array, y: Float32Array) => {
      const out = new Float32Array(x.length + y.length);
      out.set(x);
      out.set(y, x.length);
      return out;
    };
    const o = b[l];
    return { shape: [s.shape[0] + o.shape[0], s.shape[1]], h: join(s.h, o.h), c: s.c && o.c ? join(s.c, o.c) : undefined };
  });
}
