/**
 * Choosing the TensorFlow.js backend: `tensorflow` (tfjs-node, native, fastest, optional), `wasm`
 * (portable, SIMD, single-threaded in Node), `cpu` (pure JavaScript, slowest). `auto` takes the best
 * one that loads and says why.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice, BackendName } from '../protocol/types';
import { SeqLabError } from './errors';
import { FUSED_BACKENDS } from './kernels/kernelIO';
import { simdKernels } from './kernels/simdModule';

export interface BackendSelection {
  name: BackendName;
  /** One sentence for the user: why this backend. */
  reason: string;
}

/** tfjs-node's libtensorflow is built with AVX and dies with SIGILL without it: check before loading it. */
function cpuHasAvx(): boolean | undefined {
  try {
    return /\bavx\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return undefined; // not Linux: let the load decide
  }
}

async function tryTensorflow(): Promise<string | undefined> {
  if (cpuHasAvx() === false) return 'this CPU lacks AVX, which the native TensorFlow library needs';
  try {
    require('@tensorflow/tfjs-node');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    return missing
      ? '@tensorflow/tfjs-node is not installed (it is optional: `npm install @tensorflow/tfjs-node` where its download works)'
      : `@tensorflow/tfjs-node failed to load: ${(e as Error).message}`;
  }
  return (await tf.setBackend('tensorflow')) ? undefined : 'the tensorflow backend did not initialise';
}

async function tryWasm(): Promise<string | undefined> {
  try {
    require('@tensorflow/tfjs-backend-wasm');
    return (await tf.setBackend('wasm')) ? undefined : 'the wasm backend did not initialise';
  } catch (e) {
    return `the wasm backend failed to load: ${(e as Error).message}`;
  }
}

async function tryCpu(): Promise<string | undefined> {
  require('@tensorflow/tfjs-backend-cpu');
  return (await tf.setBackend('cpu')) ? undefined : 'the cpu backend did not initialise';
}

const LOADERS: Record<BackendName, () => Promise<string | undefined>> = { tensorflow: tryTensorflow, wasm: tryWasm, cpu: tryCpu };

/**
 * On the backends whose tensors live in this process, the recurrent layers run in our own WebAssembly
 * SIMD kernels (kernels/simdLayers.ts) where the runtime validates them: the backend line says so.
 */
function withKernels(selection: BackendSelection): BackendSelection {
  if (!(FUSED_BACKENDS as readonly string[]).includes(selection.name)) return selection;
  const k = simdKernels();
  if (!k) return { ...selection, reason: `${selection.reason}; recurrent layers in fused kernels (this runtime has no WebAssembly SIMD)` };
  const fma = k.variant === 'relaxed-simd' ? 'relaxed SIMD, fused multiply-add' : '128-bit SIMD';
  return { ...selection, reason: `${selection.name} + SIMD kernels (${fma}) for the recurrent layers; ${selection.reason}` };
}

/** Loads and activates a backend. Throws BACKEND_UNAVAILABLE when an explicit choice cannot load. */
export async function selectBackend(choice: BackendChoice): Promise<BackendSelection> {
  return withKernels(await loadBackend(choice));
}

async function loadBackend(choice: BackendChoice): Promise<BackendSelection> {
  if (choice !== 'auto') {
    const problem = await LOADERS[choice]();
    if (problem) throw new SeqLabError('BACKEND_UNAVAILABLE', `The ${choice} backend is not available: ${problem}.`, 'Choose "auto" to use the best backend that loads.');
    await tf.ready();
    return { name: choice, reason: `${choice} was chosen in the settings` };
  }
  const skipped: string[] = [];
  for (const name of ['tensorflow', 'wasm', 'cpu'] as const) {
    const problem = await LOADERS[name]();
    if (!problem) {
      await tf.ready();
      const why =
        name === 'tensorflow' ? 'native TensorFlow is installed and loads' : name === 'wasm' ? 'the wasm backend is the fastest that loads' : 'the only backend that loads';
      return { name, reason: skipped.length ? `${why}; skipped ${skipped.join('; ')}` : why };
    }
    skipped.push(`${name}: ${problem}`);
  }
  throw new SeqLabError('BACKEND_UNAVAILABLE', `No TensorFlow.js backend loads: ${skipped.join('; ')}.`);
}
