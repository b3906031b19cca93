/**
 * A Sequence Lab recurrent model as a TensorFlow.js Layers model: `model.json` (Keras topology and a
 * weights manifest) and `weights.bin`, which `tf.loadLayersModel` loads in a browser or Node. Our weights
 * already use Keras's names and layout (embedding/embeddings, lstm_0/kernel, dense/bias, ...), which are
 * the names tfjs gives the same layers, so the weights go across untouched.
 *
 * The model maps a batch of sequences to next-token logits for every position:
 *   embedding models: token ids [B, T]           -> logits [B, T, V]
 *   one-hot models:   one-hot vectors [B, T, V]  -> logits [B, T, V]
 * (softmax of the logits is the next-token distribution Sequence Lab samples from).
 *
 * tfjs's GRU implements only Keras's reset_after=false form, r ⊙ (h_{t-1}) U; ours is reset_after=true,
 * r ⊙ (h_{t-1} U + b_h), as in PyTorch and cuDNN. The two are different functions, so a GRU cannot be
 * exported to tfjs exactly and is refused (safetensors carries it).
 */
import type { TrainConfig } from '../../protocol/types';
import { KERAS_NAMES } from '../cells';
import type { NamedArray } from '../params';

const LAYER_CLASS = { rnn: 'SimpleRNN', lstm: 'LSTM' } as const;

export interface TfjsLayersArtifacts {
  /** The content of model.json. */
  modelJson: Record<string, unknown>;
  /** The content of weights.bin: every weight, float32, in the manifest's order. */
  weightsBin: Uint8Array;
}

export type TfjsExportConfig = Pick<TrainConfig, 'cell' | 'hidden' | 'layers' | 'embedding'>;

/** Why a model cannot be exported as a tfjs Layers model, or undefined if it can. */
export function tfjsUnsupported(config: TfjsExportConfig): string | undefined {
  if (config.cell === 'window') return 'The fixed-window model is an MLP over the last tau tokens, not a stack of recurrent layers: it has no Layers or PyTorch recurrent form.';
  if (config.cell === 'gru')
    return "TensorFlow.js's GRU layer computes r ⊙ h U (Keras reset_after=false); Sequence Lab's GRU computes r ⊙ (h U + b), as PyTorch does. Export it as safetensors instead.";
  return undefined;
}

export function toTfjsLayersModel(config: TfjsExportConfig, vocabSize: number, weights: readonly NamedArray[]): TfjsLayersArtifacts {
  const why = tfjsUnsupported(config);
  if (why) throw new Error(why);
  const cell = config.cell as 'rnn' | 'lstm';
  const layers: Record<string, unknown>[] = [];
  const names: string[] = [];
  if (config.embedding > 0) {
    layers.push({
      class_name: 'Embedding',
      config: {
        name: 'embedding',
        input_dim: vocabSize,
        output_dim: config.embedding,
        batch_input_shape: [null, null],
        dtype: 'float32',
        trainable: true,
        mask_zero: null,
        input_length: null,
      },
    });
    names.push('embedding/embeddings');
  }
  for (let l = 0; l < config.layers; l++) {
    const name = `${KERAS_NAMES[cell]}_${l}`;
    layers.push({
      class_name: LAYER_CLASS[cell],
      config: {
        name,
        units: config.hidden,
        activation: 'tanh',
        // tfjs's LSTM defaults to hard_sigmoid gates; ours are the logistic sigmoid.
        ...(cell === 'lstm' ? { recurrent_activation: 'sigmoid' } : {}),
        use_bias: true,
        return_sequences: true,
        return_state: false,
        go_backwards: false,
        stateful: false,
        unroll: false,
        trainable: true,
        dtype: 'float32',
        ...(l === 0 && config.embedding === 0 ? { batch_input_shape: [null, null, vocabSize] } : {}),
      },
    });
    names.push(`${name}/kernel`, `${name}/recurrent_kernel`, `${name}/bias`);
  }
  layers.push({ class_name: 'Dense', config: { name: 'dense', units: vocabSize, activation: 'linear', use_bias: true, trainable: true, dtype: 'float32' } });
  names.push('dense/kernel', 'dense/bias');

  const byName = new Map(weights.map((w) => [w.name, w]));
  const ordered = names.map((n) => {
    const w = byName.get(n);
    if (!w) throw new Error(`the checkpoint has no weight ${n}`);
    return w;
  });
  const total = ordered.reduce((n, w) => n + w.data.length, 0);
  const floats = new Float32Array(total);
  let at = 0;
  for (const w of ordered) {
    floats.set(w.data, at);
    at += w.data.length;
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'Sequence Lab',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'sequence_lab', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: ordered.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  };
  return { modelJson, weightsBin: new Uint8Array(floats.buffer) };
}
