/**
 * The context-length probe of a trained run, kept beside its logs as `probe.json` (`[{ "k": 1, "loss":
 * 2.31 }, ...]`, nats per token; the editor's experiment runner writes the same file): loads the run's
 * latest checkpoint, splits the text as training did (with the checkpoint's vocabulary), and measures
 * the validation loss seeing only the last k tokens (contextProbe). Read back through a checked reader:
 * a run folder may come from anywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../checkpoint';
import { contextProbe, probeLengths, type ProbePoint } from '../contextProbe';
import { buildCorpus } from '../corpus';
import { createModel } from '../createModel';
import { RecurrentModel } from '../recurrentModel';
import { Rng } from '../rng';
import { writeFileAtomic } from '../runFiles';
import { readCorpusText } from '../runTraining';
import { Vocabulary } from '../vocabulary';

export const PROBE_FILE = 'probe.json';
/** probe.json above this size is not ours (a probe has a dozen points). */
const MAX_PROBE_BYTES = 16 * 1024;
const MAX_PROBE_POINTS = 64;

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
    writeFileAtomic(path.join(runDir, PROBE_FILE), JSON.stringify(points) + '\n');
    return points;
  } finally {
    model.dispose();
  }
}

/** The probe recorded in `runDir`, or undefined when there is none or it is not a well-formed probe. */
export function readProbe(runDir: string): ProbePoint[] | undefined {
  const file = path.join(runDir, PROBE_FILE);
  let text: string;
  try {
    const stat = fs.lstatSync(file);
    if (!stat.isFile() || stat.size > MAX_PROBE_BYTES) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const points = parsed;
  if (!Array.isArray(points) || points.length === 0 || points.length > MAX_PROBE_POINTS) return undefined;
  const ok = points.every(
    (p: unknown) =>
      typeof p === 'object' &&
      p !== null &&
      Number.isInteger((p as ProbePoint).k) &&
      (p as ProbePoint).k >= 1 &&
      (p as ProbePoint).k <= 4096 &&
      Number.isFinite((p as ProbePoint).loss) &&
      (p as ProbePoint).loss >= 0,
  );
  return ok ? points.map((p: ProbePoint) => ({ k: p.k, loss: p.loss })) : undefined;
}
