/**
 * What single hidden units do over a text (Karpathy's quote and line-length cells, LSTMVis's select and
 * match): signals derived from the text, units ranked by how well their activation follows a signal or
 * by how sharply it changes at a chosen token, and the spans of the text where a chosen set of units
 * switches on as it does in a selection.
 *
 * Activations are [T, H] row-major: unit u at token t is acts[t * H + u].
 */

/** Built-in patterns; a `regex` signal takes the user's expression. */
export type SignalKind = 'quotes' | 'brackets' | 'regex' | 'line-position';

/** Where each token starts in the text, from the tokens' texts in order. */
export function tokenOffsets(tokens: readonly string[]): Int32Array {
  const out = new Int32Array(tokens.length);
  let at = 0;
  tokens.forEach((t, i) => {
    out[i] = at;
    at += t.length;
  });
  return out;
}

/** 1 for a token whose first character lies inside a match of `re` in the joined text, else 0. */
export function regexSignal(tokens: readonly string[], re: RegExp): Float64Array {
  const text = tokens.join('');
  const inside = new Uint8Array(text.length + 1);
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  let guard = 0;
  for (let m = global.exec(text); m && guard < 1_000_000; m = global.exec(text), guard++) {
    inside.fill(1, m.index, m.index + m[0].length);
    if (m[0].length === 0) global.lastIndex++; // an empty match would loop forever
  }
  const offsets = tokenOffsets(tokens);
  return Float64Array.from(offsets, (o) => inside[o]);
}

/** The signal of a built-in kind. Quotes: inside "..." (the quote marks included); brackets: inside (...) or [...]. */
export function signalOf(kind: Exclude<SignalKind, 'regex'>, tokens: readonly string[]): Float64Array {
  switch (kind) {
    case 'quotes':
      return regexSignal(tokens, /"[^"\n]*"|“[^”\n]*”/);
    case 'brackets':
      return regexSignal(tokens, /\([^()]*\)|\[[^\][]*\]/);
    case 'line-position': {
      const out = new Float64Array(tokens.length);
      let column = 0;
      tokens.forEach((t, i) => {
        out[i] = column;
        const nl = t.lastIndexOf('\n');
        column = nl >= 0 ? t.length - nl - 1 : column + t.length;
      });
      return out;
    }
  }
}

export interface RankedUnit {
  unit: number;
  /** Pearson correlation with the signal, or the change in activation at the token. */
  score: number;
}

/** Units by |Pearson correlation| of their activation with `signal` over the tokens, strongest first. */
export function rankByCorrelation(acts: Float32Array, H: number, signal: Float64Array, top = 20): RankedUnit[] {
  const T = signal.length;
  let sMean = 0;
  for (let t = 0; t < T; t++) sMean += signal[t] / T;
  let sVar = 0;
  for (let t = 0; t < T; t++) sVar += (signal[t] - sMean) ** 2;
  const out: RankedUnit[] = [];
  for (let u = 0; u < H; u++) {
    let mean = 0;
    for (let t = 0; t < T; t++) mean += acts[t * H + u] / T;
    let cov = 0;
    let v = 0;
    for (let t = 0; t < T; t++) {
      const d = acts[t * H + u] - mean;
      cov += d * (signal[t] - sMean);
      v += d * d;
    }
    // A constant unit or signal correlates with nothing.
    out.push({ unit: u, score: v > 0 && sVar > 0 ? cov / Math.sqrt(v * sVar) : 0 });
  }
  return out.sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.unit - b.unit).slice(0, top);
}

/** Units by |a_t - a_{t-1}| at token t (the first token compares with a zero state), largest first. */
export function rankByChange(acts: Float32Array, H: number, t: number, top = 20): RankedUnit[] {
  const out: RankedUnit[] = [];
  for (let u = 0; u < H; u++) out.push({ unit: u, score: acts[t * H + u] - (t > 0 ? acts[(t - 1) * H + u] : 0) });
  return out.sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.unit - b.unit).slice(0, top);
}

export interface Span {
  /** First token, inclusive. */
  start: number;
  /** Last token, exclusive. */
  end: number;
}

/**
 * LSTMVis's match: the units of `units` that are on (activation above `threshold`) over the whole
 * selection define a pattern; the other spans where exactly those units are on, and the rest of
 * `units` off, are returned, those closest in length to the selection first.
 */
export function findSimilar(acts: Float32Array, H: number, T: number, selection: Span, units: readonly number[], threshold = 0.5, limit = 50): { on: number[]; matches: Span[] } {
  const on = units.filter((u) => {
    for (let t = selection.start; t < selection.end; t++) if (!(acts[t * H + u] > threshold)) return false;
    return true;
  });
  if (!on.length) return { on, matches: [] };
  const off = units.filter((u) => !on.includes(u));
  const fits = (t: number) => on.every((u) => acts[t * H + u] > threshold) && off.every((u) => !(acts[t * H + u] > threshold));
  const matches: Span[] = [];
  for (let t = 0; t < T;) {
    if (!fits(t)) {
      t++;
      continue;
    }
    const start = t;
    while (t < T && fits(t)) t++;
    const overlapsSelection = start < selection.end && t > selection.start;
    if (!overlapsSelection) matches.push({ start, end: t });
  }
  const length = selection.end - selection.start;
  matches.sort((a, b) => Math.abs(a.end - a.start - length) - Math.abs(b.end - b.start - length) || a.start - b.start);
  return { on, matches: matches.slice(0, limit) };
}
