/** The training loop on real text: no tensor leaks, exact resume, divergence guard, sampling, checkpoints. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, pruneCheckpoints, resolveCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { buildCorpus, Corpus } from '../../src/core/corpus';
import { createModel } from '../../src/core/createModel';
import { Rng } from '../../src/core/rng';
import { readLog, readRunRecord } from '../../src/core/runFiles';
import { runTraining } from '../../src/core/runTraining';
import { generate, inspect, pickToken } from '../../src/core/sample';
import { divergence, TrainControl, Trainer } from '../../src/core/trainer';
import type { TrainConfig } from '../../src/protocol/types';
import { TEST_DATA, tinyConfig, useBackend } from './helpers';

const TEXT = fs.readFileSync(path.join(TEST_DATA, 'timemachine.txt'), 'utf8').slice(0, 30_000);

function corpusFor(config: TrainConfig): Corpus {
  return buildCorpus(TEXT, { ...config, minTrainTokens: 100 });
}

function trainer(config: TrainConfig): Trainer {
  const corpus = corpusFor(config);
  return new Trainer(createModel(config, corpus.vocab.size, new Rng(config.seed)), corpus, config);
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-train-'));
}

describe('training loop (wasm backend)', () => {
  before(() => useBackend('wasm'));

  for (const cell of ['lstm', 'gru', 'window'] as const) {
    it(`${cell}: tensor count stays flat over 200 steps and 200 sampled tokens`, async () => {
      const config = tinyConfig({
        cell,
        hidden: 16,
        batch: 8,
        window: 16,
        steps: 200,
        batching: cell === 'window' ? 'random' : 'sequential',
        gradMapInterval: 1,
        evalInterval: 50,
        evalTokens: 500,
        sampleInterval: 0,
      });
      const t = trainer(config);
      await t.trainOneStep(); // a first step creates the optimizer's slots, which live as long as the trainer
      const before = tf.memory().numTensors;
      let maps = 0;
      await t.run({ onGradMap: () => maps++ }, new TrainControl());
      t.sample('The ', 200, 0.8, 5);
      assert.equal(maps, 200);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      await t.dispose();
      t.model.dispose();
    });
  }

  for (const batching of ['random', 'sequential'] as const) {
    it(`${batching}: resuming from a checkpoint gives the same next losses as an uninterrupted run`, async () => {
      const config = tinyConfig({
        cell: 'lstm',
        hidden: 16,
        batch: 8,
        window: 16,
        steps: 12,
        batching,
        evalInterval: 6,
        sampleInterval: 6,
        evalTokens: 500,
        checkpointInterval: 0,
      });
      const whole = trainer(config);
      const losses: number[] = [];
      await whole.run({ onStep: (p) => losses.push(p.loss) }, new TrainControl());

      const dir = tmpDir();
      const first = trainer({ ...config, steps: 7 });
      await first.run(
        {
          onCheckpoint: async (data) => {
            saveCheckpoint(dir, data);
          },
        },
        new TrainControl(),
      );
      const second = trainer(config);
      await second.restore(loadCheckpoint(dir));
      const resumed: number[] = [];
      await second.run({ onStep: (p) => resumed.push(p.loss) }, new TrainControl());
      assert.equal(resumed.length, 5);
      assert.deepEqual(resumed, losses.slice(7), 'bit-identical losses after resume');
      for (const t of [whole, first, second]) {
        await t.dispose();
        t.model.dispose();
      }
    });
  }

  it('stops within one step when asked, keeping a checkpoint of the last step', async () => {
    const control = new TrainControl();
    const t = trainer(tinyConfig({ hidden: 16, batch: 4, window: 8, steps: 1000, evalInterval: 1000, sampleInterval: 0 }));
    let saved = -1;
    const outcome = await t.run(
      {
        onStep: (p) => p.step === 5 && control.stop(),
        onCheckpoint: (d) => {
          saved = d.step;
        },
      },
      control,
    );
    assert.deepEqual([outcome.reason, outcome.step, saved], ['stopped', 5, 5]);
    await t.dispose();
    t.model.dispose();
  });

  it('ends interrupted, with a checkpoint of the last step, when the host goes away (even while paused)', async () => {
    const control = new TrainControl();
    const t = trainer(tinyConfig({ hidden: 16, batch: 4, window: 8, steps: 1000, evalInterval: 1000, sampleInterval: 0 }));
    let saved = -1;
    const running = t.run(
      {
        onStep: (p) => p.step === 3 && control.pause(),
        onCheckpoint: (d) => {
          saved = d.step;
        },
      },
      control,
    );
    await new Promise((r) => setTimeout(r, 100));
    control.interrupt();
    const outcome = await running;
    assert.deepEqual([outcome.reason, outcome.step, saved], ['interrupted', 3, 3]);
    assert.match(outcome.message, /reloaded or closed.*Resume continues from the checkpoint at step 3/);
    await t.dispose();
    t.model.dispose();
  });

  it('pauses between steps and resumes', async () => {
    const control = new TrainControl();
    const t = trainer(tinyConfig({ hidden: 16, batch: 4, window: 8, steps: 6, evalInterval: 1000, sampleInterval: 0 }));
    const events: string[] = [];
    const running = t.run(
      {
        onStep: (p) => {
          events.push(`step ${p.step}`);
          if (p.step === 2) control.pause();
        },
        onStateChange: (s) => events.push(s),
      },
      control,
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(events.at(-1), 'paused');
    assert.equal(t.step, 2);
    control.resume();
    assert.equal((await running).reason, 'completed');
    assert.deepEqual(events.slice(2, 4), ['paused', 'training']);
    await t.dispose();
    t.model.dispose();
  });

  it('divergence guard: NaN, infinite norms and runaway losses stop training', () => {
    assert.match(divergence(NaN, 1, 4.2)!, /not a number/);
    assert.match(divergence(3, Infinity, 4.2)!, /gradient norm/);
    assert.match(divergence(40, 1, 4.2)!, /far above its start/);
    assert.equal(divergence(4.5, 50, 4.2), undefined);
  });

  it('a run with an absurd learning rate ends "diverged", and its last good checkpoint stays', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'tm.txt');
    fs.writeFileSync(file, TEXT);
    const config = tinyConfig({
      cell: 'rnn',
      hidden: 32,
      batch: 8,
      window: 16,
      steps: 400,
      lr: 10,
      clip: 0,
      optimizer: 'sgd',
      checkpointInterval: 1,
      evalInterval: 1000,
      sampleInterval: 0,
    });
    const result = await runTraining({ runId: 'diverge', runDir: path.join(dir, 'run'), files: [file], config, control: new TrainControl() });
    assert.equal(result.reason, 'diverged', result.message);
    const record = readRunRecord(path.join(dir, 'run'))!;
    assert.equal(record.state, 'diverged');
    assert.match(record.reason!, /Lower the learning rate/);
    const latest = loadCheckpoint(path.join(dir, 'run'));
    assert.equal(latest.step, result.step);
    assert.ok(
      latest.weights.every((w) => w.data.every(Number.isFinite)),
      'checkpointed weights are finite',
    );
  });

  it('sampling: greedy and top-1 agree, a seed reproduces a sample, a prompt warms the state up', async () => {
    const config = tinyConfig({ hidden: 16 });
    const t = trainer(config);
    const { vocab, level } = t.corpus;
    const g = (opts: Partial<Parameters<typeof generate>[3]>) => generate(t.model, vocab, level, { prompt: 'The ', length: 30, temperature: 1, topK: 0, rng: new Rng(1), ...opts });
    assert.equal(g({ temperature: 0 }), g({ topK: 1 }));
    assert.equal(g({}), g({}));
    assert.notEqual(g({ rng: new Rng(2) }), g({ rng: new Rng(3) }));
    const streamed: string[] = [];
    const text = g({ onToken: (s) => streamed.push(s) });
    assert.equal(streamed.join(''), text);
    assert.equal(streamed.length, 30, 'one piece per generated token');
    await t.dispose();
    t.model.dispose();
  });

  it('pickToken respects temperature and top-k', () => {
    const logp = Float32Array.from([Math.log(0.7), Math.log(0.2), Math.log(0.1)]);
    const rng = new Rng(0);
    const counts = [0, 0, 0];
    for (let i = 0; i < 5000; i++) counts[pickToken(logp, 1, 2, rng)]++;
    assert.equal(counts[2], 0, 'top-2 never picks the third');
    assert.ok(Math.abs(counts[0] / 5000 - 0.7 / 0.9) < 0.03);
    const cold = [0, 0, 0];
    for (let i = 0; i < 2000; i++) cold[pickToken(logp, 0.2, 0, rng)]++;
    assert.ok(cold[0] > 1950, 'low temperature concentrates on the mode');
  });

  it('inspection gives a surprisal per token after the first, matching the model', async () => {
    const t = trainer(tinyConfig({ hidden: 16 }));
    const { tokens, meanSurprisal } = inspect(t.model, t.corpus.vocab, 'char', 'Time', 3);
    assert.equal(tokens.length, 4);
    assert.equal(tokens[0].surprisal, undefined);
    assert.ok(tokens.slice(1).every((x) => x.surprisal! > 0 && x.top.length === 3));
    assert.ok(Math.abs(meanSurprisal - (tokens[1].surprisal! + tokens[2].surprisal! + tokens[3].surprisal!) / 3) < 1e-9);
    await t.dispose();
    t.model.dispose();
  });

  it('a crash mid-checkpoint leaves the previous checkpoint as the latest', async () => {
    const dir = tmpDir();
    const t = trainer(tinyConfig({ hidden: 8, steps: 1 }));
    await t.run({}, new TrainControl());
    saveCheckpoint(dir, await t.checkpointData(0));
    // A half-written later checkpoint, as a crash would leave it.
    fs.mkdirSync(path.join(dir, '.step-0000002.123.tmp'));
    fs.writeFileSync(path.join(dir, '.step-0000002.123.tmp', 'checkpoint.json'), '{"trunc');
    assert.equal(path.basename(resolveCheckpoint(dir)), 'step-0000001');
    assert.equal(loadCheckpoint(dir).step, 1);
    await t.dispose();
    t.model.dispose();
  });

  it('keeps the newest three checkpoints and the best one, and the folder matches the record', async () => {
    const dir = tmpDir();
    const checkpointsDir = path.join(dir, 'checkpoints');
    const refs = [10, 20, 30, 40, 50].map((step) => ({ step, path: `checkpoints/step-${String(step).padStart(7, '0')}`, valLoss: step === 20 ? 1.5 : 2, time: '' }));
    for (const r of refs) fs.mkdirSync(path.join(dir, r.path), { recursive: true });
    const kept = pruneCheckpoints(checkpointsDir, refs);
    assert.deepEqual(
      kept.map((r) => r.step),
      [20, 30, 40, 50],
    );
    assert.deepEqual(
      fs.readdirSync(checkpointsDir).sort(),
      kept.map((r) => path.basename(r.path)),
    );
  });

  it('runTraining writes the run folder: record, logs, checkpoints, README', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'tm.txt');
    fs.writeFileSync(file, TEXT);
    const runDir = path.join(dir, 'run');
    const config = tinyConfig({ hidden: 16, batch: 8, window: 16, steps: 20, evalInterval: 10, gradMapInterval: 5, sampleInterval: 10, checkpointInterval: 10 });
    const result = await runTraining({ runId: 'r1', runDir, files: [file], config, control: new TrainControl() });
    assert.equal(result.reason, 'completed');
    const record = readRunRecord(runDir)!;
    assert.equal(record.state, 'completed');
    assert.equal(record.step, 20);
    assert.deepEqual(
      record.checkpoints.map((c) => c.step),
      [10, 20],
    );
    assert.equal(readLog(runDir, 'metrics').length, 20);
    assert.equal(readLog(runDir, 'evals').length, 2);
    assert.equal(readLog(runDir, 'gradmaps').length, 4);
    assert.equal(readLog(runDir, 'samples').length, 2);
    assert.match(fs.readFileSync(path.join(runDir, 'README.md'), 'utf8'), /State: completed/);
    assert.equal(record.info!.vocabSize, corpusFor(config).vocab.size);

    // Fine-tuning another text starts a new run from these weights and this vocabulary.
    const other = path.join(dir, 'other.txt');
    fs.writeFileSync(other, 'Ωmega ' + TEXT.slice(5000, 15000));
    const tuned = await runTraining({
      runId: 'r2',
      runDir: path.join(dir, 'run2'),
      files: [other],
      config: { ...config, hidden: 99, steps: 5 },
      fineTuneFrom: runDir,
      control: new TrainControl(),
    });
    assert.equal(tuned.info.vocabSize, record.info!.vocabSize, 'same vocabulary');
    assert.equal(readRunRecord(path.join(dir, 'run2'))!.config.hidden, 16, 'architecture comes from the checkpoint');
  });
});
