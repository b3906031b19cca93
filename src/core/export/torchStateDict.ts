/**
 * A Sequence Lab recurrent model's weights under PyTorch's names, shapes and gate order, so that
 *
 *   class CharModel(nn.Module):
 *       def __init__(self, vocab, hidden, layers, cell, embedding=0):
 *           self.embed = nn.Embedding(vocab, embedding) if embedding else None
 *           self.rnn = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}[cell](embedding or vocab, hidden, layers)
 *           self.head = nn.Linear(hidden, vocab)
 *
 * takes them with `load_state_dict`. Keras (our layout) keeps W as [D, G*H] and U as [H, G*H]; PyTorch
 * keeps weight_ih as [G*H, D] and weight_hh as [G*H, H]: transposes. Gate order: the LSTM's is the same
 * in both (input, forget, cell candidate, output); the GRU's is z, r, h in Keras and r, z, n in PyTorch.
 * Keras's GRU with reset_after (ours) has input and recurrent biases, as PyTorch's does; the LSTM and
 * the simple RNN have one bias, which goes to bias_ih with bias_hh zero.
 */
import type { TrainConfig } from '../../protocol/types';
import { KERAS_NAMES } from '../cells';
import type { NamedArray } from '../params';

const GATES = { rnn: 1, gru: 3, lstm: 4 } as const;
/** For each PyTorch gate block, the Keras block it comes from. */
const GATE_ORDER = { rnn: [0], gru: [1, 0, 2], lstm: [0, 1, 2, 3] } as const;

export type RecurrentCell = keyof typeof GATES;

/** [rows, cols] -> [cols, rows]. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** Reorders the gate blocks of the last axis ([rows, G*H]) from Keras's order to PyTorch's. */
function reorderGates(data: Float32Array, rows: number, cell: RecurrentCell, hidden: number): Float32Array {
  const order = GATE_ORDER[cell];
  const width = order.length * hidden;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    order.forEach((from, to) => out.set(data.subarray(r * width + from * hidden, r * width + (from + 1) * hidden), r * width + to * hidden));
  }
  return out;
}

/** Keras-layout weights (by name) to a PyTorch state dict, in the order nn.Module lists its parameters. */
export function toTorchStateDict(config: Pick<TrainConfig, 'cell' | 'hidden' | 'layers' | 'embedding'>, weights: readonly NamedArray[]): NamedArray[] {
  if (config.cell === 'window') throw new Error('The fixed-window model has no PyTorch recurrent counterpart to export to.');
  const cell = config.cell;
  const H = config.hidden;
  const G = GATES[cell];
  const byName = new Map(weights.map((w) => [w.name, w]));
  const get = (name: string): NamedArray => {
    const w = byName.get(name);
    if (!w) throw new Error(`the checkpoint has no weight ${name}`);
    return w;
  };
  const out: NamedArray[] = [];
  if (config.embedding > 0) {
    const e = get('embedding/embeddings');
    out.push({ name: 'embed.weight', shape: [...e.shape], data: e.data.slice() });
  }
  for (let l = 0; l < config.layers; l++) {
    const prefix = `${KERAS_NAMES[cell]}_${l}`;
    const kernel = get(`${prefix}/kernel`);
    const recurrent = get(`${prefix}/recurrent_kernel`);
    const bias = get(`${prefix}/bias`);
    const D = kernel.shape[0];
    // Reorder gates on Keras's [D, G*H] rows, then transpose to PyTorch's [G*H, D].
    out.push({ name: `rnn.weight_ih_l${l}`, shape: [G * H, D], data: transpose(reorderGates(kernel.data, D, cell, H), D, G * H) });
    out.push({ name: `rnn.weight_hh_l${l}`, shape: [G * H, H], data: transpose(reorderGates(recurrent.data, H, cell, H), H, G * H) });
    const biases = cell === 'gru' ? reorderGates(bias.data, 2, cell, H) : bias.data;
    out.push({ name: `rnn.bias_ih_l${l}`, shape: [G * H], data: biases.slice(0, G * H) });
    out.push({ name: `rnn.bias_hh_l${l}`, shape: [G * H], data: cell === 'gru' ? biases.slice(G * H, 2 * G * H) : new Float32Array(G * H) });
  }
  const dense = get('dense/kernel');
  out.push({ name: 'head.weight', shape: [dense.shape[1], dense.shape[0]], data: transpose(dense.data, dense.shape[0], dense.shape[1]) });
  const denseBias = get('dense/bias');
  out.push({ name: 'head.bias', shape: [...denseBias.shape], data: denseBias.data.slice() });
  return out;
}
