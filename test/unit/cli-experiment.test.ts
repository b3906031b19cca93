/** sequence-lab experiment: a group of runs varying one setting, from the built bundle. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readExperiment } from '../../src/core/experiments/experimentRecord';
import { readProbe } from '../../src/core/experiments/probeRun';
import { readRunHistory } from '../../src/core/runFiles';
import { syntheticText } from './longRun';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

describe('command line: experiment', function () {
  this.timeout(300_000);
  let tmp: string;
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: tmp });
  const small = ['--hidden', '8', '--batch', '4', '--window', '8', '--eval-interval', '5', '--eval-tokens', '400', '--grad-map-interval', '5', '--sample-interval', '0', '--quiet'];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-exp-'));
    fs.writeFileSync(path.join(tmp, 'text.txt'), syntheticText(6000));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('trains one run per value and prints each run’s figures, equal to what its folder records', () => {
    const r = cli(['experiment', 'text.txt', '--vary', 'cell=rnn,lstm', '--steps', '10', ...small, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.equal(out.state, 'completed');
    assert.deepEqual(
      out.runs.map((x: { value: string }) => x.value),
      ['rnn', 'lstm'],
    );
    for (const run of out.runs) {
      assert.equal(run.state, 'completed');
      const h = readRunHistory(run.runDir)!;
      assert.equal(h.record.config.cell, run.value);
      assert.equal(run.bestValLoss, Math.min(...h.evals.map((e) => e.valLoss)));
      assert.ok(Number.isInteger(run.memoryHorizon) && run.memoryHorizon >= 0 && run.memoryHorizon < 8);
      assert.ok(run.tokensPerSec > 0);
    }
    const exp = readExperiment(out.experimentDir);
    assert.ok(exp.ok, exp.ok ? '' : exp.reason);
    if (exp.ok) {
      assert.equal(exp.record.state, 'completed');
      assert.deepEqual(
        exp.record.runs.map((x) => x.runId),
        out.runs.map((x: { runDir: string }) => path.basename(x.runDir)),
      );
      assert.equal(exp.record.base.seed, 0);
    }
  });

  it('refuses a value the setting does not accept before anything trains', () => {
    const before = fs.existsSync(path.join(tmp, '.seqlab', 'runs')) ? fs.readdirSync(path.join(tmp, '.seqlab', 'runs')).length : 0;
    const r = cli(['experiment', 'text.txt', '--vary', 'cell=rnn,transformer', '--steps', '3', ...small]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /transformer: cell must be one of rnn, gru, lstm, window/);
    const after = fs.existsSync(path.join(tmp, '.seqlab', 'runs')) ? fs.readdirSync(path.join(tmp, '.seqlab', 'runs')).length : 0;
    assert.equal(after, before, 'no run was created');
  });

  it('a value that diverges is reported as diverged and the others finish', () => {
    const r = cli(['experiment', 'text.txt', '--vary', 'lr=0.01,10', '--cell', 'rnn', '--optimizer', 'sgd', '--clip', '0', '--steps', '40', ...small, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.deepEqual(
      out.runs.map((x: { state: string }) => x.state),
      ['completed', 'diverged'],
    );
  });

  it('--preset runs the chapter’s question, probes each trained model, and answers from the results', () => {
    const r = cli(['experiment', 'text.txt', '--preset', 'context-probe', '--steps', '10', ...small, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.equal(out.preset, 'context-probe');
    assert.equal(out.question, 'Does the model use all past tokens?');
    assert.deepEqual(
      out.runs.map((x: { value: string }) => x.value),
      ['RNN', 'LSTM'],
    );
    for (const run of out.runs) {
      // The window is 8: k = 1, 2, 4, 8, each a finite loss, recorded beside the run's logs.
      const probe = readProbe(run.runDir)!;
      assert.deepEqual(
        probe.map((p) => p.k),
        [1, 2, 4, 8],
      );
      for (const p of probe) assert.ok(p.loss > 0 && p.loss < 10, `k=${p.k}: ${p.loss}`);
      assert.match(out.answer, new RegExp(`${run.value}: ${probe[0].loss.toFixed(3)} nats seeing 1 token, ${probe[3].loss.toFixed(3)} seeing 8`));
    }
    const exp = readExperiment(out.experimentDir);
    assert.ok(exp.ok && exp.record.presetId === 'context-probe');
  });

  it('refuses an unknown preset, and --preset beside --vary, before anything trains', () => {
    let r = cli(['experiment', 'text.txt', '--preset', 'nope', ...small]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Unknown preset "nope"\. Presets: hidden-vs-window, /);
    r = cli(['experiment', 'text.txt', '--preset', 'clipping', '--vary', 'cell=rnn,lstm', ...small]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /either --preset or --vary/);
  });
});
