// AssemblyScript entry (esbuild.mjs compiles it to dist/seqlab-kernels*.wasm): a recurrent layer's
// whole forward pass through time and whole backward pass, one call each, over one memory.
//
// The math is that of src/core/kernels/fusedKernels.ts (checked against cells.ts and autodiff), the
// layout too: time-major rows t*B + b, gates side by side in Keras's order (LSTM i f g o, GRU z r n).
// Pointers are byte offsets into this module's memory, laid out by simdLayers.ts; sizes are in floats.
// hs and cs hold T+1 blocks of B rows: block 0 is the initial state, block t+1 the state after step t,
// so block t is h_{t-1} for step t. A backward pass may walk the first R <= B rows of the batch
// (the last prediction's map): its own inputs and outputs have R rows a step, the caches B.

import { gemmCols, packPanels } from './gemm';
import { hsum, loadN, storeN, vsigmoid, vtanh } from './vmath';
import { barrier, colsOf, rowsOf, serveJobs, TID } from './threads';

export { gemm, gemmCols, packB, packedBytes, transpose } from './gemm';
export { setThread } from './threads';

/** First free byte after the module's own data. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}

const ONE = f32x4.splat(1.0);

function at(base: usize, row: i32, stride: i32, j: i32): usize {
  return base + (<usize>row * <usize>stride + <usize>j) * 4;
}

function zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n * 4);
}

// ------------------------------------------------------------------ LSTM

/** xw [T*B, 4H]: x W + b in, activations (i f g o) out. Up: U [H, 4H] packed. tc [T*B, H]: tanh c_t. */
export function lstmForward(T: i32, B: i32, H: i32, xw: usize, Up: usize, hs: usize, cs: usize, tc: usize): void {
  const G = 4 * H;
  const n0 = colsOf(G, 0);
  const n1 = colsOf(G, 1);
  const b0 = rowsOf(B, 0);
  const b1 = rowsOf(B, 1);
  for (let t = 0; t < T; t++) {
    gemmCols(at(hs, t * B, H, 0), H, Up, at(xw, t * B, G, 0), G, B, H, G, 1, n0, n1);
    barrier();
    for (let b = b0; b < b1; b++) {
      const row = t * B + b;
      for (let j = 0; j < H; j += 4) {
        const n = min(4, H - j);
        const a = at(xw, row, G, j);
        const i = vsigmoid(loadN(a, n));
        const f = vsigmoid(loadN(a + <usize>H * 4, n));
        const g = vtanh(loadN(a + <usize>H * 8, n));
        const o = vsigmoid(loadN(a + <usize>H * 12, n));
        const c = f32x4.add(f32x4.mul(f, loadN(at(cs, row, H, j), n)), f32x4.mul(i, g));
        const tcv = vtanh(c);
        storeN(a, i, n);
        storeN(a + <usize>H * 4, f, n);
        storeN(a + <usize>H * 8, g, n);
        storeN(a + <usize>H * 12, o, n);
        storeN(at(cs, row + B, H, j), c, n);
        storeN(at(tc, row, H, j), tcv, n);
        storeN(at(hs, row + B, H, j), f32x4.mul(o, tcv), n);
      }
    }
    barrier();
  }
}

/**
 * dAbove [T*R, H]: dL/dh_t from above. UTp: U^T packed. Out: dz [T*R, 4H] (pre-activation gradients,
 * dL/dxw = dL/dhw), ss [T] (sum of squares of dL/dh_t over the R rows), ssc [T] (the same of dL/dc_t
 * through c_{t+1}: the memory cell's share of the state gradient). dhRec, dcN: [R, H] scratch.
 */
