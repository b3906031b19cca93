/** Shared test helpers: backends, tiny configurations, random batches. */
import * as tf from '@tensorflow/tfjs-core';
// Autodiff is the reference in tests only (the models' own backward passes need no registered
// gradients); the umbrella package registers every gradient with the same tfjs-core instance.
import '@tensorflow/tfjs';
import * as path from 'node:path';
import { selectBackend } from '../../src/core/backend';
import { DEFAULT_CONFIG } from '../../src/core/config';
import type { Batch } from '../../src/core/batches';
import { Rng } from '../../src/core/rng';
import type { TrainConfig } from '../../src/protocol/types';

/** The corpora the tests read, inside the repository (test/fixtures/data), so a fresh clone passes on its own. */
export const TEST_DATA = path.resolve(__dirname, '../../../test/fixtures/data');

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (tf.getBackend() !== name) await selectBackend(name);
}

export function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return { ...DEFAULT_CONFIG, hidden: 6, layers: 1, batch: 3, window: 5, steps: 10, ...overrides };
}

/** A random batch of ids below `vocab`, time-major, with `prefix` extra leading inputs. */
export function randomBatch(rng: Rng, vocab: number, batch: number, window: number, prefix = 0): Batch {
  const x = Int32Array.from({ length: (prefix + window) * batch }, () => rng.int(vocab));
  const y = Int32Array.from({ length: window * batch }, () => rng.int(vocab));
  return { x, y, batch, window, prefix, continues: false };
}

/** The largest elementwise |a - b| / (|a| + |b|), with a floor of 1e-3 on the denominator so near-zero entries compare absolutely. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(a[i]) + Math.abs(b[i])));
  return worst;
}
