/**
 * The contracts of "Inside the model": the utility worker's hidden-unit, signal and beam requests (and
 * their answers), and the messages between the host and the hidden-units panel. Every message that
 * arrives is checked here before a field is read.
 */
import { isFiniteNumber, isInteger, isOneOf, isRecord, isString, isStringArray } from './validate';

/** h_t always; c_t and the gates i, f, g, o of an LSTM; the gates z, r, n of a GRU. */
export const STATE_KINDS = ['h', 'c', 'i', 'f', 'g', 'o', 'z', 'r', 'n'] as const;
export type StateKind = (typeof STATE_KINDS)[number];

/** Inspection is bounded: at most this many tokens, whatever the file's size. */
export const INSIDE_MAX_TOKENS = 20_000;
/** The host sends the worker at most this much of a text (UTF-16 units); the worker cuts at the token bound. */
export const INSIDE_MAX_CHARS = 1_000_000;
/** Predictions kept per token for the matrix view. */
export const INSIDE_TOP_K = 3;
/** A user's pattern: at most this long. */
export const MAX_PATTERN_CHARS = 200;
/** Tokens in the matrix view's window. */
export const MATRIX_WINDOW = 40;
/** Units in the matrix view and in "find similar". */
export const MAX_UNITS_SHOWN = 16;

export const RANK_BY = ['quotes', 'brackets', 'line-position', 'regex', 'change'] as const;
export type RankBy = (typeof RANK_BY)[number];

// ---------------------------------------------------------------- host -> utility worker

export interface TraceRequest {
  readonly type: 'insideTrace';
  readonly requestId: string;
  readonly checkpoint: string;
  readonly text: string;
  readonly maxTokens: number;
  /** The layer whose c_t and gates are kept; -1 for the top layer. */
  readonly layer: number;
}

/** 1 for each token whose first character lies inside a match of the user's pattern: run in the worker, so a runaway pattern cannot stall the host. */
export interface SignalRequest {
  readonly type: 'insideSignal';
  readonly requestId: string;
  readonly text: string;
  readonly offsets: readonly number[];
  readonly pattern: string;
  readonly flags: string;
}

export interface BeamRequest {
  readonly type: 'beam';
  readonly requestId: string;
  readonly checkpoint: string;
  readonly prompt: string;
  readonly length: number;
  readonly width: number;
}

export type InsideRequest = TraceRequest | SignalRequest | BeamRequest;

export const BEAM_LIMITS = { maxWidth: 16, maxLength: 2_000 } as const;

export function isInsideRequest(msg: Record<string, unknown>): msg is Record<string, unknown> & InsideRequest {
  const id = isString(msg.requestId, 100);
  switch (msg.type) {
    case 'insideTrace':
      return id && isString(msg.checkpoint, 4096) && isString(msg.text, INSIDE_MAX_CHARS) && isInteger(msg.maxTokens, 1, INSIDE_MAX_TOKENS) && isInteger(msg.layer, -1, 16);
    case 'insideSignal':
      return (
        id &&
        isString(msg.text, INSIDE_MAX_CHARS) &&
        Array.isArray(msg.offsets) &&
        msg.offsets.length <= INSIDE_MAX_TOKENS &&
        msg.offsets.every((o) => isInteger(o, 0, INSIDE_MAX_CHARS)) &&
        isString(msg.pattern, MAX_PATTERN_CHARS) &&
        isString(msg.flags, 8) &&
        /^[imsu]*$/.test(msg.flags)
      );
    case 'beam':
      return (
        id && isString(msg.checkpoint, 4096) && isString(msg.prompt, 10_000) && isInteger(msg.length, 1, BEAM_LIMITS.maxLength) && isInteger(msg.width, 1, BEAM_LIMITS.maxWidth)
      );
    default:
      return false;
  }
}

// ---------------------------------------------------------------- utility worker -> host

/** One state kind of the inspected layer, Int8 per unit (value = q * scale[unit]), base64 of [T, H] row-major. */
export interface QuantizedStates {
  readonly kind: StateKind;
  readonly scale: readonly number[];
  readonly data: string;
}

export interface TraceData {
  readonly text: string;
  /** Where each token starts in `text` (UTF-16 offsets). */
  readonly offsets: readonly number[];
  /** Indices of tokens outside the model's vocabulary (read as <unk>). */
  readonly unknown: readonly number[];
  /** The text had more tokens than the bound: only the first ones were inspected. */
  readonly truncated: boolean;
  readonly cell: 'rnn' | 'gru' | 'lstm';
  readonly hidden: number;
  readonly layers: number;
  readonly layer: number;
  readonly vocab: readonly string[];
  readonly states: readonly QuantizedStates[];
  /** -ln p(token t | tokens before), nats; 0 for the first token. */
  readonly surprisal: readonly number[];
  /** The INSIDE_TOP_K most likely next tokens after each token, [T, K] ids and probabilities. */
  readonly topIds: readonly number[];
  readonly topP: readonly number[];
}

export type InsideAnswer =
  | { readonly type: 'insideTraced'; readonly requestId: string; readonly trace: TraceData }
  | { readonly type: 'insideSignalDone'; readonly requestId: string; readonly signal: readonly number[] }
  | { readonly type: 'beamDone'; readonly requestId: string; readonly text: string; readonly logProb: number };