export function lstmBackward(
  T: i32,
  B: i32,
  R: i32,
  H: i32,
  acts: usize,
  cs: usize,
  tc: usize,
  UTp: usize,
  dAbove: usize,
  dz: usize,
  ss: usize,
  ssc: usize,
  dhRec: usize,
  dcN: usize,
): void {
  const G = 4 * H;
  const n0 = colsOf(H, 0);
  const n1 = colsOf(H, 1);
  const r0 = rowsOf(R, 0);
  const r1 = rowsOf(R, 1);
  if (TID == 0) {
    zero(dcN, R * H);
    zero(dhRec, R * H);
  }
  barrier();
  for (let t = T - 1; t >= 0; t--) {
    if (t < T - 1) gemmCols(at(dz, (t + 1) * R, G, 0), G, UTp, dhRec, H, R, G, H, 0, n0, n1);
    barrier();
    let sq = f32x4.splat(0);
    let sqc = f32x4.splat(0);
    for (let b = r0; b < r1; b++) {
      const row = t * B + b;
      for (let j = 0; j < H; j += 4) {
        const n = min(4, H - j);
        const dh = f32x4.add(loadN(at(dAbove, t * R + b, H, j), n), loadN(at(dhRec, b, H, j), n));
        sq = f32x4.add(sq, f32x4.mul(dh, dh));
        const a = at(acts, row, G, j);
        const i = loadN(a, n);
        const f = loadN(a + <usize>H * 4, n);
        const g = loadN(a + <usize>H * 8, n);
        const o = loadN(a + <usize>H * 12, n);
        const tcv = loadN(at(tc, row, H, j), n);
        const cPrev = loadN(at(cs, row, H, j), n);
        const pc = at(dcN, b, H, j);
        const dcCarry = loadN(pc, n);
        sqc = f32x4.add(sqc, f32x4.mul(dcCarry, dcCarry));
        const dc = f32x4.add(dcCarry, f32x4.mul(f32x4.mul(dh, o), f32x4.sub(ONE, f32x4.mul(tcv, tcv))));
        const d = at(dz, t * R + b, G, j);
        storeN(d, f32x4.mul(f32x4.mul(dc, g), f32x4.mul(i, f32x4.sub(ONE, i))), n);
        storeN(d + <usize>H * 4, f32x4.mul(f32x4.mul(dc, cPrev), f32x4.mul(f, f32x4.sub(ONE, f))), n);
        storeN(d + <usize>H * 8, f32x4.mul(f32x4.mul(dc, i), f32x4.sub(ONE, f32x4.mul(g, g))), n);
        storeN(d + <usize>H * 12, f32x4.mul(f32x4.mul(dh, tcv), f32x4.mul(o, f32x4.sub(ONE, o))), n);
        storeN(pc, f32x4.mul(dc, f), n);
      }
    }
    store<f32>(ss + <usize>(TID * T + t) * 4, hsum(sq));
    store<f32>(ssc + <usize>(TID * T + t) * 4, hsum(sqc));
    barrier();
  }
}

// ------------------------------------------------------------------ GRU (Keras reset_after)

/**
 * xw [T*B, 3H]: x W + b_x in, gates (z r n) out. Up: U [H, 3H] packed, bh [3H] recurrent bias.
 * hn [T*B, H]: (h_{t-1} U + b_h), n part. hU [B, 3H] scratch.
 */
export function gruForward(T: i32, B: i32, H: i32, xw: usize, Up: usize, bh: usize, hs: usize, hn: usize, hU: usize): void {
  const G = 3 * H;
  const n0 = colsOf(G, 0);
  const n1 = colsOf(G, 1);
  const b0 = rowsOf(B, 0);
  const b1 = rowsOf(B, 1);
  for (let t = 0; t < T; t++) {
    gemmCols(at(hs, t * B, H, 0), H, Up, hU, G, B, H, G, 0, n0, n1);
    barrier();
    for (let b = b0; b < b1; b++) {
      const row = t * B + b;
      for (let j = 0; j < H; j += 4) {
        const n = min(4, H - j);
        const x = at(xw, row, G, j);
        const u = at(hU, b, G, j);
        const bj = bh + <usize>j * 4;
        const z = vsigmoid(f32x4.add(loadN(x, n), f32x4.add(loadN(u, n), loadN(bj, n))));
        const r = vsigmoid(f32x4.add(loadN(x + <usize>H * 4, n), f32x4.add(loadN(u + <usize>H * 4, n), loadN(bj + <usize>H * 4, n))));
        const hnv = f32x4.add(loadN(u + <usize>H * 8, n), loadN(bj + <usize>H * 8, n));
        const nv = vtanh(f32x4.add(loadN(x + <usize>H * 8, n), f32x4.mul(r, hnv)));
        const hp = loadN(at(hs, row, H, j), n);
        storeN(x, z, n);
        storeN(x + <usize>H * 4, r, n);
        storeN(x + <usize>H * 8, nv, n);
        storeN(at(hn, row, H, j), hnv, n);
        storeN(at(hs, row + B, H, j), f32x4.add(nv, f32x4.mul(z, f32x4.sub(hp, nv))), n);
      }
    }
    barrier();
  }
}

