/** Words for runs: model names, state names, what each state allows, the configuration as rows. Pure. */
import type { CellType, RunKind, RunState, TokenLevel, TrainConfig } from '../../protocol/types';

const CELL_NAMES: Record<CellType, string> = { rnn: 'RNN', gru: 'GRU', lstm: 'LSTM', window: 'Window MLP' };

export function cellName(cell: CellType): string {
  return CELL_NAMES[cell] ?? String(cell);
}

/** "LSTM 2×256 char", "RNN 1×128 word", "Window MLP 256 char" (the window model has one hidden layer). */
export function modelLabel(m: { readonly cell: CellType; readonly layers: number; readonly hidden: number; readonly level: TokenLevel; readonly kind?: RunKind }): string {
  const size = m.cell === 'window' ? `${m.hidden}` : `${m.layers}×${m.hidden}`;
  // A forecast run (issue 12) has no token level: say what it is instead.
  if (m.kind === 'forecast') return `forecast · ${cellName(m.cell)} ${size}`;
  return `${cellName(m.cell)} ${size} ${m.level}`;
}

const STATE_LABELS: Record<RunState, string> = {
  queued: 'Queued',
  starting: 'Starting',
  training: 'Training',
  paused: 'Paused',
  completed: 'Completed',
  stopped: 'Stopped',
  diverged: 'Diverged',
  failed: 'Failed',
  interrupted: 'Interrupted',
};

export function stateLabel(state: RunState): string {
  return STATE_LABELS[state] ?? String(state);
}

/** A run the worker still owns (or will): it can be stopped. */
export function isLive(state: RunState): boolean {
  return state === 'queued' || state === 'starting' || state === 'training' || state === 'paused';
}

/** A run with a model in memory: it can be paused, resumed and checkpointed. */
export function isActive(state: RunState): boolean {
  return state === 'training' || state === 'paused';
}

/** A paused run, or a run that ended early and has a checkpoint to continue from. */
export function isResumable(state: RunState, checkpointCount: number): boolean {
  return state === 'paused' || (!isLive(state) && state !== 'completed' && checkpointCount > 0);
}

/** The colour family a state badge uses (a CSS class suffix). */
export function stateTone(state: RunState): 'running' | 'waiting' | 'ok' | 'neutral' | 'error' {
  switch (state) {
    case 'training':
    case 'starting':
      return 'running';
    case 'queued':
    case 'paused':
      return 'waiting';
    case 'completed':
      return 'ok';
    case 'stopped':
    case 'interrupted':
      return 'neutral';
    default:
      return 'error';
  }
}

/** One-line summary of a configuration for headers: "LSTM 2×256 char · window 64 · batch 32 · adam 3e-3 · clip 1". */
export function configLine(c: TrainConfig): string {
  const model = modelLabel(c);
  const context = c.cell === 'window' ? `τ ${c.tau}` : `window ${c.window}`;
  const parts = [model, context, `batch ${c.batch}`, `${c.optimizer} ${formatRate(c.lr)}`, c.clip > 0 ? `clip ${c.clip}` : 'no clip', c.batching];
  return parts.join(' · ');
}

/** The configuration as labelled rows, for the details table. */
export function configRows(c: TrainConfig): [string, string][] {
  const rows: [string, string][] = [
    ['Model', modelLabel(c)],
    ['Embedding', c.embedding > 0 ? String(c.embedding) : 'one-hot'],
  ];
  if (c.cell === 'window') rows.push(['Context τ', String(c.tau)]);
  rows.push(
    ['Window (BPTT)', String(c.window)],
    ['Batch', `${c.batch} (${c.batching})`],
    ['Optimizer', `${c.optimizer}, lr ${formatRate(c.lr)}`],
    ['Clipping', c.clip > 0 ? `global norm ${c.clip}` : 'off'],
    ['Steps', String(c.steps)],
    ['Vocabulary', `${c.level}, min freq ${c.minFreq}, max ${c.maxVocab}`],
    ['Validation', `${Math.round(c.valFraction * 1000) / 10}% held out`],
    ['Seed', String(c.seed)],
  );
  return rows;
}

/** Learning rates read best as 3e-3 or 0.01. */
function formatRate(lr: number): string {
  if (lr >= 0.01) return String(lr);
  const [m, e] = lr.toExponential().split('e');
  return `${Number(Number(m).toPrecision(3))}e${e}`;
}
