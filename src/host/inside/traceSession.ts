/**
 * One inspected text's hidden states, held by the host while its panel is open: decodes what the
 * utility worker sent (Int8 per unit) and answers the panel's questions (a unit's values, rankings,
 * the matrix window, LSTMVis's match) with the core's hiddenUnits functions. No `vscode` import.
 */
import { findSimilar, rankByChange, rankByCorrelation, type RankedUnit } from '../../core/hiddenUnits';
import { MATRIX_WINDOW, type HostToInside, type StateKind, type TraceData } from '../../protocol/inside';

/** Above half of its largest magnitude, a unit counts as "on" for matching. */
export const ON_THRESHOLD = 0.5;
/** Above this share of unknown tokens, the checkpoint's vocabulary does not fit the text. */
export const MISFIT_SHARE = 0.2;

export class TraceSession {
  readonly T: number;
  readonly H: number;
  private readonly normalized = new Map<StateKind, Float32Array>();

  constructor(readonly trace: TraceData) {
    this.T = trace.offsets.length;
    this.H = trace.hidden;
    for (const s of trace.states) {
      const bytes = Buffer.from(s.data, 'base64');
      if (bytes.length !== this.T * this.H) throw new Error(`The ${s.kind} states have ${bytes.length} values, not ${this.T} x ${this.H}.`);
      const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
      // Each unit scaled to [-1, 1] by its own largest magnitude: colours and "on" compare across units.
      this.normalized.set(
        s.kind,
        Float32Array.from(q, (v) => v / 127),
      );
    }
  }

  get kinds(): StateKind[] {
    return [...this.normalized.keys()];
  }

  acts(kind: StateKind): Float32Array {
    const a = this.normalized.get(kind);
    if (!a) throw new Error(`This model has no ${kind} states.`);
    return a;
  }

  scale(kind: StateKind, unit: number): number {
    return this.trace.states.find((s) => s.kind === kind)?.scale[unit] ?? 0;
  }

  /** First and last token (inclusive, either order) the panel sent, as a checked span [start, end) within the trace. */
  span(first: number, last: number): { start: number; end: number } | undefined {
    const a = Math.min(first, last);
    const b = Math.max(first, last) + 1;
    return Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b <= this.T && a < b ? { start: a, end: b } : undefined;
  }

  /** UTF-16 offsets in the inspected text of tokens [start, end). */
  textRange(start: number, end: number): { from: number; to: number } {
    return { from: this.trace.offsets[start], to: tokenEnd(this.trace, end - 1) };
  }

  unitMessage(kind: StateKind, unit: number): HostToInside {
    const a = this.acts(kind);
    const u = Math.min(Math.max(0, unit), this.H - 1);
    const values = new Array<number>(this.T);
    for (let t = 0; t < this.T; t++) values[t] = Math.round(a[t * this.H + u] * 1000) / 1000;
    return { type: 'unit', kind, unit: u, values, scale: this.scale(kind, u) };
  }

  rankBySignal(kind: StateKind, signal: ArrayLike<number>, top = 20): RankedUnit[] {
    return rankByCorrelation(this.acts(kind), this.H, Float64Array.from(signal), top);
  }

  rankByChange(kind: StateKind, token: number, top = 20): RankedUnit[] {
    return rankByChange(this.acts(kind), this.H, Math.min(Math.max(0, token), this.T - 1), top);
  }

  matrix(kind: StateKind, start: number, units: readonly number[]): HostToInside {
    const a = this.acts(kind);
    const from = Math.min(Math.max(0, start), Math.max(0, this.T - MATRIX_WINDOW));
    const to = Math.min(this.T, from + MATRIX_WINDOW);
    const { trace } = this;
    const K = trace.topIds.length / this.T;
    const range = Array.from({ length: to - from }, (_, i) => from + i);
    return {
      type: 'matrix',
      kind,
      start: from,
      tokens: range.map((t) => tokenText(trace, t)),
      units: [...units],
      values: units.map((u) => range.map((t) => Math.round(a[t * this.H + u] * 1000) / 1000)),
      surprisal: range.map((t) => trace.surprisal[t]),
      // What the model expects after token t: the prediction for token t + 1.
      top: range.map((t) => Array.from({ length: K }, (_, k) => ({ token: trace.vocab[trace.topIds[t * K + k]], p: trace.topP[t * K + k] }))),
    };
  }

