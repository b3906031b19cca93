/**
 * The context-length probe of a trained model on its own text: split the text as training did (with
 * the checkpoint's vocabulary and validation fraction) and measure the validation loss seeing only the
 * last k tokens (contextProbe). The worker runs it for the editor's experiments; `probeRun` does it
 * for the command line from a run folder and keeps the result beside the run's logs (probeFile.ts).
 */
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/types';
import { loadCheckpoint } from '../checkpoint';
import { contextProbe, probeLengths, type ProbePoint } from '../contextProbe';
import { buildCorpus } from '../corpus';
import { createModel } from '../createModel';
import type { LanguageModel } from '../model';
import { RecurrentModel } from '../recurrentModel';
import { Rng } from '../rng';
import { readCorpusText } from '../runTraining';
import { Vocabulary } from '../vocabulary';
import { writeProbe } from './probeFile';

/** The probe of `model` (trained with `config` and `vocab`) on the validation part of `text`. */
export function probeValidation(model: LanguageModel, config: TrainConfig, vocab: Vocabulary, text: string, positions = 512): ProbePoint[] {
  if (!(model instanceof RecurrentModel)) {
    throw new Error('The context probe needs a latent model (RNN, GRU or LSTM): a fixed-window model sees its last tau tokens by construction.');
  }
  const { level, minFreq, maxVocab, valFraction } = config;
  const corpus = buildCorpus(text, { level, minFreq, maxVocab, valFraction, vocab, minTrainTokens: 2 });
  const ks = probeLengths(Math.min(config.window, Math.max(1, corpus.val.length - 1)));
  return contextProbe(model, corpus.val, ks, positions);
}

/**
 * Probes the run in `runDir` on its text files and writes `probe.json`.
 * Returns undefined for models without a hidden state (the window model sees tau tokens by construction).
 */
export function probeRun(runDir: string, files: readonly string[], positions = 512): ProbePoint[] | undefined {
  const checkpoint = loadCheckpoint(path.join(runDir, 'checkpoints'));
  const { config } = checkpoint;
  if (config.cell === 'window') return undefined;
  const vocab = Vocabulary.fromJSON(checkpoint.vocab);
  const model = createModel(config, vocab.size, new Rng(0));
  try {
    model.params.write(checkpoint.weights);
    const points = probeValidation(model, config, vocab, readCorpusText(files), positions);
    writeProbe(runDir, points);
    return points;
  } finally {
    model.dispose();
  }
}
