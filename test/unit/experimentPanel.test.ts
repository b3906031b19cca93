/**
 * The experiment panel's host side on real experiments trained by the command line (tiny runs, one of
 * them diverging): every figure of its results table against what each run's own folder records,
 * computed here straight from the files; the preset's answer; containment of what it reads; and the
 * bounds of what it sends (curves, gradient maps, samples).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readExperiment, writeExperiment } from '../../src/core/experiments/experimentRecord';
import { presetById } from '../../src/core/experiments/presets';
import type { RunHistory } from '../../src/core/runFiles';
import { containExperimentDir, listExperimentIds, loadExperiment, type LoadedRun } from '../../src/host/views/experimentPanelData';
import { buildExperimentView, MAP_NUMBER_BUDGET } from '../../src/host/views/experimentPanelView';
import { MAX_CURVE_EVALS, MAX_CURVE_POINTS, MAX_PANEL_MAPS, isExperimentPanelToHost, type ExperimentView } from '../../src/protocol/experimentPanel';
import type { GradMap, MetricPoint, TrainConfig } from '../../src/protocol/types';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { expectedCells } from './experimentPanelFigures';
import { syntheticText } from './longRun';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const SMALL = ['--hidden', '8', '--batch', '4', '--window', '8', '--eval-interval', '5', '--eval-tokens', '400', '--grad-map-interval', '5', '--sample-interval', '10', '--quiet'];

describe('experiment panel: protocol', () => {
  it('accepts the panel’s messages and refuses anything else', () => {
    assert.ok(isExperimentPanelToHost({ type: 'ready' }));
    assert.ok(isExperimentPanelToHost({ type: 'action', action: 'cancel', experimentId: '20261129-164000-ab12' }));
    assert.ok(isExperimentPanelToHost({ type: 'export', format: 'markdown', target: 'document', experimentId: 'exp_1' }));
    for (const bad of [
      null,
      'ready',
      { type: 'nope' },
      { type: 'action', action: 'delete', experimentId: 'x' },
      { type: 'action', action: 'resume', experimentId: '../x' },
      { type: 'action', action: 'resume', experimentId: 'a/b' },
      { type: 'action', action: 'resume', experimentId: 'a.b' },
      { type: 'action', action: 'resume', experimentId: '' },
      { type: 'action', action: 'resume', experimentId: 'x'.repeat(81) },
      { type: 'export', format: 'html', target: 'clipboard', experimentId: 'x' },
      { type: 'export', format: 'csv', target: 'disk', experimentId: 'x' },
      { type: 'export', format: 'csv', target: 'clipboard' },
    ])
      assert.equal(isExperimentPanelToHost(bad), false, JSON.stringify(bad));
  });
});

describe('experiment panel: a real experiment, read from its folders', function () {
  this.timeout(300_000);
  let tmp: string;
  let experimentId: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-exppanel-'));
    fs.writeFileSync(path.join(tmp, 'text.txt'), syntheticText(6000));
    // Plain SGD at a learning rate of 10 diverges; 0.01 completes: both must show.
    const r = spawnSync(
      process.execPath,
      [CLI, 'experiment', 'text.txt', '--vary', 'lr=0.01,10', '--cell', 'rnn', '--optimizer', 'sgd', '--clip', '0', '--steps', '30', ...SMALL, '--json'],
      {
        encoding: 'utf8',
        cwd: tmp,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    experimentId = path.basename(JSON.parse(r.stdout.trim()).experimentDir);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const load = async () => {
    const loaded = await loadExperiment(tmp, experimentId);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.reason);
    return loaded;
  };

  it('every figure of the results table equals what that run’s own folder records', async () => {
    const loaded = await load();
    const { view, rows } = buildExperimentView(loaded.record, loaded.runs, false);
    assert.deepEqual(
      view.runs.map((r) => r.state),
      ['completed', 'diverged'],
    );
    assert.equal(view.table.rows.length, 2);
    loaded.record.runs.forEach((ref, i) => {
      const runDir = path.join(tmp, '.seqlab', 'runs', ref.runId!);
      assert.deepEqual(view.table.rows[i], expectedCells(runDir, ref.label, view.runs[i].state));
    });
    // The completed run has every figure; the diverged one is there, marked, not dropped.
    assert.ok(view.table.rows[0].slice(2, 11).every((c) => c !== ''));
    assert.equal(view.table.rows[1][1], 'diverged');
    assert.equal(rows.length, 2);
    assert.equal(view.done, 2);
    assert.equal(view.total, 2);
    assert.match(view.runs[1].reason ?? '', /\S/, 'the diverged run says why');
  });

  it('curves, gradient maps and samples come from the folders, bounded', async () => {
    const loaded = await load();
    const { view } = buildExperimentView(loaded.record, loaded.runs, false);
    const completed = loaded.runs[0].history!;
    assert.deepEqual(view.runs[0].series.metrics, completed.metrics, 'a short curve is sent whole');
    assert.deepEqual(view.runs[0].series.evals, completed.evals);
    const sentMap = view.runs[0].gradMaps.at(-1)!;
    assert.deepEqual(sentMap.hiddenGradNorms, completed.gradMaps.at(-1)!.hiddenGradNorms.slice(-1), 'the top layer of the newest map');
    assert.deepEqual(sentMap.paramGradNorms, {});
    // Samples every 10 steps: the latest step every run with samples has one for (the diverged run may have none).
    const s = view.samples!;
    assert.ok(s, view.samplesNote);
    const sampled = loaded.runs.filter((r) => r.history!.samples.length);
    const common = sampled[0].history!.samples.map((x) => x.step).filter((step) => sampled.every((r) => r.history!.samples.some((x) => x.step === step)));
    assert.equal(s.step, Math.max(...common));
    assert.deepEqual(
      s.texts.map((t) => t.text),
      sampled.map((r) => r.history!.samples.find((x) => x.step === s.step)!.text),
    );
    if (sampled.length < 2) assert.match(view.samplesNote, new RegExp(`No samples from ${loaded.runs[1].ref.label}`));
  });

  it('answers its preset’s question from these rows', async () => {
    const dir = path.join(tmp, '.seqlab', 'experiments', experimentId);
    const read = readExperiment(dir);
    assert.ok(read.ok);
    // Relabelled as the clipping preset's values: the answer must read the rows the table shows.
    const record = { ...read.record, presetId: 'clipping', runs: read.record.runs.map((r, i) => ({ ...r, label: i === 0 ? 'clip 1' : 'no clipping' })) };
    writeExperiment(dir, record);
    try {
      const loaded = await load();
      const { view, rows } = buildExperimentView(loaded.record, loaded.runs, false);
      const preset = presetById('clipping')!;
      assert.equal(view.question, preset.question);
      assert.equal(view.lookFor, preset.lookFor);
      assert.equal(view.answer, preset.answer(rows));
      assert.match(view.answer!, /^Without clipping the run diverged\./);
    } finally {
      writeExperiment(dir, read.record);
    }
  });

  it('shows a run whose folder fails the checks as unreadable, and the others as they are', async () => {
    const dir = path.join(tmp, '.seqlab', 'experiments', experimentId);
    const read = readExperiment(dir);
    assert.ok(read.ok);
    const victim = path.join(tmp, '.seqlab', 'runs', read.record.runs[1].runId!, 'evals.jsonl');
    const saved = fs.readFileSync(victim);
    fs.writeFileSync(victim, '{"step": 1, "valLoss": "high"}\n');
    writeExperiment(dir, { ...read.record, runs: [...read.record.runs, { label: 'later', values: { lr: 'later' } }] });
    try {
      const loaded = await load();
      const { view } = buildExperimentView(loaded.record, loaded.runs, false);
      assert.deepEqual(
        view.runs.map((r) => r.state),
        ['completed', 'unreadable', 'pending'],
      );
      assert.match(view.runs[1].reason!, /evals\.jsonl/);
      assert.equal(view.table.rows.length, 1);
      assert.equal(view.done, 1);
      assert.equal(view.total, 3);
    } finally {
      fs.writeFileSync(victim, saved);
      writeExperiment(dir, read.record);
    }
  });

  it('reads only a real experiment folder inside .seqlab/experiments, named by a plain id', async () => {
    assert.deepEqual(listExperimentIds(tmp), [experimentId]);
    for (const id of ['../runs', 'a/b', '.', '', 'x'.repeat(81), 42]) assert.equal(containExperimentDir(tmp, id).ok, false, String(id));
    assert.match((await loadExperiment(tmp, 'missing-one')).ok ? '' : 'refused', /refused/);
    // A link to the real folder, under another name: refused, not followed.
    const link = path.join(tmp, '.seqlab', 'experiments', 'linked');
    fs.symlinkSync(path.join(tmp, '.seqlab', 'experiments', experimentId), link);
    try {
      const r = await loadExperiment(tmp, 'linked');
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.reason, /symbolic link/);
    } finally {
      fs.unlinkSync(link);
    }
    // A copy under another name: its id is not its folder's name.
    const copy = path.join(tmp, '.seqlab', 'experiments', 'copy');
    fs.mkdirSync(copy);
    fs.copyFileSync(path.join(tmp, '.seqlab', 'experiments', experimentId, 'experiment.json'), path.join(copy, 'experiment.json'));
    try {
      const r = await loadExperiment(tmp, 'copy');
      assert.match(r.ok ? '' : r.reason, /is not its folder's name/);
    } finally {
      fs.rmSync(copy, { recursive: true });
    }
  });
});

describe('experiment panel: bounded payloads', () => {
  const config: TrainConfig = { ...DEFAULT_CONFIG, window: 512 };
  const record = {
    format: 'sequence-lab-experiment' as const,
    version: 1,
    id: 'bounds',
    name: 'bounds',
    createdAt: new Date(0).toISOString(),
    files: [],
    base: config,
    vary: [{ name: 'n', values: [] }],
    runs: [] as { label: string; values: Record<string, string>; runId: string }[],
    state: 'running' as const,
  };
  function history(i: number, steps: number, maps: number, rows: number, sampleSteps: number[]): RunHistory {
    const metrics: MetricPoint[] = Array.from({ length: steps }, (_, s) => ({
      step: s + 1,
      loss: 4 - s / steps,
      gradNorm: 1,
      clipped: s % 2 === 0,
      tokensPerSec: 1000 + s,
      elapsedMs: s,
    }));
    const gradMaps: GradMap[] = Array.from({ length: maps }, (_, k) => ({
      step: k + 1,
      hiddenGradNorms: [Array.from({ length: rows }, (_, t) => 10 ** (i - (rows - t) / 50)), Array.from({ length: rows }, (_, t) => t + 1)],
      totalGradNorms: [Array(rows).fill(1), Array(rows).fill(2)],
      paramGradNorms: { 'rnn_0/kernel': 1 },
      globalNorm: 1,
      clip: 0,
    }));
    return {
      record: { id: `run-${i}`, name: `r${i}`, createdAt: '', updatedAt: '', files: [], config, state: 'training', step: steps, durationMs: 1, checkpoints: [] },
      metrics,
      evals: Array.from({ length: steps }, (_, s) => ({ step: s + 1, valLoss: 3 })),
      gradMaps,
      samples: sampleSteps.map((step) => ({ step, prompt: '', text: `run ${i} at ${step} `.repeat(500), temperature: 1 })),
    };
  }

  it('thins long curves, keeps the newest gradient maps of the top layer within the budget, and samples at a common step', () => {
    const runs: LoadedRun[] = [
      { ref: { label: 'a', values: {}, runId: 'run-0' }, history: history(0, 5000, 300, 512, [10, 20, 30]), state: 'training' },
      { ref: { label: 'b', values: {}, runId: 'run-1' }, history: history(1, 50, 300, 512, [10, 20]), state: 'completed' },
      { ref: { label: 'c', values: {}, runId: 'run-2' }, history: history(2, 10, 0, 512, []), state: 'failed' },
    ];
    const { view } = buildExperimentView({ ...record, runs: runs.map((r) => ({ ...r.ref, runId: r.ref.runId! })) }, runs, false);
    const v: ExperimentView = view;
    assert.ok(v.runs[0].series.metrics.length <= MAX_CURVE_POINTS && v.runs[0].series.metrics.length > MAX_CURVE_POINTS / 2);
    assert.ok(v.runs[0].series.evals.length <= MAX_CURVE_EVALS);
    assert.equal(v.runs[0].series.metrics.at(-1)!.step, 5000, 'the newest point is kept');
    assert.equal(v.runs[1].series.metrics.length, 50);
    let numbers = 0;
    for (const r of v.runs) {
      assert.ok(r.gradMaps.length <= MAX_PANEL_MAPS);
      for (const m of r.gradMaps) {
        assert.equal(m.hiddenGradNorms.length, 1, 'top layer only');
        numbers += m.hiddenGradNorms[0].length + (m.totalGradNorms?.[0].length ?? 0);
      }
    }
    assert.ok(numbers <= MAP_NUMBER_BUDGET, `${numbers} numbers`);
    assert.equal(v.runs[0].gradMaps.at(-1)!.step, 300, 'the newest map');
    assert.deepEqual(v.runs[0].gradMaps.at(-1)!.hiddenGradNorms[0], runs[0].history!.gradMaps.at(-1)!.hiddenGradNorms[1]);
    assert.equal(v.samples!.step, 20, 'the latest step both sampled runs have');
    assert.deepEqual(
      v.samples!.texts.map((t) => t.label),
      ['a', 'b'],
    );
    assert.ok(v.samples!.texts.every((t) => t.text.length <= 2000));
    assert.match(v.samplesNote, /No samples from c/);
    assert.equal(v.done, 2);
  });
});
