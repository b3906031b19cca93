/**
 * The training loop of the network regressors, top to bottom: batch, forward and backward (one
 * tf.tidy per step), clip by global norm, Adam step, log; every `evalInterval` steps the one-step
 * error on the test part, every `gradMapInterval` the gradient-through-time map. Progress leaves
 * through hooks; the loop knows nothing of the worker or the editor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SeqLabError } from '../errors';
import { applyGradients, createOptimizer } from '../optimizer';
import { Rng } from '../rng';
import type { NetworkRegressor } from './networkRegressor';
import type { Series } from './series';

export interface RegressorTraining {
  steps: number;
  batch: number;
  lr: number;
  /** Global-norm clipping threshold; 0 turns it off. */
  clip: number;
  seed: number;
  evalInterval: number;
  gradMapInterval: number;
}

export const DEFAULT_REGRESSOR_TRAINING: RegressorTraining = { steps: 600, batch: 32, lr: 0.01, clip: 1, seed: 0, evalInterval: 50, gradMapInterval: 50 };

export interface RegressorHooks {
  onStep?(p: { step: number; loss: number; gradNorm: number }): void;
  /** `testMse`: one-step mean squared error on the test part, normalised units. */
  onEval?(p: { step: number; trainLoss: number; testMse: number }): void;
  /** One entry per input step of a window, oldest first. */
  onGradMap?(p: { step: number; total: number[]; last: number[] }): void;
  /** Asked between steps; true ends training after the current one. */
  shouldStop?(): boolean;
}

export interface RegressorTrainingResult {
  losses: number[];
  steps: number;
  stopped: boolean;
}

/** One-step mean squared error of the model on targets t in [from, to), normalised units. */
export function oneStepMse(model: NetworkRegressor, normalized: Series, from: number, to: number): number {
  const { context, dim } = model;
  const n = to - from;
  const contexts = new Float64Array(n * context * dim);
  for (let i = 0; i < n; i++) contexts.set(normalized.values.subarray((from + i - context) * dim, (from + i) * dim), i * context * dim);
  const [pred] = model.rollout(contexts, n, 1).mean;
  let sum = 0;
  for (let i = 0; i < pred.length; i++) sum += (pred[i] - normalized.values[from * dim + i]) ** 2;
  return sum / pred.length;
}

export async function trainRegressor(
  model: NetworkRegressor,
  normalized: Series,
  trainLength: number,
  options: RegressorTraining,
  hooks: RegressorHooks = {},
): Promise<RegressorTrainingResult> {
  const rng = new Rng(options.seed + 1); // the model's weights took the seed itself
  const optimizer = createOptimizer('adam', options.lr);
  const names = model.params.names();
  const losses: number[] = [];
  let step = 0;
  let stopped = false;
  try {
    for (; step < options.steps; step++) {
      if (hooks.shouldStop?.()) {
        stopped = true;
        break;
      }
      const wantMap = options.gradMapInterval > 0 && (step % options.gradMapInterval === 0 || step === options.steps - 1);
      const batch = model.batchFrom(normalized.values, trainLength, rng, options.batch);
      const out = tf.tidy(() => {
        const r = model.trainStep(batch, wantMap);
        const grads = names.map((n) => r.grads[n]);
        const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
        return { loss: r.loss, grads, norm, map: r.map ? tf.stack([r.map.total, r.map.last]) : undefined };
      });
      const loss = out.loss.dataSync()[0];
      const gradNorm = out.norm.dataSync()[0];
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        tf.dispose([out.loss, out.grads, out.norm, out.map]);
        throw new SeqLabError('DIVERGED', `The loss became ${loss} at step ${step + 1}.`, 'Lower the learning rate or clip the gradients.');
      }
      const scale = options.clip > 0 && gradNorm > options.clip ? options.clip / gradNorm : 1;
      tf.tidy(() => applyGradients(optimizer, model.params, Object.fromEntries(names.map((n, i) => [n, scale === 1 ? out.grads[i] : tf.mul(out.grads[i], scale)]))));
      const map = out.map ? (out.map.arraySync() as number[][]) : undefined;
      tf.dispose([out.loss, out.grads, out.norm, out.map]);
      losses.push(loss);
      hooks.onStep?.({ step: step + 1, loss, gradNorm });
      if (map) hooks.onGradMap?.({ step: step + 1, total: map[0], last: map[1] });
      if (hooks.onEval && options.evalInterval > 0 && ((step + 1) % options.evalInterval === 0 || step + 1 === options.steps)) {
        const recent = losses.slice(-options.evalInterval);
        hooks.onEval({ step: step + 1, trainLoss: recent.reduce((a, b) => a + b, 0) / recent.length, testMse: oneStepMse(model, normalized, trainLength, normalized.length) });
      }
      // Let messages in (a stop request) between steps.
      if (step % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    optimizer.dispose();
  }
  return { losses, steps: step, stopped };
}
