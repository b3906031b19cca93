/** The training options the `train` and `experiment` commands share: flag -> TrainConfig field. */
import { parseConfigStrict } from '../core/config';
import type { TrainConfig } from '../protocol/types';

/** Command-line flag -> TrainConfig field, for the numeric and enum settings. */
export const FLAGS: Record<string, keyof TrainConfig> = {
  cell: 'cell',
  level: 'level',
  hidden: 'hidden',
  layers: 'layers',
  embedding: 'embedding',
  tau: 'tau',
  batch: 'batch',
  window: 'window',
  batching: 'batching',
  optimizer: 'optimizer',
  lr: 'lr',
  clip: 'clip',
  steps: 'steps',
  seed: 'seed',
  backend: 'backend',
  'eval-interval': 'evalInterval',
  'eval-tokens': 'evalTokens',
  'grad-map-interval': 'gradMapInterval',
  'sample-interval': 'sampleInterval',
  'checkpoint-interval': 'checkpointInterval',
  'min-freq': 'minFreq',
  'max-vocab': 'maxVocab',
  'val-fraction': 'valFraction',
  temperature: 'temperature',
  'sample-length': 'sampleLength',
  threads: 'threads',
  activation: 'activation',
  truncation: 'truncation',
  'keep-graph': 'keepGraph',
};

const ENUMS = new Set(['cell', 'level', 'batching', 'optimizer', 'backend', 'activation', 'truncation']);

/** The flags given, as raw settings (numbers parsed), not yet validated. */
export function configInput(values: Record<string, unknown>): Partial<Record<keyof TrainConfig, unknown>> {
  const input: Partial<Record<keyof TrainConfig, unknown>> = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (typeof v !== 'string') continue;
    input[key] = ENUMS.has(flag) ? v : Number(v);
  }
  return input;
}

export function configFrom(values: Record<string, unknown>): TrainConfig {
  return parseConfigStrict(configInput(values));
}

/** parseArgs options for every training flag. */
export const TRAIN_FLAG_OPTIONS = Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }]));
