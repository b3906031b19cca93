/**
 * The chapter's questions as one-click experiments. Each states its question, sets up the comparison,
 * and answers it in a sentence from the user's own results (never from the book's numbers).
 */
import type { ExperimentSpec } from './experimentPlan';
import type { ResultRow } from './resultsTable';

export interface Preset {
  id: string;
  question: string;
  /** What the chapter says to look for, shown above the results. */
  lookFor: string;
  spec: ExperimentSpec;
  /** Run the context-length probe on each run once it has trained. */
  probe?: boolean;
  /** A sentence answering the question from these results (rows in the order of the spec's values). */
  answer(rows: readonly ResultRow[]): string;
}

const loss = (r: ResultRow | undefined) => (r?.bestValLoss === undefined ? 'no validation loss' : `${r.bestValLoss.toFixed(3)} nats`);
const best = (rows: readonly ResultRow[]) => rows.filter((r) => r.bestValLoss !== undefined).sort((a, b) => a.bestValLoss! - b.bestValLoss!)[0];
const byLabel = (rows: readonly ResultRow[], label: string) => rows.find((r) => r.label === label);
const failed = (rows: readonly ResultRow[]) => rows.filter((r) => r.state === 'diverged' || r.state === 'failed');

/** "x beat y by 0.21 nats (1.62 against 1.83)", or why there is no comparison. */
function versus(a: ResultRow | undefined, b: ResultRow | undefined): string {
  if (!a || !b || a.bestValLoss === undefined || b.bestValLoss === undefined) return `${a?.label ?? '?'} and ${b?.label ?? '?'} cannot be compared yet (${loss(a)}, ${loss(b)})`;
  const d = b.bestValLoss - a.bestValLoss;
  return d >= 0
    ? `${a.label} beat ${b.label} by ${d.toFixed(3)} nats (${a.bestValLoss.toFixed(3)} against ${b.bestValLoss.toFixed(3)})`
    : `${a.label} did not beat ${b.label}: ${a.bestValLoss.toFixed(3)} against ${b.bestValLoss.toFixed(3)} nats`;
}

const divergedNote = (rows: readonly ResultRow[]) => {
  const f = failed(rows);
  return f.length ? ` ${f.map((r) => `${r.label} ${r.state}`).join('; ')}.` : '';
};

