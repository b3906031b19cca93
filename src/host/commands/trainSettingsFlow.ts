/**
 * "Train with Settings...": a short series of quick picks and input boxes for the choices that matter
 * most (cell, level, size, window, batching, steps, learning rate, clipping, backend). Each step starts
 * on the current setting; Escape cancels the whole flow. Everything else comes from settings.
 */
import * as vscode from 'vscode';
import { NUMBER_RULES } from '../../core/config';
import type { Activation, BackendChoice, BatchingMode, CellType, TokenLevel, TrainConfig, TruncationMode } from '../../protocol/types';

interface Choice<T> extends vscode.QuickPickItem {
  value: T;
}

const OTHER = Symbol('other');

const CELLS: Choice<CellType>[] = [
  { label: 'LSTM', description: 'long short-term memory', detail: 'Gates keep a cell state that carries gradients across many steps.', value: 'lstm' },
  { label: 'GRU', description: 'gated recurrent unit', detail: 'Two gates, fewer parameters than the LSTM; also keeps gradients alive.', value: 'gru' },
  { label: 'RNN', description: 'vanilla tanh recurrent network', detail: 'The plain recurrence: watch its gradients vanish through time in the heatmap.', value: 'rnn' },
  { label: 'Fixed window', description: 'autoregressive MLP baseline', detail: 'Predicts each token from the previous τ tokens only; no hidden state.', value: 'window' },
];

const LEVELS: Choice<TokenLevel>[] = [
  { label: 'Characters', description: 'one token per Unicode code point', value: 'char' },
  { label: 'Words', description: 'one token per word or punctuation mark', value: 'word' },
];

const BATCHINGS: Choice<BatchingMode>[] = [
  { label: 'Random windows', description: 'independent windows; hidden state reset each batch', value: 'random' },
  { label: 'Sequential', description: 'streams continue; hidden state carried over and detached (truncated BPTT)', value: 'sequential' },
];

const ACTIVATIONS: Choice<Activation>[] = [
  { label: 'tanh', description: 'the usual vanilla RNN', detail: 'Bounded: gradients through time shrink by the slope of tanh at every step.', value: 'tanh' },
  { label: 'ReLU', description: 'rectified linear', detail: 'Unbounded: gradients through time can grow as well as vanish; clipping matters more.', value: 'relu' },
];

const TRUNCATIONS: Choice<TruncationMode>[] = [
  { label: 'Fixed', description: 'every batch is the window long', value: 'fixed' },
  {
    label: 'Randomized',
    description: 'each batch between window/2 and 3 window/2 steps, mean the window',
    detail: 'Randomized truncation: the lengths vary around the window, so no fixed cut-off shapes what is learned.',
    value: 'random',
  },
];

const BACKENDS: Choice<BackendChoice>[] = [
  { label: 'Automatic', description: 'the fastest backend that loads', value: 'auto' },
  { label: 'TensorFlow (native)', description: 'tfjs-node, if installed', value: 'tensorflow' },
  { label: 'WebAssembly', description: 'ships with the extension; works everywhere', value: 'wasm' },
  { label: 'CPU (JavaScript)', description: 'slowest; a fallback', value: 'cpu' },
];

