/**
 * Data shapes shared by every boundary: the training core, the worker, the extension host and the
 * webviews. Plain JSON-serialisable types only; no runtime dependencies, so the browser build can
 * import this file too.
 */

export type CellType = 'rnn' | 'gru' | 'lstm' | 'window';
export type TokenLevel = 'char' | 'word';
export type BatchingMode = 'random' | 'sequential';
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** The vanilla RNN's nonlinearity: h_t = φ(x_t W + h_{t-1} U + b). */
export type Activation = 'tanh' | 'relu';
/** Truncation of backpropagation through time: every batch `window` steps, or a length drawn per batch. */
export type TruncationMode = 'fixed' | 'random';

/** Everything that defines a training run. Every field has a default in `core/config.ts`. */
export interface TrainConfig {
  // ---- data
  /** Tokenization: one token per Unicode code point, or per word/punctuation mark. */
  level: TokenLevel;
  /** Tokens seen fewer times than this become `<unk>`. */
  minFreq: number;
  /** Largest vocabulary, `<unk>` included; the rarest tokens beyond it become `<unk>`. */
  maxVocab: number;
  /** Fraction of the text, taken from its end, held out for validation. */
  valFraction: number;
  // ---- model
  /** Recurrent cell, or the fixed-window autoregressive baseline (an MLP over the last `tau` tokens). */
  cell: CellType;
  /** Vanilla RNN only: tanh (the default) or ReLU. Absent in older runs: tanh. */
  activation?: Activation;
  /** Hidden units per layer (for `window`, the MLP's hidden layer). */
  hidden: number;
  /** Stacked recurrent layers (ignored by `window`). */
  layers: number;
  /** Learned embedding size; 0 feeds one-hot vectors straight into the first layer. */
  embedding: number;
  /** Context length of the fixed-window model: it predicts x_t from x_{t-tau} .. x_{t-1}. */
  tau: number;
  // ---- batches
  batch: number;
  /** Time steps per batch; also the truncation length of backpropagation through time. */
  window: number;
  /** `random`: independent windows, state reset each batch; `sequential`: streams continue, state carried and detached. */
  batching: BatchingMode;
  /**
   * `fixed`: every batch is `window` steps long. `random`: each batch's length is drawn uniformly from
   * [lo, 2 window - lo], lo = ceil(window / 2), so its expectation is `window` (randomized truncation).
   * Absent in older runs: `fixed`.
   */
  truncation?: TruncationMode;
  /**
   * Sequential batching only: backpropagate the newest window's loss through this many previous windows
   * too (the chapter's "do not detach" exercise), recomputed from the state before the oldest of them.
   * 0 detaches at every batch boundary. Absent in older runs: 0.
   */
  keepGraph?: number;
  // ---- optimisation
  optimizer: OptimizerName;
  lr: number;
  /** Global-norm gradient clipping threshold; 0 disables clipping. */
  clip: number;
  steps: number;
  seed: number;
  // ---- reporting
  /** Validate every this many steps (and at the end). */
  evalInterval: number;
  /** At most this many validation tokens per evaluation (the split's start is used). */
  evalTokens: number;
  /** Record the gradient-through-time map every this many steps; 0 disables it. */
  gradMapInterval: number;
  /** Generate a sample every this many steps; 0 disables it. */
  sampleInterval: number;
  sampleLength: number;
  temperature: number;
  /** Write a checkpoint every this many steps (and at the end); 0 only at the end. */
  checkpointInterval: number;
  // ---- compute
  backend: BackendChoice;
  /**
   * Threads computing gradients: 1, or 2 to split each batch over two cores (data parallel, the same
   * mathematics up to float rounding); 0 picks 2 when the machine has two cores and the backend runs
   * in this process (wasm, cpu).
   */
  threads?: number;
}

/** One training step as reported to the views. */
export interface MetricPoint {
  step: number;
  /** Mean cross-entropy of the batch, in nats per token. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  tokensPerSec: number;
  elapsedMs: number;
}

export interface EvalPoint {
  step: number;
  /** Mean validation cross-entropy, nats per token. */
  valLoss: number;
}

/**
 * The gradient-through-time picture of one batch, read from the explicit backward loops (not
 * estimated), Frobenius norms over batch and hidden units, [layer][t]:
 * - hiddenGradNorms: ||dℓ_T/dh_t||, the gradient of the window's last prediction's loss ℓ_T with
 *   respect to every earlier hidden state: how far back the error signal reaches. This is the
 *   textbook's picture: it shrinks geometrically with T - t in a vanilla RNN (vanishing gradients)
 *   and much less in an LSTM or GRU.
 * - totalGradNorms: ||dL/dh_t|| for the whole window's loss L = mean of ℓ_1..ℓ_T, what the weight
 *   update uses; early steps collect the gradients of every later prediction.
 * For the fixed-window model there is one "layer" whose entries are the same norms taken with respect
 * to the input vector of each context position (oldest first).
 */
