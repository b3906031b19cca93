/**
 * The utility worker's hidden-unit requests: trace a text through a checkpoint's model (bounded to
 * the first N tokens) and match a user's pattern against the traced text. Both answer with plain data
 * (protocol/inside.ts); the host holds it and the panel asks the host, not the worker.
 */
import { loadCheckpoint } from '../core/checkpoint';
import { SeqLabError } from '../core/errors';
import { INSIDE_TOP_K, type SignalRequest, type TraceData, type TraceRequest } from '../protocol/inside';
import { quantize, tokenSpans, traceStates } from './traceText';

export function traceRequest(msg: TraceRequest): TraceData {
  const checkpoint = loadCheckpoint(msg.checkpoint);
  const { config } = checkpoint;
  const cell = config.cell;
  if (cell === 'window') throw new SeqLabError('BAD_CHECKPOINT', 'The fixed-window model has no hidden units to inspect.', 'Inspect a run of an RNN, GRU or LSTM.');
  const vocab = checkpoint.vocab.tokens;
  const spans = tokenSpans(msg.text, config.level, vocab, msg.maxTokens);
  const T = spans.ids.length;
  if (T === 0) throw new SeqLabError('EMPTY', 'There is no token to inspect in that text.', 'Select some text (or open a file that is not empty).');
  const layer = msg.layer < 0 ? config.layers - 1 : Math.min(msg.layer, config.layers - 1);
  const trace = traceStates({ config, vocabTokens: vocab, weights: checkpoint.weights }, spans.ids, layer);
  const H = config.hidden;
  const V = vocab.length;
  const surprisal = new Array<number>(T).fill(0);
  const topIds: number[] = [];
  const topP: number[] = [];
  for (let t = 0; t < T; t++) {
    const lp = trace.logProbs.subarray(t * V, t * V + V);
    if (t + 1 < T) surprisal[t + 1] = round(-lp[spans.ids[t + 1]]);
    for (const id of topIndices(lp, INSIDE_TOP_K)) {
      topIds.push(id);
      topP.push(round(Math.exp(lp[id])));
    }
  }
  const states = [...trace.states].map(([kind, x]) => {
    const { scale, q } = quantize(x, T, H);
    return { kind, scale, data: Buffer.from(q.buffer, q.byteOffset, q.byteLength).toString('base64') };
  });
  return {
    text: spans.text,
    offsets: [...spans.offsets],
    unknown: spans.unknown,
    truncated: spans.truncated,
    cell,
    hidden: H,
    layers: config.layers,
    layer,
    vocab,
    states,
    surprisal,
    topIds,
    topP,
  };
}

/** The k largest entries' indices, largest first: one pass, not a sort of the whole vocabulary. */
export function topIndices(x: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let v = 0; v < x.length; v++) {
    if (best.length === k && x[v] <= x[best[k - 1]]) continue;
    let at = Math.min(best.length, k - 1);
    best[at] = v;
    while (at > 0 && x[best[at - 1]] < x[v]) {
      best[at] = best[at - 1];
      best[--at] = v;
    }
  }
  return best;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** 1 for each token whose first character lies inside a match of the pattern. Throws a clear error for a pattern that does not compile. */
export function signalRequest(msg: SignalRequest): number[] {
  let re: RegExp;
  try {
    re = new RegExp(msg.pattern, msg.flags.replace(/g/g, '') + 'g');
  } catch (e) {
    throw new SeqLabError('BAD_CONFIG', `That is not a regular expression: ${(e as Error).message}`, 'Check the pattern (JavaScript syntax).');
  }
  const inside = new Uint8Array(msg.text.length + 1);
  for (let m = re.exec(msg.text); m; m = re.exec(msg.text)) {
    inside.fill(1, m.index, m.index + m[0].length);
    if (m[0].length === 0) re.lastIndex++; // an empty match would loop forever
  }
  return msg.offsets.map((o) => inside[o] ?? 0);
}
