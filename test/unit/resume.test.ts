/**
 * Resuming: checkpoints carry scalars, not the metric history (a version-1 checkpoint with a long history
 * still resumes, without spreading it); the text's hash guards the promised bit-identical resume.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCheckpoint, resolveCheckpoint } from '../../src/core/checkpoint';
import { buildCorpus } from '../../src/core/corpus';
import { createModel } from '../../src/core/createModel';
import { Rng } from '../../src/core/rng';
import { readLog, readRunRecord } from '../../src/core/runFiles';
import { runTraining, textHash } from '../../src/core/runTraining';
import { TrainControl, Trainer } from '../../src/core/trainer';
import type { MetricPoint, TrainConfig } from '../../src/protocol/types';
import { tinyConfig, useBackend } from './helpers';
import { syntheticText } from './longRun';

const CONFIG: TrainConfig = tinyConfig({
  cell: 'lstm',
  hidden: 8,
  batch: 4,
  window: 8,
  steps: 10,
  evalInterval: 5,
  evalTokens: 200,
  sampleInterval: 0,
  gradMapInterval: 0,
  checkpointInterval: 5,
  backend: 'cpu',
  threads: 1,
});

function setup(text = syntheticText(6000)): { dir: string; file: string; runDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-resume-'));
  const file = path.join(dir, 'text.txt');
  fs.writeFileSync(file, text);
  return { dir, file, runDir: path.join(dir, 'run') };
}

describe('resuming a run', () => {
  before(() => useBackend('cpu'));

  it('a checkpoint holds scalars, not the history: no "history", the first loss and the last evaluation', async () => {
    const { file, runDir } = setup();
    await runTraining({ runId: 'r', runDir, files: [file], config: CONFIG, control: new TrainControl() });
    const json = JSON.parse(fs.readFileSync(path.join(resolveCheckpoint(runDir), 'checkpoint.json'), 'utf8'));
    assert.equal(json.history, undefined);
    const metrics = readLog<MetricPoint>(runDir, 'metrics');
    assert.equal(json.startLoss, metrics[0].loss);
    assert.equal(json.lastLoss, metrics.at(-1)!.loss);
    assert.deepEqual(json.lastEval, readLog(runDir, 'evals').at(-1));
    assert.equal(json.textHash, textHash(fs.readFileSync(file, 'utf8')));
  });

  it('a version-1 checkpoint with a history of 200,000 metrics resumes (its history is not spread), keeping the start loss', async function () {
    this.timeout(120_000);
    const { file, runDir } = setup();
    await runTraining({ runId: 'r', runDir, files: [file], config: { ...CONFIG, batching: 'random' }, control: new TrainControl() });
    const dir = resolveCheckpoint(runDir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8'));
    // As version 1 wrote it: the whole history inline, no text hash, no scalars beside the history.
    const metrics = Array.from({ length: 200_000 }, (_, i) => ({ step: i + 1, loss: i === 0 ? 4.125 : 2, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: i }));
    const evals = Array.from({ length: 4000 }, (_, i) => ({ step: (i + 1) * 50, valLoss: i === 3999 ? 1.75 : 2 }));
    const legacy = { ...json, version: 1, history: { metrics, evals } };
    for (const k of ['textHash', 'startLoss', 'lastEval', 'carried']) delete legacy[k];
    fs.writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify(legacy));
    const loaded = loadCheckpoint(runDir);
    assert.equal(loaded.startLoss, 4.125);
    assert.deepEqual(loaded.lastEval, { step: 200_000, valLoss: 1.75 });
    const result = await runTraining({ runId: 'r', runDir, files: [file], config: { ...CONFIG, steps: 13 }, resumeFrom: runDir, control: new TrainControl() });
    assert.equal(result.reason, 'completed', result.message);
    assert.equal(result.step, 13);
    assert.equal(JSON.parse(fs.readFileSync(path.join(resolveCheckpoint(runDir), 'checkpoint.json'), 'utf8')).version, 2);
  });

  it('resuming on a changed text fails with TEXT_CHANGED, unless asked to continue as fine-tuning (fresh batch order)', async () => {
    const { file, runDir } = setup();
    await runTraining({ runId: 'r', runDir, files: [file], config: CONFIG, control: new TrainControl() });
    // The same text resumes.
    const same = await runTraining({ runId: 'r', runDir, files: [file], config: { ...CONFIG, steps: 12 }, resumeFrom: runDir, control: new TrainControl() });
    assert.equal(same.step, 12);
    const changed = syntheticText(6000, 7);
    fs.writeFileSync(file, changed);
    await assert.rejects(
      runTraining({ runId: 'r', runDir, files: [file], config: { ...CONFIG, steps: 14 }, resumeFrom: runDir, control: new TrainControl() }),
      (e: Error & { code?: string }) => e.code === 'TEXT_CHANGED' && /text changed since the checkpoint at step 12/.test(e.message),
    );
    assert.equal(readRunRecord(runDir)!.state, 'completed', 'the run stays as it was while the user decides');
    const tuned = await runTraining({
      runId: 'r',
      runDir,
      files: [file],
      config: { ...CONFIG, steps: 14 },
      resumeFrom: runDir,
      allowChangedText: true,
      control: new TrainControl(),
    });
    assert.equal(tuned.reason, 'completed');
    assert.deepEqual(
      readLog<MetricPoint>(runDir, 'metrics')
        .slice(-2)
        .map((m) => m.step),
      [13, 14],
    );
    const after = loadCheckpoint(runDir);
    assert.equal(after.textHash, textHash(changed), 'the checkpoint now names the new text');
  });

  it('fine-tuning on a changed text keeps weights and optimizer but starts the batch order afresh', async () => {
    const config = { ...CONFIG, batching: 'sequential' as const };
    const corpus = buildCorpus(syntheticText(6000), { ...config, minTrainTokens: 50 });
    const make = () => new Trainer(createModel(config, corpus.vocab.size, new Rng(config.seed)), corpus, config);
    const a = make();
    for (let i = 0; i < 3; i++) await a.trainOneStep();
    a.step = 3;
    const data = await a.checkpointData(0);
    const fresh = make();
    const expected = (await fresh.checkpointData(0)).batcher;
    const b = make();
    await b.restore(data, { freshBatches: true });
    const restored = await b.checkpointData(0);
    assert.deepEqual(restored.batcher, expected, 'batch order as a new run');
    assert.notDeepEqual(data.batcher, expected);
    assert.equal(restored.carriedState, undefined, 'no carried state from the other text');
    assert.deepEqual(restored.weights, data.weights);
    assert.deepEqual(restored.optimizer, data.optimizer);
    assert.equal(restored.step, 3);
    for (const t of [a, fresh, b]) {
      await t.dispose();
      t.model.dispose();
    }
  });
});
