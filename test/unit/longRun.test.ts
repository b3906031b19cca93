/**
 * A run of a million steps: its logs hold 1,000,000 metric lines (written by a helper, not by training),
 * it resumes through the command line in bounded time and memory, and its checkpoint is the size of the
 * same model's checkpoint at step 1,000 (the history lives in the logs, not in checkpoints).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { readRunRecord, RunRecord } from '../../src/core/runFiles';
import { runTraining } from '../../src/core/runTraining';
import { TrainControl } from '../../src/core/trainer';
import type { MetricPoint, TrainConfig } from '../../src/protocol/types';
import { tinyConfig, useBackend } from './helpers';
import { syntheticText, tailLog, writeSyntheticLogs } from './longRun';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const CONFIG: TrainConfig = tinyConfig({
  cell: 'lstm',
  hidden: 16,
  batch: 4,
  window: 16,
  steps: 2,
  batching: 'sequential',
  evalInterval: 50,
  evalTokens: 256,
  sampleInterval: 0,
  gradMapInterval: 0,
  checkpointInterval: 1,
  backend: 'cpu',
  threads: 1,
});
const MORE = 5;

/**
 * A run folder as a run of `steps` steps leaves it: the real state of a tiny model after two steps,
 * checkpointed as step `steps - MORE`, and logs of that many steps.
 */
async function longRunFolder(root: string, steps: number): Promise<{ runDir: string; file: string }> {
  const runDir = path.join(root, `run-${steps}`);
  const file = path.join(root, 'text.txt');
  fs.writeFileSync(file, syntheticText(20_000));
  await runTraining({ runId: `run-${steps}`, runDir, files: [file], config: CONFIG, control: new TrainControl() });
  const checkpointsDir = path.join(runDir, 'checkpoints');
  const real = loadCheckpoint(runDir);
  fs.rmSync(checkpointsDir, { recursive: true });
  const at = steps - MORE;
  const ref = saveCheckpoint(checkpointsDir, { ...real, step: at, elapsedMs: at * 20, lastEval: { step: at - (at % 50), valLoss: 2.5 } });
  writeSyntheticLogs(runDir, at);
  const record: RunRecord = { ...readRunRecord(runDir)!, step: at, state: 'stopped', checkpoints: [ref], durationMs: at * 20 };
  fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(record));
  return { runDir, file };
}

/** Resumes with the command line to `steps`; its wall time and peak resident memory. */
function resume(root: string, runDir: string, file: string, steps: number): { seconds: number; maxRssMB: number } {
  const preload = path.join(root, 'peak.js');
  fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write(`\\nmaxRSS ${process.resourceUsage().maxRSS}\\n`));\n");
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--require', preload, CLI, 'train', file, '--resume', runDir, '--steps', String(steps), '--quiet', '--json'], { encoding: 'utf8' });
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.deepEqual([result.reason, result.step], ['completed', steps]);
  return { seconds, maxRssMB: Number(/maxRSS (\d+)/.exec(r.stderr)![1]) / 1024 };
}

describe('a run of a million steps', () => {
  before(() => useBackend('cpu'));

  it('resumes with 1,000,000 steps of logs in bounded time and memory; its checkpoint is the size of one at step 1,000', async function () {
    this.timeout(10 * 60_000);
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is built (npm run build)');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-long-'));
    const t0 = Date.now();
    const short = await longRunFolder(root, 1000);
    const long = await longRunFolder(root, 1_000_000);
    const logMB = fs.statSync(path.join(long.runDir, 'metrics.jsonl')).size / 1e6;
    console.log(`      synthetic run folders written in ${((Date.now() - t0) / 1000).toFixed(1)} s (metrics.jsonl of the long run: ${logMB.toFixed(0)} MB)`);

    const a = resume(root, short.runDir, short.file, 1000);
    const b = resume(root, long.runDir, long.file, 1_000_000);
    console.log(
      `      resume of ${MORE} steps through the CLI: step 1,000 in ${a.seconds.toFixed(2)} s, peak ${a.maxRssMB.toFixed(0)} MB; step 1,000,000 in ${b.seconds.toFixed(2)} s, peak ${b.maxRssMB.toFixed(0)} MB`,
    );
    assert.ok(b.seconds < 60, `resume took ${b.seconds} s`);
    assert.ok(b.maxRssMB < 400, `peak memory ${b.maxRssMB} MB`);
    assert.ok(b.maxRssMB < a.maxRssMB + 50, 'a million steps of history cost no memory on resume');
    assert.deepEqual(
      tailLog<MetricPoint>(path.join(long.runDir, 'metrics.jsonl'), MORE + 1).map((m) => m.step),
      [999_995, 999_996, 999_997, 999_998, 999_999, 1_000_000],
    );

    const sizes = (runDir: string, step: number) => {
      const dir = path.join(runDir, 'checkpoints', `step-${String(step).padStart(7, '0')}`);
      return Object.fromEntries(
        fs
          .readdirSync(dir)
          .sort()
          .map((f) => [f, fs.statSync(path.join(dir, f)).size]),
      );
    };
    const at1k = sizes(short.runDir, 1000);
    const at1m = sizes(long.runDir, 1_000_000);
    console.log(`      checkpoint at step 1,000: ${JSON.stringify(at1k)}; at step 1,000,000: ${JSON.stringify(at1m)}`);
    assert.deepEqual(Object.keys(at1m), ['checkpoint.json', 'optimizer.bin', 'state.bin', 'weights.bin']);
    for (const bin of ['optimizer.bin', 'state.bin', 'weights.bin']) assert.equal(at1m[bin], at1k[bin], bin);
    // The same trained state and batches in both runs: checkpoint.json differs only in the digits of the
    // step (step, config.steps, the last evaluation's step) and of the training time: 12 bytes here.
    const grown = at1m['checkpoint.json'] - at1k['checkpoint.json'];
    assert.ok(grown >= 0 && grown <= 16, `checkpoint.json grew by ${grown} bytes`);
  });
});