const isIntArray = (v: unknown, max: number, lo: number, hi: number): v is number[] => Array.isArray(v) && v.length <= max && v.every((x) => isInteger(x, lo, hi));
const isNumArray = (v: unknown, max: number): v is number[] => Array.isArray(v) && v.length <= max && v.every(isFiniteNumber);

export function isTraceData(t: unknown): t is TraceData {
  if (!isRecord(t)) return false;
  if (!isString(t.text, INSIDE_MAX_CHARS) || !isIntArray(t.offsets, INSIDE_MAX_TOKENS, 0, INSIDE_MAX_CHARS) || t.offsets.length === 0) return false;
  const T = t.offsets.length;
  if (!isInteger(t.hidden, 1, 4096) || !isInteger(t.layers, 1, 16) || !isInteger(t.layer, 0, t.layers - 1) || !isOneOf(t.cell, ['rnn', 'gru', 'lstm'] as const)) return false;
  const H = t.hidden;
  if (!isStringArray(t.vocab, 1_000_000) || t.vocab.length < 1) return false;
  const V = t.vocab.length;
  const b64 = Math.ceil((T * H) / 3) * 4;
  return (
    isIntArray(t.unknown, T, 0, T - 1) &&
    typeof t.truncated === 'boolean' &&
    Array.isArray(t.states) &&
    t.states.length >= 1 &&
    t.states.length <= STATE_KINDS.length &&
    t.states.every((s) => isRecord(s) && isOneOf(s.kind, STATE_KINDS) && isNumArray(s.scale, H) && s.scale.length === H && isString(s.data, b64) && s.data.length === b64) &&
    isNumArray(t.surprisal, T) &&
    t.surprisal.length === T &&
    isIntArray(t.topIds, T * INSIDE_TOP_K, 0, V - 1) &&
    isNumArray(t.topP, T * INSIDE_TOP_K) &&
    t.topIds.length === t.topP.length
  );
}

export function isInsideAnswer(msg: Record<string, unknown>): msg is Record<string, unknown> & InsideAnswer {
  if (!isString(msg.requestId, 100)) return false;
  switch (msg.type) {
    case 'insideTraced':
      return isTraceData(msg.trace);
    case 'insideSignalDone':
      return isIntArray(msg.signal, INSIDE_MAX_TOKENS, 0, 1);
    case 'beamDone':
      return isString(msg.text) && isFiniteNumber(msg.logProb);
    default:
      return false;
  }
}

// ---------------------------------------------------------------- host -> hidden-units panel

export interface RankedUnitView {
  readonly unit: number;
  readonly score: number;
}

export type HostToInside =
  | {
      readonly type: 'trace';
      readonly source: string;
      /** What was cut or not understood, in a sentence each (empty when nothing was). */
      readonly notes: readonly string[];
      /** The inspected text and its tokens' offsets (the panel shows the text between tokens as it is). */
      readonly text: string;
      readonly offsets: readonly number[];
      readonly unknown: readonly number[];
      readonly kinds: readonly StateKind[];
      readonly hidden: number;
      readonly cell: string;
    }
  /** One unit's activation over every token, scaled to [-1, 1] by its largest magnitude (`scale`). */
  | { readonly type: 'unit'; readonly kind: StateKind; readonly unit: number; readonly values: readonly number[]; readonly scale: number }
  | { readonly type: 'ranking'; readonly title: string; readonly units: readonly RankedUnitView[] }
  | {
      readonly type: 'matrix';
      readonly kind: StateKind;
      readonly start: number;
      readonly tokens: readonly string[];
      readonly units: readonly number[];
      /** [units][tokens], each unit scaled to [-1, 1]. */
      readonly values: readonly (readonly number[])[];
      readonly surprisal: readonly number[];
      readonly top: readonly (readonly { token: string; p: number }[])[];
    }
  | { readonly type: 'similar'; readonly on: readonly number[]; readonly matches: readonly { start: number; end: number; label: string }[]; readonly message: string }
  | { readonly type: 'error'; readonly message: string };

// ---------------------------------------------------------------- hidden-units panel -> host

export type InsideToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'selectKind'; readonly kind: StateKind }
  | { readonly type: 'selectUnit'; readonly unit: number }
  | { readonly type: 'rank'; readonly by: RankBy; readonly pattern?: string; readonly token?: number }
  | { readonly type: 'matrix'; readonly start: number }
  | { readonly type: 'findSimilar'; readonly start: number; readonly end: number; readonly units: readonly number[] }
  | { readonly type: 'reveal'; readonly start: number; readonly end: number };

/** The host's check on the panel's messages; indices are checked against the trace by the host. */
export function isInsideToHost(msg: unknown): msg is InsideToHost {
  if (!isRecord(msg)) return false;
  const index = (v: unknown) => isInteger(v, 0, INSIDE_MAX_TOKENS);
  switch (msg.type) {
    case 'ready':
      return true;
    case 'selectKind':
      return isOneOf(msg.kind, STATE_KINDS);
    case 'selectUnit':
      return isInteger(msg.unit, 0, 4095);
    case 'rank':
      return isOneOf(msg.by, RANK_BY) && (msg.pattern === undefined || isString(msg.pattern, MAX_PATTERN_CHARS)) && (msg.token === undefined || index(msg.token));
    case 'matrix':
      return index(msg.start);
    case 'findSimilar':
      return index(msg.start) && index(msg.end) && isIntArray(msg.units, MAX_UNITS_SHOWN, 0, 4095);
    case 'reveal':
      return index(msg.start) && index(msg.end);
    default:
      return false;
  }
}
