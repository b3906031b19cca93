// AssemblyScript (compiled by esbuild.mjs with asc, not by tsc): a register-blocked f32 matrix product
// with 128-bit SIMD, over memory the caller lays out. Pointers are byte offsets; matrices row-major.
//
// B is packed once into panels of NR = 8 columns (panel p holds rows k = 0..K-1 of columns 8p..8p+7,
// zero past N), so the micro-kernel reads 32 contiguous bytes per k. A 4x8 block of C lives in eight
// v128 accumulators for a whole K block; K is cut into blocks of KC so that a panel and the rows of A
// it meets stay in cache.

const NR: i32 = 8;
const KC: i32 = 256;

/** a * b + c: fused where the relaxed-SIMD build has it, a multiply and an add otherwise. */
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Bytes of a packed B of K rows and N columns. */
export function packedBytes(K: i32, N: i32): i32 {
  return ((N + NR - 1) / NR) * K * NR * 4;
}

/**
 * Packs B into panels. trans = 0: B [K, N] at src with row stride ldb (floats); trans = 1: src holds
 * B^T, [N, K] with row stride ldb (so B[k, n] = src[n * ldb + k]).
 */
export function packB(src: usize, ldb: i32, K: i32, N: i32, trans: i32, dst: usize): void {
  packPanels(src, ldb, K, N, trans, dst, 0, (N + NR - 1) / NR);
}

/** Panels p0..p1 of packB (the threads split them). */
export function packPanels(src: usize, ldb: i32, K: i32, N: i32, trans: i32, dst: usize, p0: i32, p1: i32): void {
  for (let p = p0; p < p1; p++) {
    const n0 = p * NR;
    const w = min(NR, N - n0);
    let d = dst + <usize>(p * K * NR) * 4;
    if (trans == 0) {
      for (let k = 0; k < K; k++) {
        const s = src + <usize>(k * ldb + n0) * 4;
        if (w == NR) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
        } else {
          for (let c = 0; c < NR; c++) store<f32>(d + <usize>c * 4, c < w ? load<f32>(s + <usize>c * 4) : 0);
        }
        d += NR * 4;
      }
    } else {
      // Column n of B is row n of src: read 8 rows side by side.
      for (let k = 0; k < K; k++) {
        for (let c = 0; c < NR; c++) store<f32>(d + <usize>c * 4, c < w ? load<f32>(src + <usize>((n0 + c) * ldb + k) * 4) : 0);
        d += NR * 4;
      }
    }
  }
}

/** Stores an accumulator pair to C row c (8 columns, w of them real), adding what is there when acc. */
function storeRow(c: usize, v0: v128, v1: v128, w: i32, acc: bool): void {
  if (w == NR) {
    if (acc) {
      v0 = f32x4.add(v0, v128.load(c));
      v1 = f32x4.add(v1, v128.load(c, 16));
    }
    v128.store(c, v0);
    v128.store(c, v1, 16);
    return;
  }
  for (let j = 0; j < w; j++) {
    const x: f32 = j < 4 ? extractLane(v0, j) : extractLane(v1, j - 4);
    const q = c + <usize>j * 4;
    store<f32>(q, acc ? load<f32>(q) + x : x);
  }
}

function extractLane(v: v128, j: i32): f32 {
  if (j == 0) return f32x4.extract_lane(v, 0);
  if (j == 1) return f32x4.extract_lane(v, 1);
  if (j == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}

/**
 * C[M, N] = (acc ? C : 0) + A[M, K] B, B packed by packB. lda, ldc: row strides in floats.
 * Rows n0..n1 of the panels only (n0 a multiple of 8): the thread pool splits N this way.
 */
export function gemmCols(A: usize, lda: i32, Bp: usize, C: usize, ldc: i32, M: i32, K: i32, N: i32, acc: i32, n0: i32, n1: i32): void {
  const a4 = <usize>lda * 4;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const add = acc != 0 || k0 > 0;
    for (let j0 = n0; j0 < n1; j0 += NR) {
      const w = min(NR, N - j0);
      const panel = Bp + <usize>((j0 / NR) * K * NR + k0 * NR) * 4;
      let i = 0;
      for (; i + 4 <= M; i += 4) {
        let c00 = f32x4.splat(0),
          c01 = f32x4.splat(0),
          c10 = f32x4.splat(0),
          c11 = f32x4.splat(0);
        let c20 = f32x4.splat(0),
          c21 = f32x4.splat(0),
          c30 = f32x4.splat(0),
          c31 = f32x4.splat(0);
        let a = A + <usize>(i * lda + k0) * 4;
        let b = panel;
        for (let k = 0; k < kc; k++) {
          const b0 = v128.load(b);
          const b1 = v128.load(b, 16);
          let x = v128.load32_splat(a);
          c00 = madd(x, b0, c00);
          c01 = madd(x, b1, c01);
          x = v128.load32_splat(a + a4);
          c10 = madd(x, b0, c10);
          c11 = madd(x, b1, c11);
          x = v128.load32_splat(a + 2 * a4);
          c20 = madd(x, b0, c20);
          c21 = madd(x, b1, c21);
          x = v128.load32_splat(a + 3 * a4);
          c30 = madd(x, b0, c30);
          c31 = madd(x, b1, c31);
          a += 4;
          b += NR * 4;
        }
        const c = C + <usize>(i * ldc + j0) * 4;
        const c4 = <usize>ldc * 4;
        storeRow(c, c00, c01, w, add);
        storeRow(c + c4, c10, c11, w, add);
        storeRow(c + 2 * c4, c20, c21, w, add);
        storeRow(c + 3 * c4, c30, c31, w, add);
      }
      for (; i < M; i++) {
        let c00 = f32x4.splat(0),
          c01 = f32x4.splat(0);
        let a = A + <usize>(i * lda + k0) * 4;
        let b = panel;
        for (let k = 0; k < kc; k++) {
          const x = v128.load32_splat(a);
          c00 = madd(x, v128.load(b), c00);
          c01 = madd(x, v128.load(b, 16), c01);
          a += 4;
          b += NR * 4;
        }
        storeRow(C + <usize>(i * ldc + j0) * 4, c00, c01, w, add);
      }
    }
  }
}

/** C[M, N] = (acc ? C : 0) + A[M, K] B over all columns. */
export function gemm(A: usize, lda: i32, Bp: usize, C: usize, ldc: i32, M: i32, K: i32, N: i32, acc: i32): void {
  gemmCols(A, lda, Bp, C, ldc, M, K, N, acc, 0, N);
}

/** dst[N, M] = src[M, N]^T, in 32x32 blocks. */
export function transpose(src: usize, M: i32, N: i32, dst: usize): void {
  for (let i0 = 0; i0 < M; i0 += 32) {
    const i1 = min(M, i0 + 32);
    for (let j0 = 0; j0 < N; j0 += 32) {
      const j1 = min(N, j0 + 32);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) store<f32>(dst + <usize>(j * M + i) * 4, load<f32>(src + <usize>(i * N + j) * 4));
    }
  }
}