export interface GradMap {
  step: number;
  /** [layer][t] ||dℓ_T/dh_t|| */
  hiddenGradNorms: number[][];
  /** [layer][t] ||dL/dh_t|| */
  totalGradNorms?: number[][];
  /**
   * LSTM: [layer][t] ||dℓ_T/dc_t|| through c_{t+1} (zero at the last step), the memory cell's part of
   * the gradient with respect to the state (h_t, c_t). Absent for other cells and older runs.
   */
  cellGradNorms?: number[][];
  /** Norm of each parameter's gradient, by Keras-style weight name. */
  paramGradNorms: Record<string, number>;
  globalNorm: number;
  clip: number;
  /** The chapter's readouts at this step (absent in older runs). */
  readouts?: Readouts;
}

/** Readouts recorded with a gradient map: the chapter's arguments about memory as numbers. */
export interface Readouts {
  /**
   * Per layer: steps back from the last one over which the last prediction's gradient with respect to
   * the state stays at or above 1e-3 of its value at the last step (LSTM: the state (h_t, c_t),
   * sqrt(||dℓ_T/dh_t||² + ||dℓ_T/dc_t||²); other cells: h_t).
   */
  memoryHorizon: number[];
  /** LSTM: the same on h_t alone, for comparison with the other cells. */
  memoryHorizonH?: number[];
  /** Names of the recurrent matrix's gate blocks, in Keras order: rnn h; gru z, r, n; lstm i, f, g, o. */
  gates?: string[];
  /** [layer][gate block] spectral radius of the block of U (absent when not measured at this map). */
  spectralRadius?: number[][];
  /** [layer][gate block] largest singular value of the block of U. */
  sigmaMax?: number[][];
  /** Fraction of the steps since the previous map (this one's included) on which clipping acted. */
  clipRate: number;
}

export interface SampleRecord {
  step: number;
  prompt: string;
  text: string;
  temperature: number;
}

/** Facts about a run known once its data is read and its model built. */
export interface RunInfo {
  backend: BackendName;
  backendReason: string;
  vocabSize: number;
  paramCount: number;
  trainTokens: number;
  valTokens: number;
  /** ln(vocabulary size): the loss of a uniform guess. */
  uniformLoss: number;
  /** Cross-entropy of the training unigram distribution on the validation split. */
  unigramLoss: number;
  /** Mean characters per token, to convert nats/token into bits per character. */
  charsPerToken: number;
  /** Threads computing gradients (2: data parallel). */
  threads?: number;
  /** Laplace-smoothed (add-one) bigram and trigram losses on the validation split, nats/token (absent in older runs). */
  bigramLoss?: number;
  trigramLoss?: number;
  /** Token statistics of the training text (absent in older runs). */
  tokenStats?: TokenStatsInfo;
}

/** The token-statistics view: the most frequent tokens and Zipf's law on the training text. */
export interface TokenStatsInfo {
  distinct: number;
  total: number;
  /** The most frequent tokens, most frequent first. */
  top: { token: string; count: number }[];
  /** [rank, count] points of the rank-frequency curve, log-spaced ranks (at most a few hundred). */
  curve: [number, number][];
  /** Zipf exponent α of n_i ∝ i^-α, fitted by least squares on log-log axes over `fitRanks`. */
  zipfExponent: number;
  zipfIntercept: number;
  fitRanks: [number, number];
}

export type RunState = 'queued' | 'starting' | 'training' | 'paused' | 'completed' | 'stopped' | 'diverged' | 'failed' | 'interrupted';

/** How a training loop ends on its own terms (`interrupted`: the host went away mid-run). */
export type FinishReason = Extract<RunState, 'completed' | 'stopped' | 'interrupted' | 'diverged'>;
export const FINISH_REASONS: readonly FinishReason[] = ['completed', 'stopped', 'interrupted', 'diverged'];

export interface CheckpointRef {
  step: number;
  /** Folder of the checkpoint, relative to the run folder. */
  path: string;
  valLoss?: number;
  time: string;
}

/** A language model trained on text, or a forecaster of a numeric series (issue 12). */
export type RunKind = 'text' | 'forecast';
export const RUN_KINDS: readonly RunKind[] = ['text', 'forecast'];

/** What the sidebar lists for each run. */
export interface RunSummary {
  /** Absent for text runs. */
  kind?: RunKind;
  id: string;
  name: string;
  state: RunState;
  files: string[];
  cell: CellType;
  hidden: number;
  layers: number;
  level: TokenLevel;
  step: number;
  steps: number;
  bestValLoss?: number;
  lastLoss?: number;
  createdAt: string;
  durationMs: number;
  reason?: string;
}