/** Runs the flow; resolves to the choices, or undefined when the user cancels. */
export async function pickTrainSettings(current: TrainConfig, fileLabel: string): Promise<Partial<TrainConfig> | undefined> {
  const out: Partial<TrainConfig> = {};
  const isWindow = () => (out.cell ?? current.cell) === 'window';
  // Grows when a step applies only to some choices (the RNN's activation, sequential batching's kept graph).
  let total = 11;
  let step = 0;
  const title = (what: string) => `Train on ${fileLabel}: ${what}`;

  const cell = await pickOne(title('model'), ++step, total, CELLS, current.cell);
  if (cell === undefined) return undefined;
  out.cell = cell;

  if (cell === 'rnn') {
    total++;
    const activation = await pickOne(title('activation of the vanilla RNN'), ++step, total, ACTIVATIONS, current.activation ?? 'tanh');
    if (activation === undefined) return undefined;
    out.activation = activation;
  } else out.activation = 'tanh';

  const level = await pickOne(title('tokens'), ++step, total, LEVELS, current.level);
  if (level === undefined) return undefined;
  out.level = level;

  const hidden = await pickNumber(title(isWindow() ? 'hidden units of the MLP' : 'hidden units per layer'), ++step, total, 'hidden', [32, 64, 128, 256, 512], current.hidden);
  if (hidden === undefined) return undefined;
  out.hidden = hidden;

  if (isWindow()) {
    const tau = await pickNumber(title('context length τ (tokens the MLP sees)'), ++step, total, 'tau', [4, 8, 16, 32], current.tau);
    if (tau === undefined) return undefined;
    out.tau = tau;
  } else {
    const layers = await pickNumber(title('stacked layers'), ++step, total, 'layers', [1, 2, 3, 4], current.layers);
    if (layers === undefined) return undefined;
    out.layers = layers;
  }

  const window = await pickNumber(title('time steps per batch (BPTT length)'), ++step, total, 'window', [16, 32, 64, 128, 256], current.window);
  if (window === undefined) return undefined;
  out.window = window;

  const truncation = await pickOne(title('truncation of backpropagation through time'), ++step, total, TRUNCATIONS, current.truncation ?? 'fixed');
  if (truncation === undefined) return undefined;
  out.truncation = truncation;

  const batching = await pickOne(title('batching'), ++step, total, BATCHINGS, current.batching);
  if (batching === undefined) return undefined;
  out.batching = batching;

  if (batching === 'sequential' && !isWindow() && truncation === 'fixed') {
    total++;
    const keepGraph = await pickNumber(
      title('previous windows to backpropagate through (0 detaches at every batch)'),
      ++step,
      total,
      'keepGraph',
      [0, 1, 2, 4],
      current.keepGraph ?? 0,
    );
    if (keepGraph === undefined) return undefined;
    out.keepGraph = keepGraph;
  } else out.keepGraph = 0;

  const steps = await inputNumber(title('training steps'), ++step, total, 'steps', current.steps);
  if (steps === undefined) return undefined;
  out.steps = steps;

  const lr = await inputNumber(title(`learning rate (${current.optimizer})`), ++step, total, 'lr', current.lr);
  if (lr === undefined) return undefined;
  out.lr = lr;

  const clip = await inputNumber(title('gradient clipping threshold (global norm; 0 disables)'), ++step, total, 'clip', current.clip);
  if (clip === undefined) return undefined;
  out.clip = clip;

  const backend = await pickOne(title('compute backend'), ++step, total, BACKENDS, current.backend);
  if (backend === undefined) return undefined;
  out.backend = backend;
  return out;
}

function pickOne<T>(title: string, step: number, totalSteps: number, items: Choice<T>[], current: T): Promise<T | undefined> {
  const marked = items.map((i) => (i.value === current ? { ...i, description: `${i.description ?? ''} (current)`.trim() } : i));
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Choice<T>>();
    qp.title = title;
    qp.step = step;
    qp.totalSteps = totalSteps;
    qp.items = marked;
    qp.activeItems = marked.filter((i) => i.value === current);
    qp.ignoreFocusOut = true;
    let result: T | undefined;
    qp.onDidAccept(() => {
      result = qp.selectedItems[0]?.value ?? qp.activeItems[0]?.value;
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(result);
    });
    qp.show();
  });
}

async function pickNumber(title: string, step: number, totalSteps: number, key: keyof typeof NUMBER_RULES, presets: number[], current: number): Promise<number | undefined> {
  const values = [...new Set([...presets, current])].sort((a, b) => a - b);
  const items: Choice<number | typeof OTHER>[] = [
    ...values.map((v) => ({ label: String(v), value: v as number | typeof OTHER })),
    { label: 'Other...', description: rangeText(key), value: OTHER },
  ];
  const picked = await pickOne(title, step, totalSteps, items, current);
  if (picked === OTHER) return inputNumber(title, step, totalSteps, key, current);
  return picked;
}

async function inputNumber(title: string, step: number, totalSteps: number, key: keyof typeof NUMBER_RULES, current: number): Promise<number | undefined> {
  const rule = NUMBER_RULES[key];
  const text = await vscode.window.showInputBox({
    title: `${title} (step ${step} of ${totalSteps})`,
    value: String(current),
    prompt: rangeText(key),
    ignoreFocusOut: true,
    validateInput: (v) => {
      const n = Number(v);
      if (!v.trim() || !Number.isFinite(n)) return 'Enter a number.';
      if (rule.integer && !Number.isInteger(n)) return 'Enter a whole number.';
      if (n < rule.min || n > rule.max) return `Use ${rule.min} to ${rule.max} (${rule.why}).`;
      return undefined;
    },
  });
  return text === undefined ? undefined : Number(text);
}

function rangeText(key: keyof typeof NUMBER_RULES): string {
  const r = NUMBER_RULES[key];
  return `${r.min} to ${r.max}: ${r.why}`;
}
