/**
 * Generating text from a model, one token at a time: warm the hidden state up on the prompt (the
 * chapter's "prefix"), then repeatedly pick the next token from the predicted distribution and feed it
 * back in. Greedy when temperature is 0; otherwise softmax(logits / temperature), optionally cut to
 * the top k tokens.
 */
import type { TokenLevel } from '../protocol/types';
import type { InspectedToken } from '../protocol/worker';
import type { LanguageModel } from './model';
import type { Rng } from './rng';
import { detokenizeNext, tokenize } from './tokenizer';
import type { Vocabulary } from './vocabulary';

export interface GenerateOptions {
  prompt: string;
  /** Tokens to generate after the prompt. */
  length: number;
  temperature: number;
  /** Keep only the k most likely tokens; 0 keeps all. */
  topK: number;
  rng: Rng;
  /** Called with the text of each generated token as soon as it is chosen. */
  onToken?: (text: string) => void;
}

/** Picks a token id from log-probabilities. */
export function pickToken(logp: Float32Array, temperature: number, topK: number, rng: Rng): number {
  if (temperature <= 0) return argmax(logp);
  let ids = Array.from(logp.keys());
  if (topK > 0 && topK < ids.length) ids = ids.sort((a, b) => logp[b] - logp[a]).slice(0, topK);
  // Sharpen or flatten: p_i ∝ exp(log p_i / T), shifted by the max for stability.
  let max = -Infinity;
  for (const i of ids) max = Math.max(max, logp[i] / temperature);
  const weights = ids.map((i) => Math.exp(logp[i] / temperature - max));
  let r = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < ids.length; j++) {
    r -= weights[j];
    if (r <= 0) return ids[j];
  }
  return ids[ids.length - 1];
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The token that starts generation when the prompt is empty: a newline if known, else the most frequent token. */
function startToken(vocab: Vocabulary): number {
  const newline = vocab.id('\n');
  return newline !== 0 ? newline : Math.min(1, vocab.size - 1);
}

/** Generates `length` tokens after `prompt` and returns the generated text (without the prompt). */
export function generate(model: LanguageModel, vocab: Vocabulary, level: TokenLevel, options: GenerateOptions): string {
  const predictor = model.predictor();
  try {
    const promptIds = vocab.encode(tokenize(options.prompt, level));
    const warmup = promptIds.length > 0 ? promptIds : Int32Array.of(startToken(vocab));
    let logp: Float32Array = new Float32Array(0);
    for (const id of warmup) logp = predictor.feed(id); // warm-up: only the state matters
    const pieces: string[] = [];
    let previous: string | undefined = promptIds.length > 0 ? vocab.tokens[promptIds[promptIds.length - 1]] : undefined;
    for (let i = 0; i < options.length; i++) {
      const id = pickToken(logp, options.temperature, options.topK, options.rng);
      const token = vocab.tokens[id];
      const piece = detokenizeNext(previous, token, level); // spacing relative to what came before
      pieces.push(piece);
      options.onToken?.(piece);
      previous = token;
      if (i + 1 < options.length) logp = predictor.feed(id);
    }
    return pieces.join('');
  } finally {
    predictor.dispose();
  }
}

/**
 * Per-token surprisal of `text` under the model: -ln p(token | everything before it), and the model's
 * top guesses at each position. The first token has no prediction.
 */
export function inspect(
  model: LanguageModel,
  vocab: Vocabulary,
  level: TokenLevel,
  text: string,
  topK: number,
  maxTokens = 5000,
): { tokens: InspectedToken[]; meanSurprisal: number } {
  const tokens = tokenize(text, level).slice(0, maxTokens);
  const ids = vocab.encode(tokens);
  const predictor = model.predictor();
  try {
    const out: InspectedToken[] = [];
    let sum = 0;
    let logp: Float32Array | undefined;
    for (let i = 0; i < ids.length; i++) {
      const entry: InspectedToken = { token: tokens[i], top: [] };
      if (logp) {
        entry.surprisal = -logp[ids[i]];
        sum += entry.surprisal;
        const p = logp;
        entry.top = Array.from(p.keys())
          .sort((a, b) => p[b] - p[a])
          .slice(0, topK)
          .map((k) => ({ token: vocab.tokens[k], p: Math.exp(p[k]) }));
      }
      out.push(entry);
      logp = predictor.feed(ids[i]);
    }
    return { tokens: out, meanSurprisal: ids.length > 1 ? sum / (ids.length - 1) : 0 };
  } finally {
    predictor.dispose();
  }
}
