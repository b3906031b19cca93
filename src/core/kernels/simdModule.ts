/**
 * Loading our WebAssembly SIMD kernels (src/core/kernels/asm, compiled by esbuild.mjs into
 * dist/seqlab-kernels.{relaxed,simd}.wasm) and laying out their memory.
 *
 * Two builds of the same source: relaxed SIMD (fused multiply-add in the matrix product) where the
 * runtime validates it (Node 22+, current VS Code), plain 128-bit SIMD otherwise (Node 20). Where
 * neither validates, or the files are missing, there are no kernels and the models use tfjs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The slice of the WebAssembly API used here (tsconfig's lib, ES2022, does not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The functions of asm/recurrent.ts. Pointers are byte offsets into `memory`, sizes in floats. */
export interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
  packedBytes(K: number, N: number): number;
  packB(src: number, ldb: number, K: number, N: number, trans: number, dst: number): void;
  gemm(A: number, lda: number, Bp: number, C: number, ldc: number, M: number, K: number, N: number, acc: number): void;
  transpose(src: number, M: number, N: number, dst: number): void;
  lstmForward(T: number, B: number, H: number, xw: number, Up: number, hs: number, cs: number, tc: number): void;
  lstmBackward(
    T: number,
    B: number,
    R: number,
    H: number,
    acts: number,
    cs: number,
    tc: number,
    UTp: number,
    dAbove: number,
    dz: number,
    ss: number,
    dhRec: number,
    dcN: number,
  ): void;
  gruForward(T: number, B: number, H: number, xw: number, Up: number, bh: number, hs: number, hn: number, hU: number): void;
  gruBackward(
    T: number,
    B: number,
    R: number,
    H: number,
    gates: number,
    hn: number,
    hs: number,
    UTp: number,
    dAbove: number,
    dxw: number,
    dhw: number,
    ss: number,
    dhRec: number,
    dDirect: number,
  ): void;
  rnnForward(T: number, B: number, H: number, xw: number, Up: number, hs: number): void;
  rnnBackward(T: number, B: number, R: number, H: number, hs: number, UTp: number, dAbove: number, da: number, ss: number, dhRec: number): void;
  gatherRows(table: number, ids: number, bias: number, M: number, N: number, out: number): void;
  scatterRowsAndSum(rows: number, ids: number, M: number, N: number, V: number, out: number, sums: number): void;
  colSums(rows: number, M: number, N: number, sums: number): void;
}

export type SimdVariant = 'relaxed-simd' | 'simd';

export interface SimdKernels {
  variant: SimdVariant;
  exports: KernelExports;
}

const FILES: Record<SimdVariant, string> = { 'relaxed-simd': 'seqlab-kernels.relaxed.wasm', simd: 'seqlab-kernels.simd.wasm' };

/** The folder holding the built kernels: beside the bundle (dist/), or the repository's dist/ (compiled tests in out/). */
function findFile(name: string): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [path.join(dir, name), path.join(dir, 'dist', name)]) if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

let loaded: SimdKernels | null | undefined;

/** Compiles and instantiates the best build this runtime validates, once per thread; undefined where none does. */
export function simdKernels(): SimdKernels | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (process.env.SEQLAB_SIMD_KERNELS === '0') return undefined; // an escape hatch, and how tests compare against tfjs
  for (const variant of ['relaxed-simd', 'simd'] as const) {
    if (process.env.SEQLAB_SIMD_KERNELS === 'simd' && variant === 'relaxed-simd') continue;
    const file = findFile(FILES[variant]);
    if (!file) continue;
    const bytes = fs.readFileSync(file);
    if (!WebAssembly.validate(bytes)) continue;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    loaded = { variant, exports: instance.exports as unknown as KernelExports };
    break;
  }
  return loaded ?? undefined;
}

/**
 * A bump allocator over the kernels' memory: a training step lays out its buffers, and `reset` frees
 * them all at the next step. The memory grows to the largest step and stays (flat over a run).
 */
export class KernelArena {
  private readonly start: number;
  private top: number;
  private f32view = new Float32Array(0);
  private i32view = new Int32Array(0);

  constructor(readonly k: KernelExports) {
    this.start = k.heapBase();
    this.top = this.start;
  }

  reset(): void {
    this.top = this.start;
  }

  /** Byte offset of `floats` fresh floats (or 32-bit ints), 64-byte aligned; contents undefined. */
  alloc(floats: number): number {
    const p = this.top;
    this.top += Math.ceil((floats * 4) / 64) * 64;
    const short = this.top - this.k.memory.buffer.byteLength;
    if (short > 0) this.k.memory.grow(Math.ceil(short / 65536));
    return p;
  }

  /** Byte offset of `bytes` fresh bytes. */
  allocBytes(bytes: number): number {
    return this.alloc(Math.ceil(bytes / 4));
  }

  f32(): Float32Array {
    if (this.f32view.buffer !== this.k.memory.buffer) this.f32view = new Float32Array(this.k.memory.buffer);
    return this.f32view;
  }

  i32(): Int32Array {
    if (this.i32view.buffer !== this.k.memory.buffer) this.i32view = new Int32Array(this.k.memory.buffer);
    return this.i32view;
  }

  /** Copies data in; returns its byte offset. */
  put(data: Float32Array | Int32Array): number {
    const p = this.alloc(data.length);
    (data instanceof Int32Array ? this.i32() : this.f32()).set(data, p / 4);
    return p;
  }

  /** A copy of `n` floats at byte offset p. */
  read(p: number, n: number): Float32Array {
    return this.f32().slice(p / 4, p / 4 + n);
  }
}
