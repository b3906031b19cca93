/** Builds the model a configuration asks for. */
import type { TrainConfig } from '../protocol/types';
import type { LanguageModel } from './model';
import { Implementation, RecurrentModel } from './recurrentModel';
import type { Rng } from './rng';
import { WindowModel } from './windowModel';

/** `implementation` picks tfjs ops or fused kernels; by default, fused kernels where the backend runs them. */
export function createModel(config: TrainConfig, vocabSize: number, rng: Rng, implementation?: Implementation): LanguageModel {
  return config.cell === 'window' ? new WindowModel(config, vocabSize, rng, implementation) : new RecurrentModel(config, vocabSize, rng, implementation);
}
