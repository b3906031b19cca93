/**
 * Minibatches of (input, target) windows, the two ways d2l's "Language Models" section teaches:
 *
 * - random: every window starts at a random offset; windows of one batch, and of successive batches,
 *   are unrelated, so the hidden state starts from zero each batch.
 * - sequential: the text is cut into `batch` parallel streams; successive batches continue each stream
 *   where the previous batch ended, so the hidden state is carried over (and detached: gradients stop
 *   at the batch boundary, which is truncated backpropagation through time with the window length).
 *   Each pass over the text (an epoch) starts at a new random offset, with a fresh state.
 *
 * Layout is time-major, as the model consumes it one time step at a time:
 *   x: Int32Array [(prefix + window) * batch], index (t * batch + b), t counting the prefix first
 *   y: Int32Array [window * batch], y[t][b] = the token after x[prefix + t][b]
 * `prefix` extra inputs before the window serve the fixed-window model (it sees tau - 1 earlier tokens).
 */
import { Rng, RngState } from './rng';

/** How long batches are beyond the fixed window: randomized truncation and kept graphs. */
export interface BatchOptions {
  /** `random`: each batch's length drawn by `randomLength` (mean `window`). */
  truncation?: 'fixed' | 'random';
  /** Sequential only: earlier windows each batch also spans (see Batch.lossFrom). */
  keepGraph?: number;
}

/** The range of randomized truncation's lengths: [lo, hi] with lo = ceil(window / 2), hi = 2 window - lo, so the mean is `window`. */
export function randomLengthRange(window: number): [number, number] {
  const lo = Math.max(1, Math.ceil(window / 2));
  return [lo, 2 * window - lo];
}

/**
 * One batch length for randomized truncation, uniform over `randomLengthRange(window)`: its expectation
 * is `window`, so the tokens per step and the mean truncation length match fixed truncation's.
 */
export function randomLength(rng: Rng, window: number): number {
  const [lo, hi] = randomLengthRange(window);
  return lo + rng.int(hi - lo + 1);
}

/** The longest batch (in steps) a configuration draws. */
export function maxWindow(window: number, options: BatchOptions = {}): number {
  return options.truncation === 'random' ? randomLengthRange(window)[1] : window;
}

export interface Batch {
  x: Int32Array;
  y: Int32Array;
  batch: number;
  window: number;
  prefix: number;
  /** False when the hidden state must be reset before this batch. */
  continues: boolean;
  /**
   * keepGraph: the first `lossFrom` steps are kept earlier windows, recomputed so the newest window's
   * loss backpropagates through them; only steps from `lossFrom` on are scored. Absent: 0.
   */
  lossFrom?: number;
  /** The state after this many steps is the one the next batch continues from. Absent: all of them. */
  carryAt?: number;
}

export interface BatcherState {
  rng: RngState;
  /** Sequential mode: stream offset and position within the epoch. */
  offset: number;
  position: number;
}

export interface Batcher {
  next(): Batch;
  state(): BatcherState;
  restore(state: BatcherState): void;
}

function fill(ids: Int32Array, starts: readonly number[], window: number, prefix: number): { x: Int32Array; y: Int32Array } {
  const batch = starts.length;
  const x = new Int32Array((prefix + window) * batch);
  const y = new Int32Array(window * batch);
  for (let b = 0; b < batch; b++) {
    const s = starts[b];
    for (let t = 0; t < prefix + window; t++) x[t * batch + b] = ids[s - prefix + t];
    for (let t = 0; t < window; t++) y[t * batch + b] = ids[s + t + 1];
  }
  return { x, y };
}

/** Windows at independent random offsets. */
export class RandomBatcher implements Batcher {
  private rng: Rng;

  constructor(
    private readonly ids: Int32Array,
    private readonly batch: number,
    private readonly window: number,
    private readonly prefix: number,
    seed: number,
    private readonly options: BatchOptions = {},
  ) {
    if (ids.length < prefix + maxWindow(window, options) + 1) throw new RangeError('text shorter than one window');
    this.rng = new Rng(seed);
  }

