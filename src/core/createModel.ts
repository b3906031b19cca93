/** Builds the model a configuration asks for. */
import type { TrainConfig } from '../protocol/types';
import type { LanguageModel } from './model';
import { RecurrentModel } from './recurrentModel';
import type { Rng } from './rng';
import { WindowModel } from './windowModel';

export function createModel(config: TrainConfig, vocabSize: number, rng: Rng): LanguageModel {
  return config.cell === 'window' ? new WindowModel(config, vocabSize, rng) : new RecurrentModel(config, vocabSize, rng);
}
