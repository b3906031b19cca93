/** Experiments: planning (validated before anything trains), the results table and its exports, presets. */
import * as assert from 'node:assert/strict';
import { ConfigError, DEFAULT_CONFIG } from '../../src/core/config';
import { parseVary, planExperiment } from '../../src/core/experiments/experimentPlan';
import { PRESETS } from '../../src/core/experiments/presets';
import { resultRow, resultsCsv, resultsMarkdown, type RunFacts } from '../../src/core/experiments/resultsTable';
import type { GradMap, MetricPoint } from '../../src/protocol/types';

function refuses(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof ConfigError && e.problems.some((p) => pattern.test(p)) && true);
}

describe('experiments: planning', () => {
  it('one varied setting: a run per value, same seed and text settings, labelled by value', () => {
    const runs = planExperiment({ base: { steps: 200 }, vary: [parseVary('cell=rnn,gru,lstm')] });
    assert.deepEqual(
      runs.map((r) => r.label),
      ['rnn', 'gru', 'lstm'],
    );
    assert.deepEqual(
      runs.map((r) => r.config.cell),
      ['rnn', 'gru', 'lstm'],
    );
    for (const r of runs) {
      assert.equal(r.config.steps, 200);
      assert.equal(r.config.seed, DEFAULT_CONFIG.seed);
      assert.deepEqual({ ...r.config, cell: 'lstm' }, { ...DEFAULT_CONFIG, steps: 200 }, 'nothing else differs');
    }
  });

  it('a grid over two settings', () => {
    const runs = planExperiment({ base: {}, vary: [parseVary('cell=rnn,lstm'), parseVary('clip=0,1')] });
    assert.deepEqual(
      runs.map((r) => r.label),
      ['cell = rnn, clip = 0', 'cell = rnn, clip = 1', 'cell = lstm, clip = 0', 'cell = lstm, clip = 1'],
    );
    assert.deepEqual(runs[1].values, { cell: 'rnn', clip: '1' });
    assert.equal(runs[1].config.clip, 1);
  });

  it('refuses values a setting does not accept, before anything trains, naming each', () => {
    refuses(() => planExperiment({ base: {}, vary: [parseVary('cell=rnn,transformer')] }), /transformer: cell must be one of rnn, gru, lstm, window/);
    refuses(() => planExperiment({ base: {}, vary: [parseVary('hidden=64,1.5,100000')] }), /1\.5: hidden must be a whole number/);
    refuses(() => planExperiment({ base: {}, vary: [parseVary('hidden=64,1.5,100000')] }), /100000: hidden = 100000 is out of range/);
    refuses(() => planExperiment({ base: {}, vary: [parseVary('lr=0.01,abc')] }), /abc: lr must be a number/);
    refuses(() => planExperiment({ base: {}, vary: [parseVary('colour=red,blue')] }), /Unknown setting "colour"/);
    refuses(() => planExperiment({ base: {}, vary: [parseVary('seed=1,2')] }), /seed must be the same in every run/);
    refuses(() => planExperiment({ base: {}, vary: [parseVary('cell=lstm')] }), /at least two values/);
    refuses(() => planExperiment({ base: {}, vary: [parseVary('hidden=8,16,32,64,128'), parseVary('layers=1,2,3,4')] }), /20 runs; an experiment holds at most 16/);
    refuses(() => parseVary('cell'), /NAME=V1,V2/);
  });

  it('every preset plans valid runs from the defaults', () => {
    for (const p of PRESETS) {
      const runs = planExperiment(p.spec);
      assert.ok(runs.length >= 2, p.id);
      assert.ok(p.question.endsWith('?'));
    }
  });
});

const metric = (step: number, clipped: boolean, tokensPerSec: number): MetricPoint => ({ step, loss: 3, gradNorm: 1, clipped, tokensPerSec, elapsedMs: step * 10 });
const gradMap = (norms: number[]): GradMap => ({ step: 10, hiddenGradNorms: [norms], paramGradNorms: {}, globalNorm: 1, clip: 1 });

const facts = (label: string, overrides: Partial<RunFacts> = {}): RunFacts => ({
  label,
  state: 'completed',
  info: { backend: 'wasm', backendReason: '', vocabSize: 60, paramCount: 1234, trainTokens: 1000, valTokens: 100, uniformLoss: Math.log(60), unigramLoss: 3, charsPerToken: 1 },
  durationMs: 12_345,
  metrics: [metric(1, true, 100), metric(2, false, 300), metric(3, false, 200), metric(4, true, 5000)],
  evals: [
    { step: 2, valLoss: 2.5 },
    { step: 4, valLoss: 2.0 },
    { step: 6, valLoss: 2.2 },
  ],
  gradMaps: [gradMap(Array.from({ length: 20 }, (_, t) => 10 ** ((t - 19) / 4)))],
  ...overrides,
});

