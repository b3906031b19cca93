/**
 * Data-parallel training on two threads computes what one thread computes: the same loss, gradients and
 * maps for a batch (up to float rounding), the same training curve, exact resume, and clean failure.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createBatcher } from '../../src/core/batches';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { buildCorpus } from '../../src/core/corpus';
import { createModel } from '../../src/core/createModel';
import { LocalGradients } from '../../src/core/gradients';
import { DataParallelGradients } from '../../src/core/parallel/dataParallelGradients';
import { Rng } from '../../src/core/rng';
import { TrainControl, Trainer } from '../../src/core/trainer';
import type { CellType, TrainConfig } from '../../src/protocol/types';
import { TEST_DATA, tinyConfig, useBackend } from './helpers';

const TEXT = fs.readFileSync(path.join(TEST_DATA, 'timemachine.txt'), 'utf8').slice(0, 20_000);

function setup(config: TrainConfig) {
  const corpus = buildCorpus(TEXT, { ...config, minTrainTokens: 100 });
  const model = createModel(config, corpus.vocab.size, new Rng(config.seed));
  return { corpus, model };
}

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-4, Math.abs(a[i]) + Math.abs(b[i])));
  return worst;
}

describe('data-parallel training (two threads, wasm backend)', () => {
  before(() => useBackend('wasm'));

  for (const cell of ['lstm', 'gru', 'rnn', 'window'] as CellType[]) {
    it(`${cell}: the split batch gives the whole batch's loss, gradients and maps`, async () => {
      // 17 sequences: uneven halves (9 and 8), and the first 8, where the last prediction's map is measured, on this thread.
      const config = tinyConfig({ cell, hidden: 16, batch: 17, window: 12, layers: cell === 'gru' ? 2 : 1 });
      const { corpus, model } = setup(config);
      const batch = createBatcher('random', corpus.train, 17, 12, model.prefix, 3).next();
      const local = new LocalGradients(model, false).computeSync(batch, true);
      const dp = await DataParallelGradients.start(model, config, corpus.vocab.size, 'wasm');
      try {
        const split = await dp.compute(batch, true);
        assert.ok(Math.abs(split.loss - local.loss) < 1e-5 * local.loss, `loss ${split.loss} vs ${local.loss}`);
        split.grads.forEach((g, i) => assert.ok(relError(g, local.grads[i]) < 1e-4, `gradient ${model.params.names()[i]}: ${relError(g, local.grads[i])}`));
        assert.ok(relError(split.lastStepMap!.flat(), local.lastStepMap!.flat()) < 1e-4, 'last-step map');
        assert.ok(relError(split.totalMap!.flat(), local.totalMap!.flat()) < 1e-4, 'whole-window map');
      } finally {
        await dp.dispose();
        model.dispose();
      }
    });
  }

  it('trains along the same curve as one thread, with sequential batching and its carried state', async () => {
    const config = tinyConfig({ cell: 'lstm', hidden: 16, batch: 8, window: 16, steps: 15, batching: 'sequential', evalInterval: 5, evalTokens: 500, sampleInterval: 0 });
    const curves: number[][] = [];
    for (const threads of [1, 2]) {
      const { corpus, model } = setup(config);
      const t = new Trainer(model, corpus, config);
      try {
        if (threads === 2) await t.enableDataParallel('wasm');
        const losses: number[] = [];
        const first = await t.trainOneStep(); // creates the optimizer's slots
        t.step++;
        losses.push(first.loss);
        const before = tf.memory().numTensors;
        await t.run({ onStep: (p) => losses.push(p.loss) }, new TrainControl());
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks on the coordinating thread');
        curves.push(losses);
      } finally {
        await t.dispose();
        model.dispose();
      }
    }
    assert.ok(relError(curves[0], curves[1]) < 1e-3, `curves agree: ${curves[0].slice(-3)} vs ${curves[1].slice(-3)}`);
  });

  it('resumes exactly: a checkpoint of a two-thread run continues with the same losses', async () => {
    const config = tinyConfig({ cell: 'gru', hidden: 16, batch: 6, window: 10, steps: 10, batching: 'sequential', evalInterval: 100, sampleInterval: 0, checkpointInterval: 0 });
    const run = async (steps: number, from?: string, checkpointTo?: string) => {
      const { corpus, model } = setup(config);
      const t = new Trainer(model, corpus, { ...config, steps });
      try {
        if (from) await t.restore(loadCheckpoint(from));
        await t.enableDataParallel('wasm');
        const losses: number[] = [];
        await t.run(
          {
            onStep: (p) => losses.push(p.loss),
            onCheckpoint: (d) => {
              if (checkpointTo) saveCheckpoint(checkpointTo, d);
            },
          },
          new TrainControl(),
        );
        return losses;
      } finally {
        await t.dispose();
        model.dispose();
      }
    };
    const whole = await run(10);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-dp-'));
    await run(6, undefined, dir);
    const resumed = await run(10, dir);
    assert.deepEqual(resumed, whole.slice(6));
  });

  it('a replica that dies fails the step with an error instead of hanging', async () => {
    const config = tinyConfig({ hidden: 8, batch: 4, window: 8 });
    const { corpus, model } = setup(config);
    const dp = await DataParallelGradients.start(model, config, corpus.vocab.size, 'wasm');
    try {
      await (dp as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      const batch = createBatcher('random', corpus.train, 4, 8, 0, 1).next();
      await assert.rejects(dp.compute(batch, false), /the replica thread exited/);
    } finally {
      await dp.dispose();
      model.dispose();
    }
  });
});
