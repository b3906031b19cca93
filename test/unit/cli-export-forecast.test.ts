/** The command line's export and forecast commands, run from the built bundle (dist/cli.js) as users do. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { syntheticText } from './longRun';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('command line: export and forecast', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is built (npm run build)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-cli2-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('forecast --generate sine --json: the k-step errors and the last-value baseline, one JSON line', () => {
    const r = cli(['forecast', '--generate', 'sine', '--model', 'linear', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.deepEqual(Object.keys(out.test_mse), ['1', '4', '16', '64']);
    assert.ok(out.test_mse['1'] > 0.04 && out.test_mse['1'] < 0.07, JSON.stringify(out.test_mse));
    assert.ok(out.baseline_mse.last_value['1'] > out.test_mse['1']);
    assert.equal(out.tau, 4);
    assert.equal(out.trainLength, 600);
  });

  it('forecast FILE --column: columns of a CSV; a bad table is refused with its reason and exit code 1, no stack', () => {
    const file = path.join(tmp, 'series.csv');
    const rows = ['t,a,b'];
    for (let t = 0; t < 300; t++) rows.push(`${t},${Math.sin(t / 7).toFixed(4)},${Math.cos(t / 11).toFixed(4)}`);
    fs.writeFileSync(file, rows.join('\n') + '\n');
    const r = cli(['forecast', file, '--column', 'a,b', '--time-column', 't', '--tau', '8', '--train-fraction', '0.7', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.deepEqual(out.columns, ['a', 'b']);
    assert.equal(out.trainLength, 210);
    assert.ok(out.test_mse['1'] < 1e-4, 'a noiseless pair of sines is linear in its lags');
    const bad = path.join(tmp, 'bad.csv');
    fs.writeFileSync(bad, 'v\n1\n2\nthree\n4\n');
    const refused = cli(['forecast', bad, '--column', 'v']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /bad\.csv, line 4, column "v": "three" is not a number/);
    assert.doesNotMatch(refused.stderr, /at \w+ \(/, 'no stack trace');
    assert.equal(cli(['forecast', '--generate', 'sine', '--model', 'transformer']).status, 2);
  });

  it('export: a trained run as safetensors and as a tfjs model; a folder with files is left alone without --force', () => {
    const text = path.join(tmp, 'text.txt');
    fs.writeFileSync(text, syntheticText(4000));
    const run = path.join(tmp, 'run');
    const trained = cli([
      'train',
      text,
      '--cell',
      'lstm',
      '--hidden',
      '8',
      '--batch',
      '4',
      '--window',
      '8',
      '--steps',
      '3',
      '--eval-interval',
      '3',
      '--sample-interval',
      '0',
      '--out',
      run,
      '--quiet',
      '--json',
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    const st = path.join(tmp, 'st');
    const r = cli(['export', run, '--format', 'safetensors', '--out', st, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).files, ['model.safetensors', 'vocab.json', 'config.json']);
    assert.ok(fs.statSync(path.join(st, 'model.safetensors')).size > 1000);
    assert.equal(cli(['export', run, '--format', 'tfjs', '--out', path.join(tmp, 'tfjs')]).status, 0);
    assert.ok(fs.existsSync(path.join(tmp, 'tfjs', 'model.json')));
    const again = cli(['export', run, '--format', 'safetensors', '--out', st]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already holds files/);
    assert.equal(cli(['export', run, '--format', 'safetensors', '--out', st, '--force']).status, 0);
    assert.equal(cli(['export', run, '--format', 'onnx', '--out', st]).status, 2);
  });
});