  next(): Batch {
    const window = this.options.truncation === 'random' ? randomLength(this.rng, this.window) : this.window;
    // Window start s needs s - prefix >= 0 and s + window < length.
    const span = this.ids.length - window - this.prefix;
    const starts = Array.from({ length: this.batch }, () => this.prefix + this.rng.int(span));
    return { ...fill(this.ids, starts, window, this.prefix), batch: this.batch, window, prefix: this.prefix, continues: false };
  }

  state(): BatcherState {
    return { rng: this.rng.getState(), offset: 0, position: 0 };
  }

  restore(state: BatcherState): void {
    this.rng.setState(state.rng);
  }
}

/** Parallel streams read in order; state carries over between consecutive batches of one epoch. */
export class SequentialBatcher implements Batcher {
  private rng: Rng;
  private offset = 0;
  private position = 0;
  private streamLength = 0;

  constructor(
    private readonly ids: Int32Array,
    private readonly batch: number,
    private readonly window: number,
    private readonly prefix: number,
    seed: number,
    private readonly options: BatchOptions = {},
  ) {
    this.rng = new Rng(seed);
    this.startEpoch();
    if (this.streamLength < maxWindow(window, options)) throw new RangeError('text too short for sequential batches');
  }

  private startEpoch(): void {
    // A random offset in [0, window) so each epoch sees the text cut at different places.
    this.offset = this.rng.int(this.window);
    this.position = 0;
    this.streamLength = Math.floor((this.ids.length - this.prefix - this.offset - 1) / this.batch);
  }

  next(): Batch {
    const window = this.options.truncation === 'random' ? randomLength(this.rng, this.window) : this.window;
    if (this.position + window > this.streamLength) this.startEpoch();
    // keepGraph: also span up to `keep` earlier windows of this epoch, recomputed from the state before
    // the oldest (which the previous batch carried: the state after its first window).
    const kept = Math.min(this.options.keepGraph ?? 0, Math.floor(this.position / window));
    const start = this.position - kept * window;
    const continues = start > 0;
    const length = (kept + 1) * window;
    const starts = Array.from({ length: this.batch }, (_, b) => this.prefix + this.offset + b * this.streamLength + start);
    this.position += window;
    const batch: Batch = { ...fill(this.ids, starts, length, this.prefix), batch: this.batch, window: length, prefix: this.prefix, continues };
    if (this.options.keepGraph) Object.assign(batch, { lossFrom: kept * window, carryAt: window });
    return batch;
  }

  state(): BatcherState {
    return { rng: this.rng.getState(), offset: this.offset, position: this.position };
  }

  restore(state: BatcherState): void {
    this.rng.setState(state.rng);
    this.offset = state.offset;
    this.position = state.position;
    this.streamLength = Math.floor((this.ids.length - this.prefix - this.offset - 1) / this.batch);
  }
}

/** The fewest tokens a batcher of this shape needs. */
export function minTokensFor(mode: 'random' | 'sequential', batch: number, window: number, prefix: number, options: BatchOptions = {}): number {
  const w = maxWindow(window, options);
  return mode === 'random' ? prefix + w + 1 : prefix + w * batch + w + 1;
}

export function createBatcher(mode: 'random' | 'sequential', ids: Int32Array, batch: number, window: number, prefix: number, seed: number, options: BatchOptions = {}): Batcher {
  return mode === 'random' ? new RandomBatcher(ids, batch, window, prefix, seed, options) : new SequentialBatcher(ids, batch, window, prefix, seed, options);
}

/**
 * Validation windows: consecutive, non-overlapping windows from the start of `ids`, each evaluated
 * from a zero state (as the PyTorch reference does), at most `maxTokens` targets in all.
 */
export function evalBatches(ids: Int32Array, window: number, prefix: number, maxTokens: number, rowsPerBatch: number): Batch[] {
  const rows = Math.min(Math.floor((ids.length - prefix - 1) / window), Math.max(1, Math.floor(maxTokens / window)));
  const out: Batch[] = [];
  for (let r0 = 0; r0 < rows; r0 += rowsPerBatch) {
    const starts = [];
    for (let r = r0; r < Math.min(rows, r0 + rowsPerBatch); r++) starts.push(prefix + r * window);
    out.push({ ...fill(ids, starts, window, prefix), batch: starts.length, window, prefix, continues: false });
  }
  return out;
}