/** Out: dxw, dhw [T*R, 3H] (dL/d(x W + b_x), dL/d(h U + b_h)), ss [T]. dhRec, dDirect [R, H] scratch. */
export function gruBackward(
  T: i32,
  B: i32,
  R: i32,
  H: i32,
  gates: usize,
  hn: usize,
  hs: usize,
  UTp: usize,
  dAbove: usize,
  dxw: usize,
  dhw: usize,
  ss: usize,
  dhRec: usize,
  dDirect: usize,
): void {
  const G = 3 * H;
  const n0 = colsOf(H, 0);
  const n1 = colsOf(H, 1);
  const r0 = rowsOf(R, 0);
  const r1 = rowsOf(R, 1);
  if (TID == 0) {
    zero(dDirect, R * H);
    zero(dhRec, R * H);
  }
  barrier();
  for (let t = T - 1; t >= 0; t--) {
    if (t < T - 1) gemmCols(at(dhw, (t + 1) * R, G, 0), G, UTp, dhRec, H, R, G, H, 0, n0, n1);
    barrier();
    let sq = f32x4.splat(0);
    for (let b = r0; b < r1; b++) {
      const row = t * B + b;
      for (let j = 0; j < H; j += 4) {
        const n = min(4, H - j);
        const pd = at(dDirect, b, H, j);
        const dh = f32x4.add(f32x4.add(loadN(at(dAbove, t * R + b, H, j), n), loadN(at(dhRec, b, H, j), n)), loadN(pd, n));
        sq = f32x4.add(sq, f32x4.mul(dh, dh));
        const gp = at(gates, row, G, j);
        const z = loadN(gp, n);
        const r = loadN(gp + <usize>H * 4, n);
        const nv = loadN(gp + <usize>H * 8, n);
        const hp = loadN(at(hs, row, H, j), n);
        const dnPre = f32x4.mul(f32x4.mul(dh, f32x4.sub(ONE, z)), f32x4.sub(ONE, f32x4.mul(nv, nv)));
        const dzPre = f32x4.mul(f32x4.mul(dh, f32x4.sub(hp, nv)), f32x4.mul(z, f32x4.sub(ONE, z)));
        const drPre = f32x4.mul(f32x4.mul(dnPre, loadN(at(hn, row, H, j), n)), f32x4.mul(r, f32x4.sub(ONE, r)));
        const dx = at(dxw, t * R + b, G, j);
        const dw = at(dhw, t * R + b, G, j);
        storeN(dx, dzPre, n);
        storeN(dx + <usize>H * 4, drPre, n);
        storeN(dx + <usize>H * 8, dnPre, n);
        storeN(dw, dzPre, n);
        storeN(dw + <usize>H * 4, drPre, n);
        storeN(dw + <usize>H * 8, f32x4.mul(dnPre, r), n);
        storeN(pd, f32x4.mul(dh, z), n);
      }
    }
    store<f32>(ss + <usize>(TID * T + t) * 4, hsum(sq));
    barrier();
  }
}

// ------------------------------------------------------------------ vanilla RNN

/** xw [T*B, H]: x W + b in, pre-activations out; h_t = tanh(.) into hs. */
export function rnnForward(T: i32, B: i32, H: i32, xw: usize, Up: usize, hs: usize): void {
  const n0 = colsOf(H, 0);
  const n1 = colsOf(H, 1);
  const b0 = rowsOf(B, 0);
  const b1 = rowsOf(B, 1);
  for (let t = 0; t < T; t++) {
    gemmCols(at(hs, t * B, H, 0), H, Up, at(xw, t * B, H, 0), H, B, H, H, 1, n0, n1);
    barrier();
    for (let b = b0; b < b1; b++) {
      const row = t * B + b;
      for (let j = 0; j < H; j += 4) {
        const n = min(4, H - j);
        storeN(at(hs, row + B, H, j), vtanh(loadN(at(xw, row, H, j), n)), n);
      }
    }
    barrier();
  }
}

/** Out: da [T*R, H] (pre-activation gradients), ss [T]. dhRec [R, H] scratch. */
export function rnnBackward(T: i32, B: i32, R: i32, H: i32, hs: usize, UTp: usize, dAbove: usize, da: usize, ss: usize, dhRec: usize): void {
  const n0 = colsOf(H, 0);
  const n1 = colsOf(H, 1);
  const r0 = rowsOf(R, 0);
  const r1 = rowsOf(R, 1);
  if (TID == 0) zero(dhRec, R * H);
  barrier();
  for (let t = T - 1; t >= 0; t--) {
    if (t < T - 1) gemmCols(at(da, (t + 1) * R, H, 0), H, UTp, dhRec, H, R, H, H, 0, n0, n1);
    barrier();
    let sq = f32x4.splat(0);
    for (let b = r0; b < r1; b++) {
      for (let j = 0; j < H; j += 4) {
        const n = min(4, H - j);
        const dh = f32x4.add(loadN(at(dAbove, t * R + b, H, j), n), loadN(at(dhRec, b, H, j), n));
        sq = f32x4.add(sq, f32x4.mul(dh, dh));
        const h = loadN(at(hs, t * B + b + B, H, j), n);
        storeN(at(da, t * R + b, H, j), f32x4.mul(dh, f32x4.sub(ONE, f32x4.mul(h, h))), n);
      }
    }
    store<f32>(ss + <usize>(TID * T + t) * 4, hsum(sq));
    barrier();
  }
}

/**
 * dU [H, G] = hPrev^T dHW over all steps: hPrev [M, H] (M = T*B rows of hs), dHW [M, G]. hT [H, M]
 * and P (dHW packed) are scratch. Each phase is split between the threads.
 */