describe('experiments: results table', () => {
  it('computes each figure from the run’s records', () => {
    const row = resultRow(facts('lstm'));
    assert.equal(row.bestValLoss, 2.0);
    assert.equal(row.finalValLoss, 2.2);
    assert.ok(Math.abs(row.perplexity! - Math.exp(2)) < 1e-12);
    assert.ok(Math.abs(row.bitsPerChar! - 2 / Math.LN2) < 1e-12);
    assert.equal(row.tokensPerSec, 250, 'the median, not the mean');
    assert.equal(row.wallTimeS, 12.345);
    assert.equal(row.params, 1234);
    assert.equal(row.clipRate, 0.5);
    // 10^(-k/4) >= 1e-3 while k <= 12.
    assert.equal(row.memoryHorizon, 12);
  });

  it('a diverged run with no evaluation still gets a row, with empty cells', () => {
    const row = resultRow(facts('no clipping', { state: 'diverged', evals: [], gradMaps: [] }));
    assert.equal(row.bestValLoss, undefined);
    const csv = resultsCsv([row]);
    assert.match(csv.split('\n')[1], /^no clipping,diverged,,,,,250,12\.3,1234,0\.500,,,,$/);
  });

  it('exports CSV (quoted where needed) and Markdown (pipes escaped)', () => {
    const rows = [resultRow(facts('window, tau 4')), resultRow(facts('a|b'))];
    const csv = resultsCsv(rows).split('\n');
    assert.equal(
      csv[0],
      'run,state,best val loss (nats),final val loss (nats),perplexity,bits/char,tokens/s,wall time (s),parameters,clip rate,memory horizon (steps),spectral radius of U,largest singular value of U,context used (tokens)',
    );
    assert.equal(csv[1], '"window, tau 4",completed,2.000,2.200,7.39,2.885,250,12.3,1234,0.500,12,,,');
    const md = resultsMarkdown(rows).split('\n');
    assert.match(md[1], /^\| --- \| --- \| ---: /);
    assert.equal(md[3], '| a\\|b | completed | 2.000 | 2.200 | 7.39 | 2.885 | 250 | 12.3 | 1234 | 0.500 | 12 |  |  |  |');
  });
});

describe('experiments: presets answer from the results', () => {
  it('"Why LSTM and GRU?" names the horizons and says which reaches further', () => {
    const p = PRESETS.find((x) => x.id === 'lstm-gru')!;
    const short = Array.from({ length: 20 }, (_, t) => 10 ** (t - 19));
    const rows = [
      resultRow(facts('RNN', { gradMaps: [gradMap(short)], evals: [{ step: 1, valLoss: 1.9 }] })),
      resultRow(facts('GRU')),
      resultRow(facts('LSTM', { evals: [{ step: 1, valLoss: 1.7 }] })),
    ];
    assert.equal(
      p.answer(rows),
      "Memory horizons (steps): RNN 3, GRU 12, LSTM 12; the LSTM's gradient reaches 9 steps further back than the RNN's. LSTM beat RNN by 0.200 nats (1.700 against 1.900).",
    );
  });

  it('"What does clipping do?" reports divergence instead of failing', () => {
    const p = PRESETS.find((x) => x.id === 'clipping')!;
    const rows = [resultRow(facts('no clipping', { state: 'diverged', evals: [] })), resultRow(facts('clip 1'))];
    assert.equal(p.answer(rows), 'Without clipping the run diverged. With clipping, 50% of steps were clipped.');
  });
});

describe('experiments: the context-length probe in results', () => {
  it('finds the context a model uses: the first k within 0.01 nats of the longest', () => {
    const probe = [
      { k: 1, loss: 2.5 },
      { k: 2, loss: 2.1 },
      { k: 4, loss: 1.905 },
      { k: 8, loss: 1.9 },
      { k: 16, loss: 1.898 },
    ];
    const row = resultRow(facts('LSTM', { probe }));
    assert.equal(row.usedContext, 4);
    assert.match(resultsCsv([row]).split('\n')[1], /,4$/);
    const p = PRESETS.find((x) => x.id === 'context-probe')!;
    assert.equal(p.answer([row]), 'LSTM: 2.500 nats seeing 1 token, 1.898 seeing 16; no better than that from k = 4 on.');
  });
});
