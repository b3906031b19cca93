import * as assert from 'assert';
import { applyRunMessage, firstIndexAtOrAfter, MODEL_CAPS, RunModel } from '../../src/webview/lib/runModel';
import { cellAt, decadesLost, heatmapGrid, layerCount } from '../../src/webview/lib/heatmapModel';
import { surprisalLevel, surprisalScale, tokenTooltip, visibleToken } from '../../src/webview/lib/surprisal';
import type { HostToPanel, RunDeltas, RunView } from '../../src/protocol/panel';
import type { GradMap, MetricPoint, RunSummary, TrainConfig } from '../../src/protocol/types';

const config = {
  level: 'char',
  minFreq: 1,
  maxVocab: 200,
  valFraction: 0.1,
  cell: 'rnn',
  hidden: 64,
  layers: 1,
  embedding: 0,
  tau: 8,
  batch: 8,
  window: 4,
  batching: 'random',
  optimizer: 'adam',
  lr: 0.01,
  clip: 1,
  steps: 100,
  seed: 1,
  evalInterval: 10,
  evalTokens: 1000,
  gradMapInterval: 5,
  sampleInterval: 50,
  sampleLength: 50,
  temperature: 1,
  checkpointInterval: 0,
  backend: 'cpu',
} satisfies TrainConfig;
const summary: RunSummary = {
  id: 'run-a',
  name: 'a',
  state: 'training',
  files: ['a.txt'],
  cell: 'rnn',
  hidden: 64,
  layers: 1,
  level: 'char',
  step: 0,
  steps: 100,
  createdAt: '2024-01-01T00:00:00Z',
  durationMs: 0,
};
const point = (step: number, loss = 2): MetricPoint => ({ step, loss, gradNorm: 1, clipped: false, tokensPerSec: 100, elapsedMs: step * 10 });
/** A map as the engine writes it now: the last prediction's norms and the whole window's (here flat). */
const map = (step: number, norms: number[][]): GradMap => ({
  step,
  hiddenGradNorms: norms,
  totalGradNorms: norms.map((row) => row.map(() => 0.01)),
  paramGradNorms: {},
  globalNorm: 1,
  clip: 1,
});
const deltas = (runId: string, over: Partial<RunDeltas> = {}): HostToPanel => ({ type: 'deltas', runId, metrics: [], evals: [], gradMaps: [], samples: [], ...over });
const view = (over: Partial<RunView> = {}): RunView => ({ summary, config, metrics: [], evals: [], gradMaps: [], samples: [], checkpoints: [], ...over });

