/**
 * The command line end to end, on The Time Machine: the textbook's LSTM setting must learn (validation
 * loss from about ln(V) to below 2.1 nats/char in 300 steps; PyTorch reaches 1.88 there), and sampling
 * the result must produce mostly real words. Runs the built bundle (dist/cli.js), as users do.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLog } from '../../src/core/runFiles';
import type { MetricPoint } from '../../src/protocol/types';
import { TEST_DATA } from './helpers';
import { syntheticText } from './longRun';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const CORPUS = path.join(TEST_DATA, 'timemachine.txt');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('command line', () => {
  before(() => assert.ok(fs.existsSync(CLI), 'dist/cli.js is built (npm run build)'));

  it('LSTM-128 on The Time Machine: validation loss from ~ln(V) to below 2.1 in 300 steps; samples are words', function () {
    this.timeout(20 * 60_000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-cli-'));
    const stdout = execFileSync(
      process.execPath,
      [
        CLI,
        'train',
        CORPUS,
        '--cell',
        'lstm',
        '--hidden',
        '128',
        '--batch',
        '32',
        '--window',
        '64',
        '--optimizer',
        'adam',
        '--lr',
        '0.01',
        '--clip',
        '1',
        '--steps',
        '300',
        '--eval-interval',
        '300',
        '--sample-interval',
        '0',
        '--seed',
        '0',
        '--out',
        out,
        '--quiet',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const record = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    const lnV = Math.log(record.info.vocabSize);
    const first = readLog<MetricPoint>(out, 'metrics')[0];
    console.log(
      `      vocabulary ${record.info.vocabSize} (ln V = ${lnV.toFixed(3)}), first loss ${first.loss.toFixed(3)}, validation after 300 steps ${result.valLoss.toFixed(3)} on ${result.backend}`,
    );
    assert.ok(Math.abs(first.loss - lnV) < 0.15, 'starts at about a uniform guess');
    assert.equal(result.reason, 'completed');
    assert.ok(result.valLoss < 2.1, `validation loss ${result.valLoss}`);

    const sample = execFileSync(process.execPath, [CLI, 'sample', out, '--prompt', 'The Time Traveller', '--length', '400', '--temperature', '0.5', '--seed', '1'], {
      encoding: 'utf8',
    });
    const known = new Set(
      fs
        .readFileSync(CORPUS, 'utf8')
        .toLowerCase()
        .match(/[a-z]+/g),
    );
    const words = sample
      .toLowerCase()
      .match(/[a-z]+/g)!
      .slice(3); // skip the prompt
    const real = words.filter((w) => known.has(w));
    console.log(`      sample: ${JSON.stringify(sample.slice(0, 160))}... ${real.length}/${words.length} words are real`);
    assert.ok(words.length >= 40, 'a sample of 400 characters has many words');
    assert.ok(real.length / words.length > 0.7, `${real.length} of ${words.length} words are real words`);
  });

  it('reports bad input with a message and a hint, and a non-zero exit', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-cli-bad-'));
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '');
    const binary = path.join(dir, 'data.bin');
    fs.writeFileSync(binary, Buffer.from([1, 2, 0, 3]));
    const cases: [string[], RegExp][] = [
      [['train', empty, '--out', path.join(dir, 'r1')], /is empty/],
      [['train', binary, '--out', path.join(dir, 'r2')], /looks binary/],
      [['train', CORPUS, '--hidden', '0'], /hidden = 0 is out of range: use 8 to 1024/],
      [['train', CORPUS, '--hidden', '100000'], /hidden = 100000 is out of range/],
      [['train', CORPUS, '--cell', 'transformer'], /cell must be one of/],
      [['sample', dir], /No checkpoint found/],
      [['train'], /at least one text file/],
    ];
    for (const [args, pattern] of cases) {
      const r = cli(args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, pattern, args.join(' '));
      assert.doesNotMatch(r.stderr, / {4}at /, 'no stack trace for a user error');
    }
  });

  it('--resume on a changed text is refused with TEXT_CHANGED; --allow-changed-text continues as fine-tuning', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-cli-changed-'));
    const text = path.join(dir, 'text.txt');
    fs.writeFileSync(text, syntheticText(5000));
    const run = path.join(dir, 'run');
    const tiny = [
      '--cell',
      'rnn',
      '--hidden',
      '8',
      '--batch',
      '2',
      '--window',
      '8',
      '--eval-tokens',
      '64',
      '--sample-interval',
      '0',
      '--backend',
      'cpu',
      '--threads',
      '1',
      '--quiet',
    ];
    assert.equal(cli(['train', text, '--out', run, '--steps', '4', ...tiny]).status, 0);
    fs.writeFileSync(text, syntheticText(5000, 2));
    const refused = cli(['train', text, '--resume', run, '--steps', '6', ...tiny]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /The text changed since the checkpoint at step 4/);
    assert.match(refused.stderr, /add --allow-changed-text/);
    assert.doesNotMatch(refused.stderr, / {4}at /);
    const tuned = cli(['train', text, '--resume', run, '--steps', '6', '--allow-changed-text', '--json', ...tiny]);
    assert.equal(tuned.status, 0, tuned.stderr);
    assert.equal(JSON.parse(tuned.stdout.trim().split('\n').at(-1)!).step, 6);
  });

  it('window longer than the text: refused with the longest window that fits', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-cli-short-'));
    const short = path.join(dir, 'short.txt');
    fs.writeFileSync(short, 'It was a dark and stormy night; the rain fell in torrents.');
    const r = cli(['train', short, '--window', '200', '--out', path.join(dir, 'run')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /training tokens; this configuration needs at least 201/);
    assert.match(r.stderr, /shorter window \(at most \d+ time steps\)/);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'run.json'), 'utf8'));
    assert.equal(record.state, 'failed', 'the run folder says why it failed');
  });
});
