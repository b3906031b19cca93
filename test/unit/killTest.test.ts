/**
 * The kill test: the command line trains a tiny model with a checkpoint every two steps, and is killed
 * with SIGKILL at 100 random instants: during start-up, between steps, and inside checkpoint writes
 * (SEQLAB_CHECKPOINT_PAUSE_MS makes the writer pause between its steps, and some kills wait for a
 * checkpoint's temporary folder to appear). After every kill, resolving finds a valid checkpoint at
 * least as new as the last one latest.json named before the kill, and the next life resumes from it:
 * its first logged step is the checkpoint's step + 1.
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCheckpoint } from '../../src/core/checkpoint';
import { Rng } from '../../src/core/rng';
import type { MetricPoint } from '../../src/protocol/types';
import { syntheticText } from './longRun';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const LIVES = Number(process.env.SEQLAB_KILL_LIVES) || 100;
const ARGS = [
  '--cell',
  'rnn',
  '--hidden',
  '8',
  '--batch',
  '2',
  '--window',
  '8',
  '--steps',
  '1000000',
  '--checkpoint-interval',
  '2',
  '--eval-interval',
  '25',
  '--eval-tokens',
  '64',
  '--sample-interval',
  '0',
  '--grad-map-interval',
  '0',
  '--backend',
  'cpu',
  '--threads',
  '1',
  '--quiet',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function latestStep(checkpointsDir: string): number | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(checkpointsDir, 'latest.json'), 'utf8')).step;
  } catch {
    return undefined;
  }
}

function size(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Metric lines appended to the log since `offset`. */
function appended(file: string, offset: number): MetricPoint[] {
  if (size(file) <= offset) return [];
  const text = fs.readFileSync(file).subarray(offset).toString('utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MetricPoint);
}

/** Resolves once `test` holds, polling every few milliseconds, or after `timeoutMs`. */
async function until(test: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (test()) return true;
    await sleep(2);
  }
  return false;
}

describe('kill test: SIGKILL at 100 random instants', () => {
  it('every time, a valid checkpoint is found, no step beyond it is lost, and the run resumes from it', async function () {
    this.timeout(15 * 60_000);
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is built (npm run build)');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-kill-'));
    const file = path.join(root, 'text.txt');
    fs.writeFileSync(file, syntheticText(8000));
    const runDir = path.join(root, 'run');
    const checkpointsDir = path.join(runDir, 'checkpoints');
    const metricsFile = path.join(runDir, 'metrics.jsonl');
    const rng = new Rng(Number(process.env.SEQLAB_KILL_SEED) || 9);
    const started = Date.now();
    const kinds = { startup: 0, training: 0, 'in a checkpoint write': 0 };
    const steps: number[] = [];
    let insideWrite = 0;
    let resumed = 0;
    let resolvedStep: number | undefined;

    for (let life = 0; life < LIVES; life++) {
      const offset = size(metricsFile);
      const args = resolvedStep === undefined ? ['train', file, '--out', runDir, ...ARGS] : ['train', file, '--resume', runDir, ...ARGS];
      const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore', env: { ...process.env, SEQLAB_CHECKPOINT_PAUSE_MS: '4' } });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const kind = (['startup', 'training', 'in a checkpoint write'] as const)[life % 3];
      if (kind === 'startup') {
        await sleep(rng.int(1500));
      } else if (kind === 'training') {
        await until(() => size(metricsFile) > offset, 30_000);
        await sleep(rng.int(400));
      } else {
        // After this life's first checkpoint (so the run moves on), the moment the next checkpoint's
        // temporary folder appears, plus a little: inside the write.
        await until(() => (latestStep(checkpointsDir) ?? -1) > (resolvedStep ?? -1), 30_000);
        await until(() => fs.readdirSync(checkpointsDir).some((n) => n.endsWith('.tmp') || n.endsWith('.old')), 5_000);
        await sleep(rng.int(12));
      }
      // The newest checkpoint whose latest.json update is complete before the kill (or later: the kill comes after).
      const before = latestStep(checkpointsDir);
      child.kill('SIGKILL');
      await exited;
      kinds[kind]++;
      // A temporary or set-aside folder of this very process (its pid is in the name): killed inside a write.
      if (fs.existsSync(checkpointsDir) && fs.readdirSync(checkpointsDir).some((n) => n.startsWith(`.step-`) && n.includes(`.${child.pid}-`))) insideWrite++;

      const lines = appended(metricsFile, offset);
      if (lines.length && resolvedStep !== undefined) {
        // This life resumed: it logged from the checkpoint's step + 1 on, one step after another.
        assert.equal(lines[0].step, resolvedStep + 1, `life ${life}: first step logged after resuming from step ${resolvedStep}`);
        lines.forEach((m, i) => assert.equal(m.step, resolvedStep! + 1 + i));
        resumed++;
      }
      if (before === undefined && !fs.existsSync(path.join(checkpointsDir, 'latest.json'))) {
        assert.equal(resolvedStep, undefined, `life ${life}: a checkpoint existed and disappeared`);
        continue; // killed before the first checkpoint: start afresh
      }
      const checkpoint = loadCheckpoint(runDir);
      assert.ok(checkpoint.step >= (before ?? 0), `life ${life}: resolved step ${checkpoint.step} is older than latest.json's ${before} before the kill`);
      assert.ok(resolvedStep === undefined || checkpoint.step >= resolvedStep, `life ${life}: went back from ${resolvedStep} to ${checkpoint.step}`);
      resolvedStep = checkpoint.step;
      steps.push(checkpoint.step);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `      ${LIVES} kills in ${seconds.toFixed(0)} s (${JSON.stringify(kinds)}); ${insideWrite} landed inside a checkpoint write (left its temporary or set-aside folder); ${resumed} lives resumed and logged steps`,
    );
    console.log(`      checkpoint steps resolved after each kill: ${steps.join(' ')}`);
    assert.ok(steps.length >= LIVES * 0.8, 'most kills came after a first checkpoint');
    assert.ok(resumed >= LIVES / 3, `${resumed} lives resumed`);
    assert.ok(insideWrite >= LIVES / 10, `${insideWrite} kills landed inside a checkpoint write`);
  });
});
