/**
 * The context-length probe of a trained run, for the command line: loads the run's latest checkpoint,
 * splits the text as training did (with the checkpoint's vocabulary), measures the validation loss
 * seeing only the last k tokens (contextProbe) and keeps it beside the run's logs (probeFile.ts).
 */
import * as path from 'node:path';
import { loadCheckpoint } from '../checkpoint';
import { contextProbe, probeLengths, type ProbePoint } from '../contextProbe';
import { buildCorpus } from '../corpus';
import { createModel } from '../createModel';
import { RecurrentModel } from '../recurrentModel';
import { Rng } from '../rng';
import { readCorpusText } from '../runTraining';
import { Vocabulary } from '../vocabulary';
import { writeProbe } from './probeFile';

/**
 * Probes the run in `runDir` on its text files and writes `probe.json`.
 * Returns undefined for models without a hidden state (the window model sees tau tokens by construction).
 */
export function probeRun(runDir: string, files: readonly string[], positions = 512): ProbePoint[] | undefined {
  const checkpoint = loadCheckpoint(path.join(runDir, 'checkpoints'));
  const { config } = checkpoint;
  if (config.cell === 'window') return undefined;
  const vocab = Vocabulary.fromJSON(checkpoint.vocab);
  const corpus = buildCorpus(readCorpusText(files), {
    level: config.level,
    minFreq: config.minFreq,
    maxVocab: config.maxVocab,
    valFraction: config.valFraction,
    vocab,
    minTrainTokens: 2,
  });
  const model = createModel(config, vocab.size, new Rng(0));
  try {
    if (!(model instanceof RecurrentModel)) return undefined;
    model.params.write(checkpoint.weights);
    const ks = probeLengths(Math.min(config.window, Math.max(1, corpus.val.length - 1)));
    const points = contextProbe(model, corpus.val, ks, positions);
    writeProbe(runDir, points);
    return points;
  } finally {
    model.dispose();
  }
}
