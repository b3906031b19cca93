/**
 * What every language model of Sequence Lab offers the trainer and the sampler, and the factory that
 * builds one from a configuration. Two families, as in the d2l chapter:
 * - latent-variable models (RNN, GRU, LSTM): a hidden state h_t summarises everything seen so far;
 * - the autoregressive fixed-window model: an MLP that sees only the last tau tokens.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../protocol/types';
import type { Batch } from './batches';
import type { CellState } from './cells';
import type { ParamStore } from './params';

/** Hidden state carried between batches (sequential batching): one CellState per layer. */
export type ModelState = CellState[];

export interface StepResult {
  /** Mean cross-entropy over the batch's targets, nats/token (scalar). */
  loss: tf.Scalar;
  /** dL/dθ for every parameter, by Keras name. */
  grads: Record<string, tf.Tensor>;
  /**
   * When requested, [layers, window] (fixed-window model: [1, tau], per context position):
   * lastStepGradNorms: ||dℓ_T/dh_t||, the gradient of the last prediction's loss (see GradMap);
   * totalGradNorms: ||dL/dh_t||, the gradient of the whole window's loss.
   */
  totalGradNorms?: tf.Tensor2D;
  lastStepGradNorms?: tf.Tensor2D;
  /** LSTM, with lastStepGradNorms: ||dℓ_T/dc_t|| through c_{t+1}, [layers, window]. */
  lastStepCellGradNorms?: tf.Tensor2D;
  /** When requested with the map: ℓ_T, the mean loss of the window's last prediction (scalar). */
  lastStepLoss?: tf.Scalar;
  /** The state after the last time step, to carry into the next batch (recurrent models only). */
  finalState?: ModelState;
}

/** Predicts one token at a time, for sampling and inspection. */
export interface Predictor {
  /** Consumes `token` and returns log-probabilities of the next token [V]. */
  feed(token: number): Float32Array;
  /** An independent copy of this predictor, in the same state (beam search follows several continuations). */
  fork(): Predictor;
  dispose(): void;
}

export interface LanguageModel {
  readonly config: TrainConfig;
  readonly vocabSize: number;
  readonly params: ParamStore;
  /** Extra input tokens each window needs before its first target (tau - 1 for the window model). */
  readonly prefix: number;
  /** Rows of the gradient map: stacked layers, or 1 for the window model. */
  readonly mapRows: number;
  /**
   * Forward and backward through one batch. Call inside tf.tidy. With `wantGradMap`, the whole-window
   * map, and unless `lastStep` is false the last prediction's map too.
   */
  trainStep(batch: Batch, state: ModelState | undefined, wantGradMap: boolean, probes?: tf.Tensor2D[][], lastStep?: boolean): StepResult;
  /** Sum of the token losses of a batch (scalar), forward only. Call inside tf.tidy. */
  evaluate(batch: Batch): tf.Scalar;
  predictor(): Predictor;
  dispose(): void;
}
