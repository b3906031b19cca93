/**
 * The trainable weights of a model, by Keras-style name (e.g. "lstm_0/kernel", "dense/bias"), in a
 * fixed order. tfjs registers variables under globally unique names, so each store gets a private
 * prefix; the Keras names are what checkpoints and views use.
 */
import * as tf from '@tensorflow/tfjs-core';

let nextStore = 0;

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly prefix = `seqlab${nextStore++}`;

  add(name: string, shape: number[], data: Float32Array): tf.Variable {
    if (this.vars.has(name)) throw new Error(`duplicate parameter ${name}`);
    const initial = tf.tensor(data, shape);
    const v = tf.variable(initial, true, `${this.prefix}/${name}`);
    initial.dispose();
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** The tfjs variable name of a parameter (what optimizers key their state by). */
  variableName(name: string): string {
    return `${this.prefix}/${name}`;
  }

  get count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  read(): NamedArray[] {
    return this.names().map((name) => {
      const v = this.get(name);
      return { name, shape: v.shape, data: v.dataSync() as Float32Array };
    });
  }

  /** Replaces every weight; names and shapes must match exactly. */
  write(arrays: readonly NamedArray[]): void {
    const byName = new Map(arrays.map((a) => [a.name, a]));
    for (const name of this.names()) {
      const a = byName.get(name);
      const v = this.get(name);
      if (!a) throw new Error(`checkpoint has no weight ${name}`);
      if (a.shape.join('x') !== v.shape.join('x')) throw new Error(`weight ${name} has shape [${a.shape}] in the checkpoint, [${v.shape}] in the model`);
      tf.tidy(() => v.assign(tf.tensor(a.data, a.shape)));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
