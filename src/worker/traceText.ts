/**
 * A recurrent model's hidden states over a text, in plain JavaScript from a checkpoint's weights: h_t
 * of every layer, and for the inspected layer c_t (LSTM) and the gates. RecurrentModel.trace keeps
 * every step's tensors alive in one tidy (36 s and 900 MB for 5,000 tokens at 256 units here, and it
 * fails at 20,000); this loop keeps only the states and runs the same equations (cells.ts), one token
 * at a time, at about a second per 5,000 tokens.
 *
 * Weights in Keras layout: kernel [D, G*H], recurrent_kernel [H, G*H], bias [G*H] (GRU: [2, 3H], input
 * and recurrent); gate blocks i, f, g, o (LSTM) and z, r, n (GRU).
 */
import type { CellType, TokenLevel, TrainConfig } from '../protocol/types';
import { STATE_KINDS, type StateKind } from '../protocol/inside';
import { KERAS_NAMES } from '../core/cells';
import type { NamedArray } from '../core/params';

export interface TraceModel {
  config: TrainConfig;
  vocabTokens: readonly string[];
  weights: readonly NamedArray[];
}

/** The tokens of the inspected part of a text, where each starts (UTF-16 offsets) and which are unknown. */
export interface TokenSpans {
  /** The inspected text: the input up to the end of its last inspected token. */
  text: string;
  offsets: Int32Array;
  ids: Int32Array;
  /** Indices of tokens the vocabulary lacks (they read as `<unk>`, id 0). */
  unknown: number[];
  /** True when the text had more tokens than the bound. */
  truncated: boolean;
}

const WORD_PATTERN = /[\p{L}\p{N}\p{M}'’_]+|\n|[^\s\p{L}\p{N}\p{M}'’_]/gu;

/** Tokens of `text` as tokenizer.ts splits them, at most `maxTokens`, with their offsets: never more work than the bound. */
export function tokenSpans(text: string, level: TokenLevel, vocabTokens: readonly string[], maxTokens: number): TokenSpans {
  const index = new Map<string, number>();
  vocabTokens.forEach((t, i) => index.set(t, i));
  const offsets: number[] = [];
  const ids: number[] = [];
  const unknown: number[] = [];
  let end = 0;
  let truncated = false;
  const visit = (token: string, at: number): boolean => {
    if (ids.length === maxTokens) {
      truncated = true;
      return false;
    }
    const id = index.get(token);
    // Id 0 is `<unk>` itself: a literal "<unk>" in the text is no known token either.
    if (id === undefined || id === 0) unknown.push(ids.length);
    offsets.push(at);
    ids.push(id ?? 0);
    end = at + token.length;
    return true;
  };
  if (level === 'char') {
    let at = 0;
    for (const ch of text) {
      if (!visit(ch, at)) break;
      at += ch.length;
    }
  } else {
    const pattern = new RegExp(WORD_PATTERN.source, WORD_PATTERN.flags);
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) if (!visit(m[0], m.index)) break;
  }
  return { text: text.slice(0, end), offsets: Int32Array.from(offsets), ids: Int32Array.from(ids), unknown, truncated };
}

/** The state kinds a cell has: h always, c for the LSTM, and its gates. */
export function stateKinds(cell: CellType): StateKind[] {
  return STATE_KINDS.filter((k) => k === 'h' || (cell === 'lstm' ? ['c', 'i', 'f', 'g', 'o'] : cell === 'gru' ? ['z', 'r', 'n'] : []).includes(k));
}