export function weightGrad(hPrev: usize, M: i32, H: i32, dhw: usize, G: i32, hT: usize, P: usize, dU: usize): void {
  transposeRows(hPrev, M, H, hT, rowsOf(M, 0), rowsOf(M, 1));
  const panels = (G + 7) >> 3;
  packPanels(dhw, G, M, G, 0, P, rowsOf(panels, 0), rowsOf(panels, 1));
  barrier();
  gemmCols(hT, M, P, dU, G, H, M, G, 0, colsOf(G, 0), colsOf(G, 1));
  barrier();
}

/** Rows i0..i1 of src [M, N] into dst [N, M] = src^T. */
function transposeRows(src: usize, M: i32, N: i32, dst: usize, i0: i32, i1: i32): void {
  for (let a = i0; a < i1; a += 32) {
    const a1 = min(i1, a + 32);
    for (let j0 = 0; j0 < N; j0 += 32) {
      const j1 = min(N, j0 + 32);
      for (let i = a; i < a1; i++) for (let j = j0; j < j1; j++) store<f32>(dst + <usize>(j * M + i) * 4, load<f32>(src + <usize>(i * N + j) * 4));
    }
  }
}

/** The worker thread's loop: runs each job posted at ctrl until a stop job. */
export function serve(ctrl: usize): void {
  serveJobs(ctrl, runJob);
}

/** The worker thread's side of a job: the same call as the main thread's, with this thread's share. */
function runJob(kind: i32, a: usize): void {
  if (kind == 1) lstmForward(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4), arg(a, 5), arg(a, 6), arg(a, 7));
  else if (kind == 2)
    lstmBackward(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4), arg(a, 5), arg(a, 6), arg(a, 7), arg(a, 8), arg(a, 9), arg(a, 10), arg(a, 11), arg(a, 12), arg(a, 13));
  else if (kind == 3) gruForward(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4), arg(a, 5), arg(a, 6), arg(a, 7), arg(a, 8));
  else if (kind == 4)
    gruBackward(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4), arg(a, 5), arg(a, 6), arg(a, 7), arg(a, 8), arg(a, 9), arg(a, 10), arg(a, 11), arg(a, 12), arg(a, 13));
  else if (kind == 5) rnnForward(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4), arg(a, 5));
  else if (kind == 6) rnnBackward(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4), arg(a, 5), arg(a, 6), arg(a, 7), arg(a, 8), arg(a, 9));
  else if (kind == 7) weightGrad(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4), arg(a, 5), arg(a, 6), arg(a, 7));
}

function arg(a: usize, i: i32): i32 {
  return load<i32>(a + <usize>i * 4);
}

// ------------------------------------------------------------------ rows

/** out[i] = table[ids[i]] + bias: a one-hot input times a kernel. ids: i32 [M]; table [V, N]. */
export function gatherRows(table: usize, ids: usize, bias: usize, M: i32, N: i32, out: usize): void {
  for (let i = 0; i < M; i++) {
    const src = at(table, load<i32>(ids + <usize>i * 4), N, 0);
    const dst = at(out, i, N, 0);
    for (let j = 0; j < N; j += 4) {
      const n = min(4, N - j);
      storeN(dst + <usize>j * 4, f32x4.add(loadN(src + <usize>j * 4, n), loadN(bias + <usize>j * 4, n)), n);
    }
  }
}

/** out[V, N] = 0, then out[ids[i]] += rows[i]; sums[N] = column sums of rows[M, N]. */
export function scatterRowsAndSum(rows: usize, ids: usize, M: i32, N: i32, V: i32, out: usize, sums: usize): void {
  zero(out, V * N);
  zero(sums, N);
  for (let i = 0; i < M; i++) {
    const src = at(rows, i, N, 0);
    const dst = at(out, load<i32>(ids + <usize>i * 4), N, 0);
    for (let j = 0; j < N; j += 4) {
      const n = min(4, N - j);
      const x = loadN(src + <usize>j * 4, n);
      storeN(dst + <usize>j * 4, f32x4.add(loadN(dst + <usize>j * 4, n), x), n);
      storeN(sums + <usize>j * 4, f32x4.add(loadN(sums + <usize>j * 4, n), x), n);
    }
  }
}

/** sums[N] = column sums of rows[M, N]. */
export function colSums(rows: usize, M: i32, N: i32, sums: usize): void {
  zero(sums, N);
  for (let i = 0; i < M; i++) {
    const src = at(rows, i, N, 0);
    for (let j = 0; j < N; j += 4) {
      const n = min(4, N - j);
      storeN(sums + <usize>j * 4, f32x4.add(loadN(sums + <usize>j * 4, n), loadN(src + <usize>j * 4, n)), n);
    }
  }
}
