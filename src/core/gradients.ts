/**
 * Where a training step's gradients come from. The trainer asks a GradientSource for the loss and
 * the gradients of one batch, as plain arrays, then clips and applies them itself:
 * - LocalGradients computes them in this thread;
 * - DataParallelGradients (parallel/) splits the batch with a replica on the second core.
 * Sequential batching's carried hidden state lives with the source that computes it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from './batches';
import type { LanguageModel, ModelState } from './model';
import { disposeState } from './recurrentModel';

export interface Gradients {
  /** Mean cross-entropy of the batch, nats/token. */
  loss: number;
  /** dL/dθ per parameter, in the ParamStore's order. */
  grads: Float32Array[];
  /** [layer][t] ||dℓ_T/dh_t|| and ||dL/dh_t||, when the map was asked for. */
  lastStepMap?: number[][];
  totalMap?: number[][];
  /** LSTM, with lastStepMap: [layer][t] ||dℓ_T/dc_t||. */
  lastStepCellMap?: number[][];
}

/** Hidden state carried between batches, for checkpoints: per layer, [B, H] row-major. */
export type CarriedState = { shape: [number, number]; h: Float32Array; c?: Float32Array }[];

export interface GradientSource {
  compute(batch: Batch, wantMap: boolean): Promise<Gradients>;
  /** Called with the gradients the trainer is about to apply (after clipping). */
  willApply(grads: Float32Array[]): void;
  getCarriedState(): Promise<CarriedState | undefined>;
  setCarriedState(state: CarriedState | undefined): Promise<void>;
  dispose(): Promise<void>;
}

export function stateToArrays(state: ModelState | undefined): CarriedState | undefined {
  return state?.map((s) => ({ shape: s.h.shape, h: s.h.dataSync() as Float32Array, c: s.c?.dataSync() as Float32Array | undefined }));
}

export function arraysToState(state: CarriedState | undefined): ModelState | undefined {
  return state?.map((s) => ({ h: tf.tensor2d(s.h, s.shape), c: s.c ? tf.tensor2d(s.c, s.shape) : undefined }));
}

/** Forward and backward in this thread. */
export class LocalGradients implements GradientSource {
  private state: ModelState | undefined;

  /** `lastStepMap` false: the whole-window map only (a data-parallel replica; see DataParallelGradients). */
  constructor(
    private readonly model: LanguageModel,
    private readonly carryState: boolean,
    private readonly lastStepMap = true,
  ) {}

  async compute(batch: Batch, wantMap: boolean): Promise<Gradients> {
    return this.computeSync(batch, wantMap);
  }

  computeSync(batch: Batch, wantMap: boolean): Gradients {
    const names = this.model.params.names();
    const out = tf.tidy(() => {
      const r = this.model.trainStep(batch, this.state, wantMap, undefined, this.lastStepMap);
      const parts = this.lastStepMap ? [r.totalGradNorms!, r.lastStepGradNorms!, ...(r.lastStepCellGradNorms ? [r.lastStepCellGradNorms] : [])] : [r.totalGradNorms!];
      const map = wantMap ? tf.stack(parts) : undefined; // one read
      return { loss: r.loss, grads: names.map((n) => r.grads[n]), map, finalState: r.finalState };
    });
    const loss = out.loss.dataSync()[0];
    const grads = out.grads.map((g) => g.dataSync() as Float32Array);
    const [totalMap, lastStepMap, lastStepCellMap] = out.map ? (out.map.arraySync() as number[][][]) : [];
    tf.dispose([out.loss, out.grads, out.map]);
    // Carry the state only in sequential mode: the next batch continues these streams.
    disposeState(this.state);
    this.state = this.carryState ? out.finalState : undefined;
    if (!this.carryState) disposeState(out.finalState);
    return { loss, grads, lastStepMap, totalMap, ...(lastStepCellMap ? { lastStepCellMap } : {}) };
  }

  willApply(): void {}

  async getCarriedState(): Promise<CarriedState | undefined> {
    return stateToArrays(this.state);
  }

  async setCarriedState(state: CarriedState | undefined): Promise<void> {
    disposeState(this.state);
    this.state = arraysToState(state);
  }

  async dispose(): Promise<void> {
    disposeState(this.state);
    this.state = undefined;
  }
}
