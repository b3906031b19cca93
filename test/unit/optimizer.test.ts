/** Optimizers: global-norm clipping to exactly the threshold, updates in parameter order, portable state. */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { applyGradients, clipByGlobalNorm, createOptimizer, readOptimizerState, sumOfSquares, writeOptimizerState } from '../../src/core/optimizer';
import { ParamStore } from '../../src/core/params';
import { useBackend } from './helpers';

function norm(grads: Float32Array[]): number {
  return Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, v) => a + v * v, 0), 0));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

describe('gradient clipping', () => {
  it('sums squares', () => {
    assert.equal(sumOfSquares(Float32Array.of(1, -2, 3)), 14);
    assert.equal(sumOfSquares(new Float32Array(0)), 0);
  });

  it('scales every gradient so that the global norm after clipping is the threshold', () => {
    const grads = [Float32Array.of(3, 0), Float32Array.of(0, -4, 12)]; // norm 13
    assert.equal(clipByGlobalNorm(grads, norm(grads), 2.6), true);
    assert.ok(Math.abs(norm(grads) - 2.6) < 1e-6, `norm after clipping ${norm(grads)}`);
    assert.deepEqual(
      Array.from(grads[0]).map((v) => +v.toFixed(5)),
      [0.6, 0],
    );
    assert.deepEqual(
      Array.from(grads[1]).map((v) => +v.toFixed(5)),
      [0, -0.8, 2.4],
    );
  });

  it('leaves gradients at or below the threshold alone, and says so', () => {
    for (const clip of [13, 20]) {
      const grads = [Float32Array.of(3, 4, 12)];
      assert.equal(clipByGlobalNorm(grads, 13, clip), false, `clip ${clip}`);
      assert.deepEqual(Array.from(grads[0]), [3, 4, 12]);
    }
  });

  it('does not clip when the threshold is 0 (disabled) or negative', () => {
    for (const clip of [0, -1]) {
      const grads = [Float32Array.of(3, 4, 12)];
      assert.equal(clipByGlobalNorm(grads, 13, clip), false, `clip ${clip}`);
      assert.deepEqual(Array.from(grads[0]), [3, 4, 12]);
    }
  });
});

describe('optimizers', () => {
  before(() => useBackend('cpu'));

  it('creates Adam, SGD and RMSprop with the learning rate', () => {
    for (const [name, className] of [
      ['adam', 'Adam'],
      ['sgd', 'SGD'],
      ['rmsprop', 'RMSProp'],
    ] as const) {
      const opt = createOptimizer(name, 0.25);
      assert.equal(opt.getClassName(), className);
      assert.equal(opt.getConfig().learningRate, 0.25, name);
      opt.dispose();
    }
  });

  it('applies each gradient to its own parameter', () => {
    const params = new ParamStore();
    params.add('a', [2], Float32Array.of(1, 2));
    params.add('b', [1], Float32Array.of(10));
    const opt = createOptimizer('sgd', 0.5);
    try {
      tf.tidy(() => applyGradients(opt, params, { b: tf.tensor1d([4]), a: tf.tensor1d([2, -2]) }));
      assert.deepEqual(Array.from(params.get('a').dataSync()), [0, 3]);
      assert.deepEqual(Array.from(params.get('b').dataSync()), [8]);
    } finally {
      opt.dispose();
      params.dispose();
    }
  });

  it('saves the optimizer state under Keras names and restores it into another model, which then steps identically', async () => {
    const make = (): ParamStore => {
      const p = new ParamStore();
      p.add('dense/kernel', [2, 2], Float32Array.of(1, 2, 3, 4));
      p.add('dense/bias', [2], Float32Array.of(0.5, -0.5));
      return p;
    };
    // Gradients that change from step to step, so that the moments matter.
    const grads = (k = 1): Record<string, tf.Tensor> => ({
      'dense/kernel': tf
        .tensor2d([
          [0.1, -0.2],
          [0.3, 0.4],
        ])
        .mul(k),
      'dense/bias': tf.tensor1d([1, -1]).mul(k),
    });
    const p1 = make();
    const p2 = make();
    const o1 = createOptimizer('adam', 0.1);
    const o2 = createOptimizer('adam', 0.1);
    try {
      tf.tidy(() => applyGradients(o1, p1, grads(5)));
      tf.tidy(() => applyGradients(o1, p1, grads(-2)));
      const state = await readOptimizerState(o1, p1);
      const names = state.map((s) => s.name);
      assert.deepEqual([...names].sort(), ['dense/bias/m', 'dense/bias/v', 'dense/kernel/m', 'dense/kernel/v', 'iter'].sort());
      assert.deepEqual(state.find((s) => s.name === 'dense/bias/m')!.shape, [2]);
      assert.deepEqual(state.find((s) => s.name === 'dense/kernel/v')!.shape, [2, 2]);
      assert.equal(state.find((s) => s.name === 'iter')!.data[0], 2);

      p2.write(p1.read());
      const tensorsBefore = tf.memory().numTensors;
      await writeOptimizerState(o2, p2, state);
      // The optimizer keeps its own copies (m and v of two weights); the tensors made on the way are freed.
      assert.equal(tf.memory().numTensors - tensorsBefore, 4);
      // Its slots are named after this process's variables again, as tfjs names them.
      const slots = (await o2.getWeights()).map((w) => w.name);
      assert.ok(slots.includes(`${p2.variableName('dense/bias')}/m`) && slots.includes(`${p2.variableName('dense/kernel')}/v`), slots.join(', '));
      const again = await readOptimizerState(o2, p2);
      for (const s of state) assert.deepEqual(Array.from(again.find((a) => a.name === s.name)!.data), Array.from(s.data), s.name);
      tf.tidy(() => applyGradients(o1, p1, grads()));
      tf.tidy(() => applyGradients(o2, p2, grads()));
      // Equal up to float rounding (tfjs recomputes beta^t from the restored step count).
      for (const name of p1.names()) assertClose(p2.get(name).dataSync(), p1.get(name).dataSync(), 1e-5, name);
      // A fresh optimizer (no restored moments) steps differently: the comparison above can fail.
      const p3 = make();
      const o3 = createOptimizer('adam', 0.1);
      p3.write(p1.read());
      tf.tidy(() => applyGradients(o3, p3, grads()));
      tf.tidy(() => applyGradients(o1, p1, grads()));
      const gap = Math.abs(p3.get('dense/bias').dataSync()[0] - p1.get('dense/bias').dataSync()[0]);
      assert.ok(gap > 1e-3, `a fresh optimizer lands ${gap} away`);
      o3.dispose();
      p3.dispose();
    } finally {
      for (const o of [o1, o2]) o.dispose();
      for (const p of [p1, p2]) p.dispose();
    }
  });

  it('keeps a state entry it cannot map under its own name', async () => {
    const params = new ParamStore();
    params.add('w', [1], Float32Array.of(1));
    const opt = createOptimizer('adam', 0.1);
    try {
      await writeOptimizerState(opt, params, [
        { name: 'iter', shape: [], data: Float32Array.of(5) },
        { name: 'w/m', shape: [1], data: Float32Array.of(0.5) },
        { name: 'w/v', shape: [1], data: Float32Array.of(0.25) },
      ]);
      const state = await readOptimizerState(opt, params);
      assert.deepEqual(state.map((s) => [s.name, Array.from(s.data)]).sort(), [
        ['iter', [5]],
        ['w/m', [0.5]],
        ['w/v', [0.25]],
      ]);
    } finally {
      opt.dispose();
      params.dispose();
    }
  });
});
