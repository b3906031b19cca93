/**
 * The shape every network regressor shares (the MLP over tau lags, the RNN/GRU/LSTM over x_t): it
 * draws its own training batches from the normalised training part, computes the loss and its
 * gradients by an explicit backward pass, and rolls forward as a SequencePredictor.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../params';
import type { Rng } from '../rng';
import type { HeadKind } from './regressionHead';
import type { SequencePredictor } from './sequencePredictor';

export const NETWORK_KINDS = ['mlp', 'rnn', 'gru', 'lstm'] as const;
export type NetworkKind = (typeof NETWORK_KINDS)[number];

export interface RegressorShape {
  kind: NetworkKind;
  head: HeadKind;
  /** Components d of x_t. */
  dim: number;
  /** Hidden units. */
  hidden: number;
  /** MLP: lags; latent models: the training window, also the context a forecast starts from. */
  context: number;
}

/** Inputs and targets of one batch, float32, row-major. */
export interface RegressionBatch {
  /** MLP [B, tau * d]; latent [W * B, d] time-major (row t * B + b). */
  inputs: Float32Array;
  /** MLP [B, d]; latent [W * B, d]: x_{t+1} for every input x_t. */
  targets: Float32Array;
  batch: number;
}

export interface StepOutput {
  /** Mean loss per component (normalised units; the Gaussian's is a negative log-likelihood). */
  loss: tf.Scalar;
  grads: Record<string, tf.Tensor>;
  /**
   * The gradient through time, one entry per input step (oldest first): ‖∂L/∂h_t‖ of the whole loss
   * and ‖∂ℓ_last/∂h_t‖ of the last prediction (the MLP: of its input lags, ‖∂L/∂x_{t-i}‖).
   */
  map?: { total: tf.Tensor1D; last: tf.Tensor1D };
}

export interface NetworkRegressor extends SequencePredictor {
  readonly shape: RegressorShape;
  readonly params: ParamStore;
  /** A batch of random windows from the first `trainLength` steps of the normalised series [T * d]. */
  batchFrom(normalized: Float64Array, trainLength: number, rng: Rng, batch: number): RegressionBatch;
  /** Forward and backward. Call inside tf.tidy. */
  trainStep(batch: RegressionBatch, wantMap: boolean): StepOutput;
  dispose(): void;
}
