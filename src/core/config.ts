/**
 * Training configuration: defaults, bounds and validation. Every entry point (settings, command line,
 * worker) funnels user input through `validateConfig`, so absurd values get one clear message each.
 */
import type { Activation, BackendChoice, BatchingMode, CellType, OptimizerName, TokenLevel, TrainConfig, TruncationMode } from '../protocol/types';

export const CELLS: readonly CellType[] = ['rnn', 'gru', 'lstm', 'window'];
export const LEVELS: readonly TokenLevel[] = ['char', 'word'];
export const BATCHINGS: readonly BatchingMode[] = ['random', 'sequential'];
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd', 'rmsprop'];
export const BACKENDS: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu'];
export const TRUNCATIONS: readonly TruncationMode[] = ['fixed', 'random'];
/** keepGraph's bound: windows kept, and time steps in the longest graph (memory grows with both). */
export const MAX_KEEP_GRAPH = 8;
export const MAX_GRAPH_STEPS = 1024;

export const DEFAULT_CONFIG: Readonly<TrainConfig> = Object.freeze({
  level: 'char',
  minFreq: 1,
  maxVocab: 10000,
  valFraction: 0.1,
  cell: 'lstm',
  activation: 'tanh',
  hidden: 128,
  layers: 1,
  embedding: 0,
  tau: 8,
  batch: 32,
  window: 64,
  batching: 'random',
  truncation: 'fixed',
  keepGraph: 0,
  optimizer: 'adam',
  lr: 0.01,
  clip: 1,
  steps: 1000,
  seed: 0,
  evalInterval: 50,
  evalTokens: 20000,
  gradMapInterval: 10,
  sampleInterval: 100,
  sampleLength: 200,
  temperature: 0.8,
  checkpointInterval: 200,
  backend: 'auto',
  threads: 0,
});

interface NumberRule {
  min: number;
  max: number;
  integer: boolean;
  /** Why the bound exists, for the error message. */
  why: string;
}

/** Bounds for every numeric field: the sensible range, not what the machine could survive. */
export const NUMBER_RULES: Readonly<Record<string, NumberRule>> = {
  minFreq: { min: 1, max: 1_000_000, integer: true, why: 'a count of occurrences' },
  maxVocab: { min: 2, max: 50_000, integer: true, why: 'the output layer grows with the vocabulary' },
  valFraction: { min: 0, max: 0.5, integer: false, why: 'at least half the text must remain for training' },
  hidden: { min: 8, max: 1024, integer: true, why: 'hidden sizes from 8 to 1024 units are supported' },
  layers: { min: 1, max: 4, integer: true, why: '1 to 4 stacked layers are supported' },
  embedding: { min: 0, max: 1024, integer: true, why: '0 means one-hot input' },
  tau: { min: 1, max: 256, integer: true, why: 'the fixed-window context length' },
  batch: { min: 1, max: 1024, integer: true, why: 'sequences per batch' },
  window: { min: 2, max: 1024, integer: true, why: 'time steps per batch (the BPTT truncation length)' },
  lr: { min: 1e-6, max: 10, integer: false, why: 'learning rates outside this range do not train' },
  clip: { min: 0, max: 1e6, integer: false, why: '0 disables clipping' },
  steps: { min: 1, max: 10_000_000, integer: true, why: 'training steps' },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true, why: 'a 31-bit seed' },
  evalInterval: { min: 1, max: 1_000_000, integer: true, why: 'steps between validations' },
  evalTokens: { min: 1, max: 10_000_000, integer: true, why: 'validation tokens per evaluation' },
  gradMapInterval: { min: 0, max: 1_000_000, integer: true, why: '0 disables the gradient map' },
  sampleInterval: { min: 0, max: 1_000_000, integer: true, why: '0 disables samples during training' },
  sampleLength: { min: 1, max: 10_000, integer: true, why: 'tokens per sample' },
  temperature: { min: 0, max: 10, integer: false, why: '0 is greedy decoding' },
  checkpointInterval: { min: 0, max: 10_000_000, integer: true, why: '0 checkpoints only at the end' },
  threads: { min: 0, max: 2, integer: true, why: '1 or 2 threads, 0 for automatic' },
  keepGraph: { min: 0, max: MAX_KEEP_GRAPH, integer: true, why: 'previous windows the gradient flows back through; 0 detaches at each batch' },
};

