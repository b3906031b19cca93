/**
 * Optimizers (tfjs's Adam, SGD, RMSprop) and the parts tfjs lacks: global-norm gradient clipping and
 * a portable form of the optimizer state for checkpoints (tfjs names state after variables, whose
 * names differ from process to process; checkpoints use the Keras weight names instead).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerName } from '../protocol/types';
import type { NamedArray, ParamStore } from './params';

export function createOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
  }
}

export function sumOfSquares(a: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * a[i];
  return sum;
}

/**
 * Scales gradients in place so that their global norm is at most `clip` (0: no clipping).
 * `globalNorm` is the norm before clipping, already computed by the caller. Returns whether it clipped.
 */
export function clipByGlobalNorm(grads: Float32Array[], globalNorm: number, clip: number): boolean {
  if (clip <= 0 || globalNorm <= clip) return false;
  const scale = clip / globalNorm;
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
  return true;
}

/** Applies gradients in the store's fixed parameter order (tfjs matches optimizer slots by position). */
export function applyGradients(optimizer: tf.Optimizer, params: ParamStore, grads: Record<string, tf.Tensor>): void {
  optimizer.applyGradients(params.names().map((name) => ({ name: params.variableName(name), tensor: grads[name] })));
}

/** The optimizer's state with variable names replaced by Keras names. */
export async function readOptimizerState(optimizer: tf.Optimizer, params: ParamStore): Promise<NamedArray[]> {
  const toKeras = new Map(params.names().map((n) => [params.variableName(n), n]));
  const weights = await optimizer.getWeights();
  return weights.map(({ name, tensor }) => {
    // Slot names look like "<variable>/m"; "iter" holds the step count.
    const slash = name.lastIndexOf('/');
    const variable = slash > 0 ? name.slice(0, slash) : name;
    const portable = toKeras.has(variable) ? `${toKeras.get(variable)}${name.slice(slash)}` : name;
    return { name: portable, shape: tensor.shape, data: tensor.dataSync() as Float32Array };
  });
}

export async function writeOptimizerState(optimizer: tf.Optimizer, params: ParamStore, state: readonly NamedArray[]): Promise<void> {
  const fromKeras = new Map(params.names().map((n) => [n, params.variableName(n)]));
  const named = state.map(({ name, shape, data }) => {
    const slash = name.lastIndexOf('/');
    const weight = slash > 0 ? name.slice(0, slash) : name;
    const local = fromKeras.has(weight) ? `${fromKeras.get(weight)}${name.slice(slash)}` : name;
    return { name: local, tensor: tf.tensor(data, shape) };
  });
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
}