export interface Trace {
  /** [T, H] per state kind of the inspected layer. */
  states: Map<StateKind, Float32Array>;
  /** Log-probabilities of the next token after each token [T, V]. */
  logProbs: Float32Array;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Runs the model over `ids` from a zero state. `layer` picks the layer whose c_t and gates are kept. */
export function traceStates(model: TraceModel, ids: Int32Array, layer: number): Trace {
  const { config } = model;
  const { cell, hidden: H, layers: L } = config;
  if (cell === 'window') throw new Error('The fixed-window model has no hidden state to inspect.');
  const V = model.vocabTokens.length;
  const T = ids.length;
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  const w = new Map(model.weights.map((a) => [a.name, a.data]));
  const get = (name: string) => {
    const a = w.get(name);
    if (!a) throw new Error(`The checkpoint lacks the weight ${name}.`);
    return a;
  };
  const kinds = stateKinds(cell);
  const states = new Map<StateKind, Float32Array>(kinds.map((k) => [k, new Float32Array(T * H)]));
  let input: Float32Array | null = null; // [T, D] from the layer below; null: token ids
  let D = 0;
  if (config.embedding > 0) {
    const E = config.embedding;
    const emb = get('embedding/embeddings');
    input = new Float32Array(T * E);
    for (let t = 0; t < T; t++) input.set(emb.subarray(ids[t] * E, ids[t] * E + E), t * E);
    D = E;
  }
  for (let l = 0; l < L; l++) {
    const prefix = `${KERAS_NAMES[cell]}_${l}`;
    const W = get(`${prefix}/kernel`);
    const U = get(`${prefix}/recurrent_kernel`);
    const bias = get(`${prefix}/bias`);
    const GH = G * H;
    const out = new Float32Array(T * H);
    const h = new Float64Array(H);
    const c = new Float64Array(H);
    const z = new Float64Array(GH); // x W + b
    const r = new Float64Array(GH); // h U (+ recurrent bias, GRU)
    const keep = l === layer;
    for (let t = 0; t < T; t++) {
      // x_t W + b: a row of W for a one-hot input, a product otherwise.
      for (let j = 0; j < GH; j++) z[j] = bias[j];
      if (input) {
        for (let d = 0; d < D; d++) {
          const x = input[t * D + d];
          if (x === 0) continue;
          const row = d * GH;
          for (let j = 0; j < GH; j++) z[j] += x * W[row + j];
        }
      } else {
        const row = ids[t] * GH;
        for (let j = 0; j < GH; j++) z[j] += W[row + j];
      }
      for (let j = 0; j < GH; j++) r[j] = cell === 'gru' ? bias[GH + j] : 0;
      for (let k = 0; k < H; k++) {
        const hk = h[k];
        if (hk === 0) continue;
        const row = k * GH;
        for (let j = 0; j < GH; j++) r[j] += hk * U[row + j];
      }
      const at = t * H;
      for (let u = 0; u < H; u++) {
        if (cell === 'lstm') {
          const i = sigmoid(z[u] + r[u]);
          const f = sigmoid(z[H + u] + r[H + u]);
          const g = Math.tanh(z[2 * H + u] + r[2 * H + u]);
          const o = sigmoid(z[3 * H + u] + r[3 * H + u]);
          c[u] = f * c[u] + i * g;
          if (keep) {
            states.get('c')![at + u] = c[u];
            states.get('i')![at + u] = i;
            states.get('f')![at + u] = f;
            states.get('g')![at + u] = g;
            states.get('o')![at + u] = o;
          }
          out[at + u] = o * Math.tanh(c[u]);
        } else if (cell === 'gru') {
          const zz = sigmoid(z[u] + r[u]);
          const rr = sigmoid(z[H + u] + r[H + u]);
          const n = Math.tanh(z[2 * H + u] + rr * r[2 * H + u]);
          if (keep) {
            states.get('z')![at + u] = zz;
            states.get('r')![at + u] = rr;
            states.get('n')![at + u] = n;
          }
          out[at + u] = zz * h[u] + (1 - zz) * n;
        } else {
          out[at + u] = Math.tanh(z[u] + r[u]);
        }
      }
      for (let u = 0; u < H; u++) h[u] = out[at + u];
    }
    if (keep) states.set('h', out);
    input = out;
    D = H;
  }
  // The head: log-softmax(h_top Wy + by) for every token.
  const Wy = get('dense/kernel');
  const by = get('dense/bias');
  const logProbs = new Float32Array(T * V);
  const row = new Float64Array(V);
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < V; v++) row[v] = by[v];
    for (let k = 0; k < H; k++) {
      const x = input![t * H + k];
      for (let v = 0; v < V; v++) row[v] += x * Wy[k * V + v];
    }
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, row[v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(row[v] - max);
    const lse = max + Math.log(sum);
    for (let v = 0; v < V; v++) logProbs[t * V + v] = row[v] - lse;
  }
  return { states, logProbs };
}

/** Int8 per unit: q = round(x / scale[u]), scale[u] = max_t |x| / 127. Activations are bounded (c_t excepted): a per-unit scale keeps c readable too. */
export function quantize(x: Float32Array, T: number, H: number): { scale: number[]; q: Int8Array } {
  const scale = new Array<number>(H).fill(0);
  for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) scale[u] = Math.max(scale[u], Math.abs(x[t * H + u]));
  for (let u = 0; u < H; u++) scale[u] = scale[u] / 127;
  const q = new Int8Array(T * H);
  for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) q[t * H + u] = scale[u] > 0 ? Math.round(x[t * H + u] / scale[u]) : 0;
  return { scale, q };
}
