/**
 * A persistent two-thread pool for our SIMD kernels: a worker thread running the threaded kernels
 * over the same shared WebAssembly.Memory. Each layer call is posted as a job (a generation counter
 * and the arguments, in shared memory), then made on this thread too; the two split its products by
 * columns and its gate arithmetic by rows, meeting at barriers inside WebAssembly (asm/threads.ts):
 * a spin of a few microseconds, then Atomics.wait. Nothing is copied between the threads.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { KernelArena, SimdKernels, simdKernels } from '../kernels/simdModule';

/** dist/kernelThread.js beside the bundle (or the compiled kernelThread.js beside this file in tests). */
export const KERNEL_THREAD_ENTRY = path.join(__dirname, 'kernelThread.js');

export const JOB = { lstmForward: 1, lstmBackward: 2, gruForward: 3, gruBackward: 4, rnnForward: 5, rnnBackward: 6, weightGrad: 7 } as const;

export class KernelPool {
  private readonly worker: Worker;
  private readonly ctrl: number;
  private failure: Error | undefined;

  /** Reserves the control words in `arena` (which must be over the threaded kernels' shared memory) and starts the thread. */
  constructor(
    kernels: SimdKernels,
    private readonly arena: KernelArena,
    entry = KERNEL_THREAD_ENTRY,
  ) {
    if (!kernels.module || !kernels.threads) throw new Error('the kernel pool needs the threaded kernels');
    this.ctrl = arena.reserve(64); // generation, kind, up to 14 arguments
    const bar = arena.reserve(16); // barrier counter and generation
    arena.i32().fill(0, this.ctrl / 4, this.ctrl / 4 + 16);
    arena.i32().fill(0, bar / 4, bar / 4 + 4);
    kernels.exports.setThread(0, 2, bar);
    this.worker = new Worker(entry, { workerData: { module: kernels.module, memory: kernels.exports.memory, ctrl: this.ctrl, bar } });
    this.worker.unref(); // a waiting helper must not keep the process alive
    this.worker.on('error', (e) => (this.failure ??= e));
  }

  /** Posts a job to the other thread; the caller then makes the same call on this one. */
  post(kind: number, args: readonly number[]): void {
    if (this.failure) throw this.failure;
    const i32 = this.arena.i32();
    const c = this.ctrl / 4;
    for (let i = 0; i < args.length; i++) i32[c + 2 + i] = args[i];
    Atomics.store(i32, c + 1, kind);
    Atomics.add(i32, c, 1);
    Atomics.notify(i32, c);
  }
}

let shared: { kernels: SimdKernels; arena: KernelArena; pool: KernelPool } | null | undefined;

/**
 * The process's pool over the threaded kernels, started on first use and kept for the process (its
 * thread sleeps in Atomics.wait between steps and does not hold the process open); undefined where
 * the threaded build does not validate or the thread cannot start.
 */
export function kernelPool(): { kernels: SimdKernels; arena: KernelArena; pool: KernelPool } | undefined {
  if (shared !== undefined) return shared ?? undefined;
  shared = null;
  const kernels = simdKernels(true);
  if (!kernels) return undefined;
  const arena = new KernelArena(kernels.exports);
  shared = { kernels, arena, pool: new KernelPool(kernels, arena) };
  return shared;
}