describe('webview run model', () => {
  it('holds a bounded history while a long run streams in: the newer half whole, the older thinned', () => {
    let { model } = applyRunMessage(undefined, { type: 'snapshot', runId: 'run-a', run: view(), readOnly: false });
    const total = 200_000;
    for (let step = 1; step <= total; step += 100) {
      const metrics = Array.from({ length: 100 }, (_, i) => point(step + i, step + i <= 50_000 ? 3 : 1));
      const evals = [{ step: step + 99, valLoss: 2 }];
      ({ model } = applyRunMessage(
        model,
        deltas('run-a', { metrics, evals, gradMaps: [map(step + 99, [[1]])], samples: [{ step: step + 99, prompt: '', text: 't', temperature: 1 }] }),
      ));
    }
    const m = model!;
    assert.ok(m.steps.length <= MODEL_CAPS.metrics && m.steps.length > MODEL_CAPS.metrics / 2, `${m.steps.length} points`);
    assert.ok(m.evalSteps.length <= MODEL_CAPS.evals && m.gradMaps.length <= MODEL_CAPS.gradMaps && m.samples.length <= MODEL_CAPS.samples);
    assert.strictEqual(m.lastStep, total);
    assert.ok(
      m.steps.every((s, i) => i === 0 || s > m.steps[i - 1]),
      'steps ascending',
    );
    assert.ok(m.gradMaps.every((g, i) => i === 0 || g.step > m.gradMaps[i - 1].step));
    // The curve keeps its shape: the drop at step 50,000 stays there.
    assert.ok(m.steps.every((s, i) => (s < 49_000 ? m.loss[i] === 3 : s > 51_000 ? m.loss[i] === 1 : true)));
    const newest = m.steps.slice(-1000);
    assert.deepStrictEqual(
      newest,
      Array.from({ length: 1000 }, (_, i) => total - 999 + i),
      'the newest points are whole',
    );
  });

  it('replaces everything on a snapshot and appends deltas of the same run', () => {
    let { model } = applyRunMessage(undefined, { type: 'snapshot', runId: 'run-a', run: view({ metrics: [point(1), point(2)] }), readOnly: false });
    assert.deepStrictEqual(model!.steps, [1, 2]);
    let changes;
    ({ model, changes } = applyRunMessage(model, deltas('run-a', { metrics: [point(3), point(4)] })));
    assert.deepStrictEqual(model!.steps, [1, 2, 3, 4]);
    assert.deepStrictEqual(changes, ['metrics']);
    // One message carries all a batch added, and says which parts of the panel it changes.
    ({ model, changes } = applyRunMessage(
      model,
      deltas('run-a', {
        metrics: [point(5)],
        evals: [{ step: 5, valLoss: 1.5 }],
        gradMaps: [map(5, [[1, 2]])],
        samples: [{ step: 5, prompt: '', text: 'abc', temperature: 1 }],
      }),
    ));
    assert.deepStrictEqual(changes, ['metrics', 'eval', 'gradmap', 'sample']);
    assert.deepStrictEqual(model!.steps, [1, 2, 3, 4, 5]);
    assert.deepStrictEqual([model!.evalSteps, model!.gradMaps.length, model!.samples.length], [[5], 1, 1]);
    assert.deepStrictEqual(applyRunMessage(model, deltas('run-a')).changes, []);
    const r = applyRunMessage(model, { type: 'snapshot', runId: 'run-b', run: view({ metrics: [point(7)] }), readOnly: true });
    assert.notStrictEqual(r.model, model);
    assert.deepStrictEqual(r.model!.steps, [7]);
    assert.strictEqual(r.model!.readOnly, true);
  });

  it('drops deltas of another run, and deltas before any snapshot', () => {
    const { model } = applyRunMessage(undefined, { type: 'snapshot', runId: 'run-a', run: view(), readOnly: false });
    assert.deepStrictEqual(applyRunMessage(model, deltas('run-old', { metrics: [point(1)] })).changes, []);
    assert.strictEqual(model!.steps.length, 0);
    assert.deepStrictEqual(applyRunMessage(undefined, deltas('run-a', { evals: [{ step: 1, valLoss: 1 }] })).changes, []);
  });

  it('keeps steps ascending when history rewinds (resume from an earlier checkpoint)', () => {
    const m = new RunModel('run-a', view({ metrics: [1, 2, 3, 4, 5].map((s) => point(s)) }), false);
    const revision = m.revision;
    m.appendMetrics([point(6)]);
    assert.strictEqual(m.revision, revision, 'appending does not cut history');
    m.appendMetrics([point(3, 9), point(4, 9)]);
    assert.ok(m.revision > revision, 'a rewind tells derived caches (the EMA) to start over');
    assert.deepStrictEqual(m.steps, [1, 2, 3, 4]);
    assert.deepStrictEqual(m.loss, [2, 2, 9, 9]);
    assert.strictEqual(m.gradNorm.length, 4);
    m.addEval({ step: 10, valLoss: 3 });
    m.addEval({ step: 20, valLoss: 2 });
    m.addEval({ step: 20, valLoss: 1.5 });
    assert.deepStrictEqual(m.evalSteps, [10, 20]);
    assert.deepStrictEqual(m.valLoss, [3, 1.5]);
    assert.strictEqual(m.bestValLoss, 1.5);
    m.addGradMap(map(5, [[1]]));
    m.addGradMap(map(10, [[1]]));
    m.addGradMap(map(10, [[2]]));
    assert.deepStrictEqual(
      m.gradMaps.map((g) => g.hiddenGradNorms[0][0]),
      [1, 2],
    );
  });

  it('status updates the summary and checkpoints', () => {
    const { model } = applyRunMessage(undefined, { type: 'snapshot', runId: 'run-a', run: view(), readOnly: false });
    applyRunMessage(model, { type: 'status', runId: 'run-a', summary: { ...summary, state: 'paused' }, checkpoints: [{ step: 5, path: 'c', time: 't' }] });
    assert.strictEqual(model!.summary.state, 'paused');
    assert.strictEqual(model!.checkpoints.length, 1);
  });

  it("shows the host's workspace-relative file paths when they pair with the files, else the absolute ones", () => {
    const files = ['/tmp/ws/corpus.txt', '/elsewhere/b.txt'];
    const run = view({ summary: { ...summary, files } });
    // An older host sends none: the absolute paths.
    assert.deepStrictEqual(applyRunMessage(undefined, { type: 'snapshot', runId: 'run-a', run, readOnly: false }).model!.shownFiles, files);
    const { model } = applyRunMessage(undefined, { type: 'snapshot', runId: 'run-a', run, readOnly: false, displayFiles: ['corpus.txt', '/elsewhere/b.txt'] });
    assert.deepStrictEqual(model!.shownFiles, ['corpus.txt', '/elsewhere/b.txt']);
    // A status without them keeps the snapshot's; one with them replaces them.
    applyRunMessage(model, { type: 'status', runId: 'run-a', summary: { ...summary, files, state: 'paused' }, checkpoints: [] });
    assert.deepStrictEqual(model!.shownFiles, ['corpus.txt', '/elsewhere/b.txt']);
    applyRunMessage(model, { type: 'status', runId: 'run-a', summary: { ...summary, files }, checkpoints: [], displayFiles: ['./corpus.txt', '/elsewhere/b.txt'] });
    assert.deepStrictEqual(model!.shownFiles, ['./corpus.txt', '/elsewhere/b.txt']);
    // Paths that do not pair one to one with the files are not trusted to say which is which.
    const odd = new RunModel('run-a', run, false, ['corpus.txt']);
    assert.deepStrictEqual(odd.shownFiles, files);
    assert.deepStrictEqual(new RunModel('run-a', run, false, ['', 'b.txt']).shownFiles, files);
  });

  it("says the file beside the run's name only when the name does not already say it", () => {
    const one = (files: string[], name: string, displayFiles?: string[]) => new RunModel('run-a', view({ summary: { ...summary, files, name } }), false, displayFiles).filesLine;
    assert.strictEqual(one(['/ws/corpus.txt'], 'corpus.txt', ['corpus.txt']), '');
    assert.strictEqual(one(['/ws/notes/corpus.txt'], 'corpus.txt', ['notes/corpus.txt']), 'notes/corpus.txt');
    assert.strictEqual(one(['/ws/big.txt'], 'big.txt (first 50 MB)', ['big.txt']), 'big.txt');
    assert.strictEqual(one(['/ws/a.txt', '/ws/sub/b.txt'], 'a.txt + b.txt', ['a.txt', 'sub/b.txt']), '2 files: a.txt, b.txt');
  });

  it('binary search finds the first index at or after a value', () => {
    assert.strictEqual(firstIndexAtOrAfter([1, 3, 5], 0), 0);
    assert.strictEqual(firstIndexAtOrAfter([1, 3, 5], 3), 1);
    assert.strictEqual(firstIndexAtOrAfter([1, 3, 5], 4), 2);
    assert.strictEqual(firstIndexAtOrAfter([1, 3, 5], 9), 3);
  });
});

