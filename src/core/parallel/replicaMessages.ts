/**
 * The contract between the trainer (coordinator) and its replica thread in data-parallel training.
 * Gradients travel through SharedArrayBuffers; the messages carry only what is small.
 */
import type { BackendName, TrainConfig } from '../../protocol/types';
import type { Batch } from '../batches';
import type { CarriedState } from '../gradients';
import type { NamedArray } from '../params';

export type ToReplica =
  | {
      type: 'init';
      backend: BackendName;
      config: TrainConfig;
      vocabSize: number;
      weights: NamedArray[];
      /** Where the replica writes its gradients, and where it reads the gradients to apply. */
      computed: SharedArrayBuffer;
      applied: SharedArrayBuffer;
    }
  | { type: 'compute'; batch: Batch; wantMap: boolean }
  | { type: 'apply' }
  | { type: 'restore'; weights: NamedArray[]; optimizer: NamedArray[] }
  | { type: 'getState' }
  | { type: 'setState'; state: CarriedState | undefined }
  | { type: 'dispose' };

export type FromReplica =
  | { type: 'ready' }
  | { type: 'computed'; loss: number; lastStepMap?: number[][]; totalMap?: number[][] }
  | { type: 'restored' }
  | { type: 'state'; state: CarriedState | undefined }
  | { type: 'error'; message: string };
