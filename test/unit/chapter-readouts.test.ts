/**
 * Readouts recorded during training (at the gradient-map interval, read back through the checked
 * reader, used by the results table), the LSTM's c_t gradient, the n-gram lines and the token
 * statistics: each against an independent computation of the same number.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../../src/core/checkpoint';
import { buildCorpus } from '../../src/core/corpus';
import { createModel } from '../../src/core/createModel';
import { resultRow } from '../../src/core/experiments/resultsTable';
import { ngramLoss } from '../../src/core/ngram';
import { memoryHorizon, recurrentBlockReadouts, spectralEvery, stateGradNorms } from '../../src/core/readouts';
import { Rng } from '../../src/core/rng';
import { readLogChecked, readRunJson } from '../../src/core/runFolderReader';
import { runTraining } from '../../src/core/runTraining';
import { logSpacedRanks, tokenStatsInfo } from '../../src/core/tokenStats';
import { TrainControl } from '../../src/core/trainer';
import type { GradMap, MetricPoint } from '../../src/protocol/types';
import { randomBatch, TEST_DATA, tinyConfig, useBackend } from './helpers';

const TEXT = fs.readFileSync(path.join(TEST_DATA, 'timemachine.txt'), 'utf8').slice(0, 20_000);

function ok<T>(c: { ok: true; record: T } | { ok: false; reason: string }): T {
  if (!c.ok) throw new Error(c.reason);
  return c.record;
}

describe('chapter readouts', () => {
  before(() => useBackend('cpu'));

  it('records readouts with every gradient map of an LSTM run: horizons on (h, c), spectra per gate block, clip rate per interval', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-readouts-'));
    const file = path.join(dir, 'tm.txt');
    fs.writeFileSync(file, TEXT);
    const runDir = path.join(dir, 'run');
    // A low clip threshold so that some steps clip and some do not.
    const config = tinyConfig({ cell: 'lstm', hidden: 8, layers: 2, batch: 4, window: 12, steps: 12, gradMapInterval: 4, evalInterval: 6, clip: 0.35, backend: 'cpu', threads: 1 });
    await runTraining({ runId: 'lstm', runDir, files: [file], config, control: new TrainControl() });
    const maps: GradMap[] = ok(readLogChecked(runDir, 'gradmaps'));
    const metrics: MetricPoint[] = ok(readLogChecked(runDir, 'metrics'));
    assert.deepEqual(
      maps.map((m) => m.step),
      [4, 8, 12],
    );
    for (const m of maps) {
      const r = m.readouts!;
      assert.ok(r, `step ${m.step}: readouts recorded`);
      assert.equal(m.cellGradNorms!.length, 2);
      for (let l = 0; l < 2; l++) {
        assert.equal(m.cellGradNorms![l][11], 0, 'no c_T gradient from beyond the window');
        assert.ok(m.cellGradNorms![l][5] > 0);
        assert.equal(r.memoryHorizon[l], memoryHorizon(stateGradNorms(m.hiddenGradNorms[l], m.cellGradNorms![l])));
        assert.equal(r.memoryHorizonH![l], memoryHorizon(m.hiddenGradNorms[l]));
      }
      const inInterval = metrics.filter((p) => p.step > m.step - 4 && p.step <= m.step);
      assert.equal(r.clipRate, inInterval.filter((p) => p.clipped).length / 4);
      assert.deepEqual(r.gates, ['i', 'f', 'g', 'o']);
      assert.equal(r.spectralRadius!.length, 2);
      assert.equal(r.spectralRadius![0].length, 4);
    }
    assert.ok(metrics.some((p) => p.clipped) && metrics.some((p) => !p.clipped), metrics.map((p) => p.gradNorm.toFixed(2)).join(' '));
    // The last map's spectra are those of the final weights (the checkpoint of the last step).
    const weights = loadCheckpoint(runDir).weights;
    const U = weights.find((w) => w.name === 'lstm_1/recurrent_kernel')!;
    const expected = recurrentBlockReadouts(U.data, 8, 4);
    const last = maps[maps.length - 1].readouts!;
    assert.deepEqual(last.spectralRadius![1], expected.spectralRadius);
    assert.deepEqual(last.sigmaMax![1], expected.sigmaMax);
    // The largest singular value bounds the spectral radius.
    for (let g = 0; g < 4; g++) assert.ok(last.sigmaMax![1][g] >= last.spectralRadius![1][g] - 1e-9);

    // The results table reads the recorded values.
    const record = ok(readRunJson(runDir));
    const row = resultRow({
      label: 'lstm',
      state: record.state,
      info: record.info,
      durationMs: record.durationMs,
      metrics,
      evals: ok(readLogChecked(runDir, 'evals')),
      gradMaps: maps,
    });
    assert.equal(row.memoryHorizon, last.memoryHorizon[1]);
    assert.equal(row.spectralRadius, Math.max(...last.spectralRadius![1]));
    assert.equal(row.sigmaMax, Math.max(...last.sigmaMax![1]));

    // The n-gram lines and token statistics are in run.json, equal to the same computation on the corpus.
    const corpus = buildCorpus(TEXT, { ...config, minTrainTokens: 100 });
    const info = record.info!;
    assert.equal(info.bigramLoss, ngramLoss(corpus.train, corpus.val, corpus.vocab.size, 2));
    assert.equal(info.trigramLoss, ngramLoss(corpus.train, corpus.val, corpus.vocab.size, 3));
    // On 18,000 characters the bigram beats the unigram; add-one smoothing spreads a trigram's sparse
    // contexts so thin that it loses to the bigram here (it is 2.64 against 2.59 nats).
    assert.ok(info.bigramLoss! < info.unigramLoss, `${info.bigramLoss} < ${info.unigramLoss}`);
    assert.ok(info.trigramLoss! > info.bigramLoss! && info.trigramLoss! < info.unigramLoss, `${info.trigramLoss}`);
    assert.equal(info.tokenStats!.top[0].token, ' ', 'the space is the commonest character');
    assert.equal(info.tokenStats!.total, corpus.train.length);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a vanilla RNN records one gate block and no c_t map; spectra are measured less often above 256 units', async () => {
    assert.equal(spectralEvery(128), 1);
    assert.equal(spectralEvery(256), 1);
    assert.equal(spectralEvery(512), 4);
    assert.equal(spectralEvery(1024), 16);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-readouts-'));
    const file = path.join(dir, 'tm.txt');
    fs.writeFileSync(file, TEXT);
    const runDir = path.join(dir, 'run');
    const config = tinyConfig({ cell: 'rnn', activation: 'relu', hidden: 8, batch: 4, window: 10, steps: 6, gradMapInterval: 2, backend: 'cpu', threads: 1 });
    await runTraining({ runId: 'rnn', runDir, files: [file], config, control: new TrainControl() });
    const maps = ok(readLogChecked(runDir, 'gradmaps'));
    assert.equal(maps.length, 3);
    for (const m of maps) {
      assert.equal(m.cellGradNorms, undefined);
      assert.equal(m.readouts!.memoryHorizonH, undefined);
      assert.deepEqual(m.readouts!.gates, ['h']);
      assert.equal(m.readouts!.memoryHorizon[0], memoryHorizon(m.hiddenGradNorms[0]));
    }
    assert.equal(ok(readRunJson(runDir)).config.activation, 'relu');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the LSTM's c_t map: ||dℓ_T/dc_t|| through c_{t+1}, the same from the reference and the fused cells", () => {
    const config = tinyConfig({ cell: 'lstm', hidden: 6 });
    const batch = randomBatch(new Rng(9), 7, 10, 9);
    const maps = (['reference', 'fused'] as const).map((impl) => {
      const model = createModel(config, 7, new Rng(3), impl);
      const m = tf.tidy(() => model.trainStep(batch, undefined, true).lastStepCellGradNorms!.arraySync());
      model.dispose();
      return m[0];
    });
    assert.equal(maps[0][8], 0);
    for (let t = 0; t < 9; t++) assert.ok(Math.abs(maps[0][t] - maps[1][t]) <= 1e-5 * (1 + maps[0][t]), `t=${t}: ${maps[0][t]} vs ${maps[1][t]}`);
    // dℓ/dc_t = dℓ/dc_{t+1} ⊙ f_{t+1} + (what reaches c_{t+1} through h_{t+1}): it does not vanish within a short window.
    assert.ok(maps[0][0] > 1e-4 * maps[0][7], `${maps[0][0]} vs ${maps[0][7]}`);
  });

  it('n-gram losses by hand: add-one bigram and trigram on a two-letter text', () => {
    const train = Int32Array.from([0, 1, 0, 1, 0, 1]);
    const val = Int32Array.from([0, 1, 0]);
    // Bigram counts: 0→1 three times, 1→0 twice. P(1|0) = 4/5, P(0|1) = 3/4.
    assert.ok(Math.abs(ngramLoss(train, val, 2, 2) - -(Math.log(4 / 5) + Math.log(3 / 4)) / 2) < 1e-12);
    // Trigram: (0,1)→0 twice, (1,0)→1 twice. P(0|0,1) = 3/4, one prediction.
    assert.ok(Math.abs(ngramLoss(train, val, 2, 3) - -Math.log(3 / 4)) < 1e-12);
  });

  it('Zipf exponent: recovered from a synthetic stream with n_i ∝ i^-1.3', () => {
    const alpha = 1.3;
    const ranks = 300;
    const counts = Array.from({ length: ranks }, (_, i) => Math.round(200_000 * (i + 1) ** -alpha));
    const ids: number[] = [];
    counts.forEach((c, i) => {
      for (let k = 0; k < c; k++) ids.push(i);
    });
    // Shuffle: order does not matter to counts, but a stream should look like one.
    const rng = new Rng(1);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const tokens = Array.from({ length: ranks }, (_, i) => `w${i}`);
    const stats = tokenStatsInfo(Int32Array.from(ids), tokens, 'char');
    assert.ok(Math.abs(stats.zipfExponent - alpha) < 0.02, `fitted ${stats.zipfExponent}`);
    assert.ok(Math.abs(Math.exp(stats.zipfIntercept) - 200_000) / 200_000 < 0.05, `intercept ${Math.exp(stats.zipfIntercept)}`);
    assert.equal(stats.top[0].token, 'w0');
    assert.equal(stats.top[0].count, 200_000);
    assert.ok(stats.curve.length <= 201 && stats.curve[0][0] === 1 && stats.curve[stats.curve.length - 1][0] === stats.distinct);
    for (const [r, c] of stats.curve) assert.equal(c, counts[r - 1]);
    assert.deepEqual(logSpacedRanks(5), [1, 2, 3, 4, 5]);
    const spaced = logSpacedRanks(100_000);
    assert.ok(spaced.length <= 201, `${spaced.length} points`);
  });
});
