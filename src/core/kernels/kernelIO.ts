/**
 * Reading and writing tensor memory from kernels written in TypeScript, on the two backends that keep
 * tensors in this process: `wasm` (float32 views into the wasm heap, no copy) and `cpu` (the backend's
 * own typed arrays). Native TensorFlow (`tensorflow`) keeps tensors outside JavaScript; there the
 * models use tfjs ops instead.
 */
import type * as tf from '@tensorflow/tfjs-core';

export const FUSED_BACKENDS = ['wasm', 'cpu'] as const;

/** The slice of the backend APIs our kernels use. */
interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

interface CpuLike {
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
  data: { get(dataId: object): { values: Float32Array } };
}

export interface KernelMemory {
  /** Allocates outputs. Call before `view`: on wasm an allocation may grow the heap and detach views. */
  alloc(shape: number[]): tf.TensorInfo;
  /** A float32 view of a tensor's memory (input or output); a function property, so it can be passed to `map`. */
  view: (info: tf.TensorInfo) => Float32Array;
}

export function kernelMemory(backend: unknown, backendName: string): KernelMemory {
  if (backendName === 'wasm') {
    const wasm = backend as WasmLike;
    return { alloc: (shape) => wasm.makeOutput(shape, 'float32'), view: (info) => wasm.typedArrayFromHeap(info) };
  }
  const cpu = backend as CpuLike;
  return {
    alloc: (shape) => cpu.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1))),
    view: (info) => cpu.data.get(info.dataId).values,
  };
}