describe('webview heatmap model', () => {
  const vanishing = (step: number) =>
    map(step, [
      [1e-6, 1e-4, 1e-2, 1],
      [0.5, 0.5, 0.5, 0.5],
    ]);

  it('lays out one column per map and one row per time step, in log10', () => {
    const grid = heatmapGrid([vanishing(5), vanishing(10), map(15, [[0, 1e-4, 1e-2, 1]])], 0, 'last');
    assert.strictEqual(grid.cols, 3);
    assert.strictEqual(grid.rows, 4);
    assert.deepStrictEqual(grid.steps, [5, 10, 15]);
    assert.strictEqual(grid.values[1 * 4 + 0], -6);
    assert.strictEqual(grid.values[1 * 4 + 3], 0);
    assert.ok(Number.isNaN(grid.values[2 * 4 + 0]), 'a zero norm has no log');
    assert.strictEqual(grid.min, -6);
    assert.strictEqual(grid.max, 0);
    assert.strictEqual(layerCount([vanishing(1)]), 2);
  });

  it('measures the decades lost between the last and first time step', () => {
    assert.strictEqual(decadesLost(heatmapGrid([vanishing(5)], 0, 'last')), 6);
    assert.strictEqual(decadesLost(heatmapGrid([vanishing(5)], 1, 'last')), 0);
    const flat = heatmapGrid([vanishing(5)], 1, 'last');
    assert.ok(flat.max > flat.min, 'an empty range is widened');
  });

  it('maps a point to a cell with t=0 at the top or at the bottom', () => {
    const grid = heatmapGrid([vanishing(5), vanishing(10)], 0, 'last');
    assert.deepStrictEqual(cellAt(grid, 0, 0, 100, 40, true), { col: 0, t: 0 });
    assert.deepStrictEqual(cellAt(grid, 99, 0, 100, 40, false), { col: 1, t: 3 });
    assert.deepStrictEqual(cellAt(grid, 60, 39, 100, 40, false), { col: 1, t: 0 });
    assert.strictEqual(cellAt(grid, 100, 0, 100, 40, true), undefined);
  });
});

describe('webview surprisal', () => {
  it('shows whitespace tokens visibly', () => {
    assert.strictEqual(visibleToken('a b\n\t'), 'a␣b↵⇥');
  });

  it('buckets surprisal against the scale and marks missing values', () => {
    assert.strictEqual(surprisalLevel(undefined, 4), -1);
    assert.strictEqual(surprisalLevel(0, 4), 0);
    assert.strictEqual(surprisalLevel(4, 4), 7);
    assert.strictEqual(surprisalLevel(100, 4), 7);
    assert.strictEqual(surprisalLevel(2, 4), 4);
  });

  it('scales to the 95th percentile, at least one nat', () => {
    const tokens = Array.from({ length: 100 }, (_, i) => ({ token: 'x', surprisal: i / 10, top: [] }));
    assert.strictEqual(surprisalScale(tokens), 9.5);
    assert.strictEqual(surprisalScale([{ token: 'a', top: [] }]), 1);
  });

  it('tooltips give the probability and the top predictions', () => {
    const tip = tokenTooltip({
      token: ' ',
      surprisal: Math.log(4),
      top: [
        { token: 'e', p: 0.5 },
        { token: ' ', p: 0.25 },
      ],
    });
    assert.match(tip, /"␣": p = 0\.250/);
    assert.match(tip, /2\.00 bits/);
    assert.match(tip, /e +0\.500/);
  });
});