  /** Spans where the chosen units are on and off as over the selection [start, end). */
  similar(kind: StateKind, start: number, end: number, units: readonly number[]): HostToInside {
    const { on, matches } = findSimilar(this.acts(kind), this.H, this.T, { start, end }, units, ON_THRESHOLD);
    const message = !on.length
      ? `None of units ${units.join(', ')} is on over the whole selection (above ${ON_THRESHOLD} of its largest value): choose units that are.`
      : `${matches.length} span(s) with units ${on.join(', ')} on and the other chosen units off.`;
    return {
      type: 'similar',
      on,
      matches: matches.map((m) => ({ start: m.start, end: m.end, label: this.label(m.start, m.end) })),
      message,
    };
  }

  /** "line 12: «text»" for tokens [start, end), the line counted in the inspected text. */
  label(start: number, end: number): string {
    const { from, to } = this.textRange(start, end);
    const text = this.trace.text;
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0 && i < from; i = text.indexOf('\n', i + 1)) line++;
    const snippet = text.slice(from, Math.min(to, from + 60)).replace(/\s+/g, ' ');
    return `line ${line}: «${snippet}${to - from > 60 ? '…' : ''}»`;
  }
}

/** End offset of token t: where the next token starts, less the whitespace between (word level). */
function tokenEnd(trace: TraceData, t: number): number {
  const next = t + 1 < trace.offsets.length ? trace.offsets[t + 1] : trace.text.length;
  const raw = trace.text.slice(trace.offsets[t], next);
  return trace.offsets[t] + raw.trimEnd().length || next;
}

export function tokenText(trace: TraceData, t: number): string {
  const end = t + 1 < trace.offsets.length ? trace.offsets[t + 1] : trace.text.length;
  const raw = trace.text.slice(trace.offsets[t], end);
  return raw.trim() ? raw.trimEnd() : raw;
}

// ---------------------------------------------------------------- signals

// Prose quotations run over line breaks (the core's signalOf stops at them): up to 2,000 characters.
const QUOTES = /"[^"]{0,2000}"|“[^”]{0,2000}”/g;
const BRACKETS = /\([^()]{0,2000}\)|\[[^\][]{0,2000}\]/g;

/** The built-in signals over the inspected text: inside double quotes or brackets (marks included, across lines), the column in the line. */
export function builtinSignal(kind: 'quotes' | 'brackets' | 'line-position', trace: TraceData): number[] {
  const { text, offsets } = trace;
  if (kind === 'line-position') return offsets.map((o) => o - (text.lastIndexOf('\n', o - 1) + 1));
  const inside = new Uint8Array(text.length + 1);
  const re = new RegExp(kind === 'quotes' ? QUOTES : BRACKETS);
  for (let m = re.exec(text); m; m = re.exec(text)) inside.fill(1, m.index, m.index + m[0].length);
  return offsets.map((o) => inside[o]);
}

/** What the panel says about the inspected text: the bound it hit, and the tokens the model does not know. */
export function traceNotes(trace: TraceData, cutBeforeSending: boolean, size: string): string[] {
  const notes: string[] = [];
  const T = trace.offsets.length;
  if (trace.truncated || cutBeforeSending) {
    notes.push(`Bounded: only the first ${T.toLocaleString('en-US')} tokens (${trace.text.length.toLocaleString('en-US')} characters of ${size}) were inspected.`);
  }
  const unknown = trace.unknown.length;
  if (unknown) {
    const share = unknown / T;
    const percent = (100 * share).toFixed(share < 0.01 ? 2 : 1);
    notes.push(
      share > MISFIT_SHARE
        ? `This checkpoint's vocabulary does not fit this text: ${unknown.toLocaleString('en-US')} of ${T.toLocaleString('en-US')} tokens (${percent}%) are unknown to the model (marked, read as <unk>). Its activations here say little; inspect a text like the one it was trained on.`
        : `${unknown.toLocaleString('en-US')} token(s) (${percent}%) are unknown to the model: marked, and read as <unk>.`,
    );
  }
  return notes;
}

export function rankingTitle(by: string, kind: StateKind, detail?: string): string {
  const what = by === 'change' ? `largest change in ${kind} at token ${detail}` : `correlation of ${kind} with ${by === 'regex' ? `/${detail}/` : by}`;
  return `Units by ${what}`;
}