export const PRESETS: readonly Preset[] = [
  {
    id: 'hidden-vs-window',
    question: 'Does a hidden state beat a fixed window?',
    lookFor:
      'A window model sees only its last tau tokens; a latent model summarises everything before in h_t. Compare the best validation losses: the latent models should beat the short windows, and a long window costs parameters.',
    spec: {
      base: {},
      vary: [
        {
          name: 'model',
          values: [
            { label: 'window, tau 4', patch: { cell: 'window', tau: 4 } },
            { label: 'window, tau 16', patch: { cell: 'window', tau: 16 } },
            { label: 'window, tau 64', patch: { cell: 'window', tau: 64 } },
            { label: 'RNN', patch: { cell: 'rnn' } },
            { label: 'LSTM', patch: { cell: 'lstm' } },
          ],
        },
      ],
    },
    answer(rows) {
      const latent = best(rows.filter((r) => r.label === 'RNN' || r.label === 'LSTM'));
      const window = best(rows.filter((r) => r.label.startsWith('window')));
      return `${versus(latent, byLabel(rows, 'window, tau 4'))}; the best latent model against the best window: ${versus(latent, window)}.${divergedNote(rows)}`;
    },
  },
  {
    id: 'lstm-gru',
    question: 'Why LSTM and GRU?',
    lookFor:
      "In a vanilla RNN the last prediction's gradient shrinks by a factor at every step back (the heatmap darkens toward t = 0); gates give it an additive path. Compare the memory horizons and the heatmaps, on one colour scale.",
    spec: {
      base: {},
      vary: [
        {
          name: 'cell',
          values: [
            { label: 'RNN', patch: { cell: 'rnn' } },
            { label: 'GRU', patch: { cell: 'gru' } },
            { label: 'LSTM', patch: { cell: 'lstm' } },
          ],
        },
      ],
    },
    answer(rows) {
      const h = (label: string) => byLabel(rows, label)?.memoryHorizon;
      const horizons = ['RNN', 'GRU', 'LSTM'].map((l) => `${l} ${h(l) ?? '?'}`).join(', ');
      const rnn = h('RNN');
      const lstm = h('LSTM');
      const verdict =
        rnn !== undefined && lstm !== undefined
          ? lstm > rnn
            ? `the LSTM's gradient reaches ${lstm - rnn} steps further back than the RNN's`
            : `here the LSTM's gradient does not reach further back than the RNN's`
          : 'horizons appear once gradient maps are recorded';
      return `Memory horizons (steps): ${horizons}; ${verdict}. ${versus(byLabel(rows, 'LSTM'), byLabel(rows, 'RNN'))}.${divergedNote(rows)}`;
    },
  },
  {
    id: 'clipping',
    question: 'What does clipping do?',
    lookFor:
      'Plain SGD at a learning rate of 1 on a vanilla RNN, as the chapter trains it: without clipping one exploding gradient can throw the weights far away (the run diverges, or its loss jumps); clipping the global norm to 1 bounds every step.',
    spec: {
      base: { cell: 'rnn', optimizer: 'sgd', lr: 1 },
      vary: [
        {
          name: 'clip',
          values: [
            { label: 'no clipping', patch: { clip: 0 } },
            { label: 'clip 1', patch: { clip: 1 } },
          ],
        },
      ],
    },
    answer(rows) {
      const off = byLabel(rows, 'no clipping');
      const on = byLabel(rows, 'clip 1');
      const rate = on?.clipRate === undefined ? '' : ` With clipping, ${(100 * on.clipRate).toFixed(0)}% of steps were clipped.`;
      const offState = off?.state === 'diverged' ? 'Without clipping the run diverged.' : versus(on, off) + '.';
      return `${offState}${rate}${divergedNote(rows.filter((r) => r !== off))}`;
    },
  },
  {
    id: 'batching',
    question: 'Random or sequential batches?',
    lookFor:
      'Random windows start from a zero state; sequential ones carry the state across batches (detached), so the model sees context beyond its window at no extra cost, but consecutive batches are correlated.',
    spec: {
      base: {},
      vary: [
        {
          name: 'batching',
          values: [
            { label: 'random', patch: { batching: 'random' } },
            { label: 'sequential', patch: { batching: 'sequential' } },
          ],
        },
      ],
    },
    answer: (rows) => `${versus(byLabel(rows, 'sequential'), byLabel(rows, 'random'))}.${divergedNote(rows)}`,
  },
  {
    id: 'truncation',
    question: 'How far back should we backpropagate?',
    lookFor:
      'The window is the truncation length of backpropagation through time: longer windows let gradients reach further back, at more cost per step, and may not help if the gradient vanishes before.',
    spec: { base: {}, vary: [{ name: 'window', values: [8, 32, 128].map((w) => ({ label: `window ${w}`, patch: { window: w } })) }] },
    answer(rows) {
      const b = best(rows);
      const speeds = rows.map((r) => `${r.label} ${r.tokensPerSec === undefined ? '?' : Math.round(r.tokensPerSec)}`).join(', ');
      return `Best: ${b ? `${b.label} (${loss(b)})` : 'none yet'}. Tokens/s: ${speeds}.${divergedNote(rows)}`;
    },
  },
  {
    id: 'embedding',
    question: 'One-hot or embedding?',
    lookFor:
      'One-hot input feeds each token as its own axis; an embedding learns a dense vector per token first. For characters the two should be close; for words an embedding saves parameters.',
    spec: {
      base: {},
      vary: [
        {
          name: 'input',
          values: [
            { label: 'one-hot', patch: { embedding: 0 } },
            { label: 'embedding 32', patch: { embedding: 32 } },
          ],
        },
      ],
    },
    answer(rows) {
      const [a, b] = [byLabel(rows, 'embedding 32'), byLabel(rows, 'one-hot')];
      return `${versus(a, b)}; parameters: one-hot ${b?.params ?? '?'}, embedding ${a?.params ?? '?'}.${divergedNote(rows)}`;
    },
  },
  {
    id: 'layers',
    question: 'One layer or two?',
    lookFor: 'A second layer reads the first layer’s states: more capacity and a deeper path for gradients, at twice the recurrent cost.',
    spec: {
      base: {},
      vary: [
        {
          name: 'layers',
          values: [
            { label: '1 layer', patch: { layers: 1 } },
            { label: '2 layers', patch: { layers: 2 } },
          ],
        },
      ],
    },
    answer: (rows) => `${versus(byLabel(rows, '2 layers'), byLabel(rows, '1 layer'))}.${divergedNote(rows)}`,
  },
  {
    id: 'context-probe',
    question: 'Does the model use all past tokens?',
    lookFor:
      'After training, each model predicts the validation text seeing only the last k tokens (its state starting from zero k steps back), for k = 1 up to the window. Where the loss stops falling, older tokens stopped helping.',
    spec: {
      base: {},
      vary: [
        {
          name: 'cell',
          values: [
            { label: 'RNN', patch: { cell: 'rnn' } },
            { label: 'LSTM', patch: { cell: 'lstm' } },
          ],
        },
      ],
    },
    probe: true,
    answer(rows) {
      const parts = rows.map((r) => {
        if (!r.probe?.length) return `${r.label}: no probe (${r.state})`;
        const first = r.probe[0];
        const last = r.probe[r.probe.length - 1];
        return `${r.label}: ${first.loss.toFixed(3)} nats seeing 1 token, ${last.loss.toFixed(3)} seeing ${last.k}; no better than that from k = ${r.usedContext} on`;
      });
      return `${parts.join('. ')}.`;
    },
  },
];

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
