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
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => object;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The functions of asm/recurrent.ts. Pointers are byte offsets into `memory`, sizes in floats. */
export interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  heapBase: () => number;
  packedBytes: (K: number, N: number) => number;
  packB: (src: number, ldb: number, K: number, N: number, trans: number, dst: number) => void;
  gemm: (A: number, lda: number, Bp: number, C: number, ldc: number, M: number, K: number, N: number, acc: number) => void;
  transpose: (src: number, M: number, N: number, dst: number) => void;
  lstmForward: (T: number, B: number, H: number, xw: number, Up: number, hs: number, cs: number, tc: number) => void;
  lstmBackward: (
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
    ssc: number,
    dhRec: number,
    dcN: number,
  ) => void;
  gruForward: (T: number, B: number, H: number, xw: number, Up: number, bh: number, hs: number, hn: number, hU: number) => void;
  gruBackward: (
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
  ) => void;
  rnnForward: (T: number, B: number, H: number, xw: number, Up: number, hs: number) => void;
  rnnBackward: (T: number, B: number, R: number, H: number, hs: number, UTp: number, dAbove: number, da: number, ss: number, dhRec: number) => void;
  gatherRows: (table: number, ids: number, bias: number, M: number, N: number, out: number) => void;
  scatterRowsAndSum: (rows: number, ids: number, M: number, N: number, V: number, out: number, sums: number) => void;
  colSums: (rows: number, M: number, N: number, sums: number) => void;
  /** dU [H, G] = hPrev^T dHW (hT [H, M] and P, dHW packed, are scratch). */
  weightGrad: (hPrev: number, M: number, H: number, dhw: number, G: number, hT: number, P: number, dU: number) => void;
  /** Threaded builds: this instance's thread index, the thread count, the barrier's words. */
  setThread: (tid: number, nt: number, bar: number) => void;
}

export type SimdVariant = 'relaxed-simd' | 'simd';

export interface SimdKernels {
  variant: SimdVariant;
  exports: KernelExports;
  /** A build over shared memory that a second thread can join (parallel/kernelPool.ts). */
  threads: boolean;
  /** The compiled module, for the second thread (threaded builds). */
  module?: object;
}

const FILES: Record<SimdVariant, string> = { 'relaxed-simd': 'seqlab-kernels.relaxed', simd: 'seqlab-kernels.simd' };

/** Pages of 64 KiB: the threaded builds' shared memory reserves its maximum up front (1 GiB of address space, committed as it grows). */
const SHARED_PAGES = { initial: 32, maximum: 16384 };

/** The folder holding the built kernels: beside the bundle (dist/), or the repository's dist/ (compiled tests in out/). */
function findFile(name: string): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [path.join(dir, name), path.join(dir, 'dist', name)]) if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

const loaded = new Map<boolean, SimdKernels | null>();

/**
 * Compiles and instantiates the best build this runtime validates, once per thread (and per kind:
 * `threads` gives a build over a fresh shared memory, for the two-thread pool); undefined where none does.
 */
export function simdKernels(threads = false): SimdKernels | undefined {
  if (loaded.has(threads)) return loaded.get(threads) ?? undefined;
  loaded.set(threads, null);
  if (process.env.SEQLAB_SIMD_KERNELS === '0') return undefined; // an escape hatch, and how tests compare against tfjs
  for (const variant of ['relaxed-simd', 'simd'] as const) {
    if (process.env.SEQLAB_SIMD_KERNELS === 'simd' && variant === 'relaxed-simd') continue;
    const file = findFile(`${FILES[variant]}${threads ? '.threads' : ''}.wasm`);
    if (!file) continue;
    const bytes = fs.readFileSync(file);
    if (!WebAssembly.validate(bytes)) continue;
    const module = new WebAssembly.Module(bytes);
    const imports = threads ? { env: { memory: new WebAssembly.Memory({ ...SHARED_PAGES, shared: true }) } } : {};
    const instance = new WebAssembly.Instance(module, imports);
    loaded.set(threads, { variant, exports: instance.exports as KernelExports, threads, module: threads ? module : undefined });
    break;
  }
  return loaded.get(threads) ?? undefined;
}

/**
 * A bump allocator over the kernels' memory: a training step lays out its buffers, and `reset` frees
 * them all at the next step. The memory grows to the largest step and stays (flat over a run).
 */
export class KernelArena {
  private start: number;
  private top: number;
  private f32view = new Float32Array(0);
  private i32view = new Int32Array(0);

  constructor(readonly k: KernelExports) {
    this.start = k.heapBase();
    this.top = this.start;
  }

  /** Bytes kept for good (a pool's control words): every later reset starts after them. */
  reserve(bytes: number): number {
    this.reset();
    const p = this.allocBytes(bytes);
    this.start = this.top;
    return p;
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
