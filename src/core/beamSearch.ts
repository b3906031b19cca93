/**
 * Beam search: keep the `width` most likely continuations of the prompt (by summed log-probability),
 * extend each by every token, keep the best `width` again, `length` times. Width 1 is greedy decoding.
 * Unlike sampling it looks for likely text, not typical text, so a character model's beams tend toward
 * repetition ("the the the"): the chapter's contrast between greedy, beam and sampled decoding.
 */
import type { TokenLevel } from '../protocol/types';
import type { LanguageModel, Predictor } from './model';
import { detokenize, tokenize } from './tokenizer';
import type { Vocabulary } from './vocabulary';

export interface BeamOptions {
  prompt: string;
  length: number;
  width: number;
}

export interface Beam {
  /** Generated token ids (after the prompt). */
  ids: number[];
  /** Sum of log-probabilities of the generated tokens. */
  logProb: number;
  text: string;
}

interface Live {
  ids: number[];
  logProb: number;
  predictor: Predictor;
  /** The distribution of the next token. */
  next: Float32Array;
}

/** The `width` best continuations, best first. */
export function beamSearch(model: LanguageModel, vocab: Vocabulary, level: TokenLevel, options: BeamOptions): Beam[] {
  const width = Math.max(1, Math.floor(options.width));
  const root = model.predictor();
  const promptIds = vocab.encode(tokenize(options.prompt, level));
  const warmup = promptIds.length ? promptIds : Int32Array.of(Math.min(1, vocab.size - 1));
  let next: Float32Array = new Float32Array(0);
  for (const id of warmup) next = root.feed(id);
  let beams: Live[] = [{ ids: [], logProb: 0, predictor: root, next }];
  try {
    for (let step = 0; step < options.length; step++) {
      // Every beam's every extension, then the best `width` of them all.
      const candidates: { beam: Live; id: number; logProb: number }[] = [];
      for (const beam of beams) {
        for (let id = 0; id < beam.next.length; id++) candidates.push({ beam, id, logProb: beam.logProb + beam.next[id] });
      }
      candidates.sort((a, b) => b.logProb - a.logProb || a.id - b.id);
      const chosen = candidates.slice(0, width);
      // Fork before any feed: a beam extended twice must give both extensions the state before the step.
      const claimed = new Set<Predictor>();
      const predictors = chosen.map((c) => {
        if (claimed.has(c.beam.predictor)) return c.beam.predictor.fork();
        claimed.add(c.beam.predictor);
        return c.beam.predictor;
      });
      const last = step + 1 === options.length;
      const survivors: Live[] = chosen.map((c, i) => ({
        ids: [...c.beam.ids, c.id],
        logProb: c.logProb,
        predictor: predictors[i],
        next: last ? new Float32Array(0) : predictors[i].feed(c.id),
      }));
      for (const beam of beams) if (!claimed.has(beam.predictor)) beam.predictor.dispose();
      beams = survivors;
    }
    return beams.map((b) => ({
      ids: b.ids,
      logProb: b.logProb,
      text: detokenize(
        b.ids.map((id) => vocab.tokens[id]),
        level,
      ),
    }));
  } finally {
    for (const b of beams) b.predictor.dispose();
  }
}
