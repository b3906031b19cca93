/**
 * Writes a checkpoint as a model other tools load: a TensorFlow.js Layers model, or safetensors with
 * PyTorch's state-dict names. Beside the weights: `vocab.json` (the tokens in id order) and
 * `config.json` (what a loader needs to rebuild the model: cell, sizes, input form, token level).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/types';
import { loadCheckpoint } from '../checkpoint';
import { SeqLabError } from '../errors';
import { writeFileAtomic } from '../runFiles';
import { encodeSafetensors } from './safetensors';
import { tfjsUnsupported, toTfjsLayersModel } from './tfjsLayersModel';
import { toTorchStateDict } from './torchStateDict';

export type ExportFormat = 'tfjs' | 'safetensors';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['tfjs', 'safetensors'];

export interface ExportOptions {
  format: ExportFormat;
  /** The folder to write into; created if missing. */
  outDir: string;
  /** Write into a folder that already holds files (the caller asked the user). */
  overwrite?: boolean;
}

export interface ExportResult {
  outDir: string;
  step: number;
  /** The files written, relative to outDir. */
  files: string[];
}

/** What a loader needs besides the weights. */
export function exportConfig(config: TrainConfig, vocabSize: number, step: number, format: ExportFormat): Record<string, unknown> {
  return {
    generatedBy: 'Sequence Lab',
    format,
    cell: config.cell,
    hidden: config.hidden,
    layers: config.layers,
    embedding: config.embedding,
    vocabSize,
    level: config.level,
    input: config.embedding > 0 ? 'token ids' : 'one-hot vectors',
    step,
    ...(format === 'safetensors'
      ? {
          gateOrder: { lstm: 'i, f, g, o', gru: 'r, z, n', rnn: 'tanh' }[config.cell as 'lstm' | 'gru' | 'rnn'],
          stateDict: 'embed.weight (if embedding), rnn.weight_ih_l{k}, rnn.weight_hh_l{k}, rnn.bias_ih_l{k}, rnn.bias_hh_l{k}, head.weight, head.bias',
        }
      : {}),
  };
}

/** True if `dir` exists and holds anything. */
export function folderHasFiles(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/** Exports the checkpoint at `location` (a run folder, its checkpoints folder, or a checkpoint folder). */
export function exportCheckpoint(location: string, options: ExportOptions): ExportResult {
  const checkpoint = loadCheckpoint(location);
  const { config, vocab, weights, step } = checkpoint;
  const vocabSize = vocab.tokens.length;
  if (options.format === 'tfjs') {
    const why = tfjsUnsupported(config);
    if (why) throw new SeqLabError('EXPORT_UNSUPPORTED', `A ${config.cell.toUpperCase()} model cannot be exported as a TensorFlow.js Layers model.`, why);
  } else if (config.cell === 'window') {
    throw new SeqLabError('EXPORT_UNSUPPORTED', 'The fixed-window model cannot be exported.', 'Export a run of an RNN, GRU or LSTM.');
  }
  const outDir = path.resolve(options.outDir);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) {
    throw new SeqLabError('OUT_DIR_NOT_EMPTY', `${outDir} is a file, not a folder.`, 'Choose a folder to export into.');
  }
  if (!options.overwrite && folderHasFiles(outDir)) {
    throw new SeqLabError('OUT_DIR_NOT_EMPTY', `${outDir} already holds files.`, 'Choose an empty or new folder, or confirm overwriting (--force on the command line).');
  }
  fs.mkdirSync(outDir, { recursive: true });
  const files: [string, string | Uint8Array][] = [];
  if (options.format === 'tfjs') {
    const { modelJson, weightsBin } = toTfjsLayersModel(config, vocabSize, weights);
    files.push(['model.json', JSON.stringify(modelJson, null, 1) + '\n'], ['weights.bin', weightsBin]);
  } else {
    const stateDict = toTorchStateDict(config, weights);
    files.push(['model.safetensors', encodeSafetensors(stateDict, { format: 'pt', generatedBy: 'Sequence Lab', cell: config.cell })]);
  }
  files.push(['vocab.json', JSON.stringify(vocab.tokens) + '\n'], ['config.json', JSON.stringify(exportConfig(config, vocabSize, step, options.format), null, 2) + '\n']);
  for (const [name, data] of files) writeFileAtomic(path.join(outDir, name), data);
  return { outDir, step, files: files.map(([name]) => name) };
}
