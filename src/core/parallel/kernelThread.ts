/**
 * The second thread of the kernels' two-thread pool (a worker_threads entry, bundled to
 * dist/kernelThread.js): it instantiates the threaded kernels over the main thread's shared memory and
 * serves jobs until told to stop. Everything it does happens inside WebAssembly (asm/threads.ts).
 */
import { workerData } from 'node:worker_threads';

interface ThreadData {
  module: object;
  memory: object;
  ctrl: number;
  bar: number;
}

interface ThreadExports {
  setThread(tid: number, nt: number, bar: number): void;
  serve(ctrl: number): void;
}

const wasm = (globalThis as unknown as { WebAssembly: { Instance: new (m: object, imports: object) => { exports: unknown } } }).WebAssembly;
const data = workerData as ThreadData;
const k = new wasm.Instance(data.module, { env: { memory: data.memory } }).exports as ThreadExports;
k.setThread(1, 2, data.bar);
k.serve(data.ctrl); // returns on the stop job