const ENUM_RULES: Readonly<Record<string, readonly string[]>> = {
  level: LEVELS,
  cell: CELLS,
  batching: BATCHINGS,
  optimizer: OPTIMIZERS,
  backend: BACKENDS,
  activation: ACTIVATIONS,
  truncation: TRUNCATIONS,
};

export interface ValidatedConfig {
  config: TrainConfig;
  /** One sentence per rejected field; the field keeps its default. Empty when everything was accepted. */
  problems: string[];
}

/**
 * Merges `input` over the defaults, field by field. A value that is missing keeps the default; a value
 * of the wrong type or out of range is reported in `problems` and replaced by the default (strict
 * callers treat any problem as an error; the settings UI shows them as warnings).
 */
export function validateConfig(input: Partial<Record<keyof TrainConfig, unknown>>, base: TrainConfig = DEFAULT_CONFIG): ValidatedConfig {
  const config: TrainConfig = { ...base };
  const problems: string[] = [];
  const out = config as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === undefined) continue;
    if (key in NUMBER_RULES) {
      const rule = NUMBER_RULES[key];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        problems.push(`${key} must be a number (got ${JSON.stringify(value)}).`);
      } else if (rule.integer && !Number.isInteger(value)) {
        problems.push(`${key} must be a whole number (got ${value}).`);
      } else if (value < rule.min || value > rule.max) {
        problems.push(`${key} = ${value} is out of range: use ${rule.min} to ${rule.max} (${rule.why}).`);
      } else {
        out[key] = value;
      }
    } else if (key in ENUM_RULES) {
      if (typeof value === 'string' && ENUM_RULES[key].includes(value)) out[key] = value;
      else problems.push(`${key} must be one of ${ENUM_RULES[key].join(', ')} (got ${JSON.stringify(value)}).`);
    } else {
      problems.push(`Unknown setting "${key}".`);
    }
  }
  problems.push(...combinationProblems(config, input ?? {}));
  return { config, problems };
}

/**
 * Settings valid one by one that make no sense together. Only a combination the input asked for is
 * reported (a default never is); the offending field falls back to its default.
 */
function combinationProblems(config: TrainConfig, input: Partial<Record<keyof TrainConfig, unknown>>): string[] {
  const problems: string[] = [];
  const asked = (key: keyof TrainConfig) => input[key] !== undefined;
  if (config.activation === 'relu' && config.cell !== 'rnn') {
    if (asked('activation')) problems.push(`activation = relu applies to the vanilla RNN only (cell is ${config.cell}): GRU and LSTM gates need their sigmoid and tanh.`);
    config.activation = 'tanh';
  }
  const keep = config.keepGraph ?? 0;
  if (keep > 0) {
    let problem: string | undefined;
    if (config.batching !== 'sequential') problem = `keepGraph = ${keep} needs sequential batching: random windows have no previous window to backpropagate into.`;
    else if (config.cell === 'window') problem = `keepGraph = ${keep} needs a recurrent cell: the fixed-window model has no state across windows.`;
    else if ((keep + 1) * config.window * (config.truncation === 'random' ? 2 : 1) > MAX_GRAPH_STEPS)
      problem = `keepGraph = ${keep} with window ${config.window} makes a graph of ${(keep + 1) * config.window} steps${config.truncation === 'random' ? ' (up to twice that with random truncation)' : ''}: at most ${MAX_GRAPH_STEPS} fit in memory; lower keepGraph or window.`;
    else if (config.truncation === 'random') problem = `keepGraph = ${keep} needs truncation = fixed: kept windows must all have the same length.`;
    if (problem) {
      if (asked('keepGraph')) problems.push(problem);
      config.keepGraph = 0;
    }
  }
  if (config.truncation === 'random' && config.window < 4) {
    if (asked('truncation')) problems.push(`truncation = random needs window of at least 4 (got ${config.window}): the drawn lengths range from window/2 to 3 window/2.`);
    config.truncation = 'fixed';
  }
  return problems;
}

/** Like `validateConfig`, but any problem is an error: for the command line and the worker. */
export function parseConfigStrict(input: Partial<Record<keyof TrainConfig, unknown>>, base: TrainConfig = DEFAULT_CONFIG): TrainConfig {
  const { config, problems } = validateConfig(input, base);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid training settings: ${problems.join(' ')}`);
    this.name = 'ConfigError';
  }
}
