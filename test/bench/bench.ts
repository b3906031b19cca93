/**
 * `npm run bench`: training throughput of Sequence Lab's models next to the PyTorch reference
 * (test/bench/torch_reference.py), measured in the same run, one configuration after the other.
 *
 *   npm run bench                        RNN, GRU, LSTM at hidden 256, batch 32, window 64, vocabulary 65
 *   npm run bench -- --sizes             also hidden 64, 128, 512 and two layers of 256
 *   npm run bench -- --startup           time from forking the worker to the first loss point (The Time Machine)
 *   npm run bench -- --soak 10           resident memory of a worker training for 10 minutes
 *   options: --steps N (timed steps per configuration, default 30), --threads 1|2 (default: both), --backend NAME,
 *            --no-torch, --json FILE
 * Each row measures Sequence Lab and PyTorch with one and with two threads; the ratio compares each
 * side's best, so neither gains from the other's poor thread scaling.
 *
 * Both sides run the same warm-up (2 steps) and the same number of timed steps (30 by default), and
 * report the median over blocks of 10 steps of each block's mean. Our timed steps are counted as
 * training steps, so the gradient-through-time maps fall at their default interval (one per block;
 * checked); the maps' overhead is measured separately, at every step against none.
 */
import { spawnSync, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/core/backend';
import { DEFAULT_CONFIG } from '../../src/core/config';
import type { Corpus } from '../../src/core/corpus';
import { createModel } from '../../src/core/createModel';
import { Rng } from '../../src/core/rng';
import { Trainer } from '../../src/core/trainer';
import { Vocabulary } from '../../src/core/vocabulary';
import type { BackendChoice, BackendName, CellType, TrainConfig } from '../../src/protocol/types';
import { WORKER_PROTOCOL_VERSION, WorkerToHost } from '../../src/protocol/worker';

const ROOT = path.resolve(__dirname, '../../..');
const TORCH_SCRIPT = path.join(ROOT, 'test/bench/torch_reference.py');
/** The Time Machine, kept in the repository: the bench reads nothing outside it. */
const CORPUS_FILE = path.join(ROOT, 'test/fixtures/data/timemachine.txt');
const PYTHON = '/usr/bin/python3';

interface Shape {
  cell: Exclude<CellType, 'window'>;
  hidden: number;
  layers: number;
}

interface Row extends Shape {
  /** Tokens per second by thread count. */
  ours: Record<number, number>;
  torch: Record<number, number>;
  /** Sequence Lab's best over PyTorch's best. */
  ratio?: number;
  mapOverheadPct: Record<number, number>;
}

const BATCH = 32;
const WINDOW = 64;
const VOCAB = 65;

/** Random token streams over a 65-token vocabulary, like the reference's random batches. */
function syntheticCorpus(): Corpus {
  const vocab = Vocabulary.fromJSON({ tokens: ['<unk>', ...Array.from({ length: VOCAB - 1 }, (_, i) => String.fromCodePoint(0x21 + i))] });
  const rng = new Rng(7);
  const train = Int32Array.from({ length: 200_000 }, () => rng.int(VOCAB));
  return { vocab, level: 'char', train, val: train.subarray(0, 5000), charsPerToken: 1, unigramLoss: Math.log(VOCAB) };
}

/** Untimed steps before timing, on both sides. */
const WARMUP = 2;

/**
 * The statistic of both sides: the median over blocks of `block` consecutive timed steps of each block's
 * mean step time. A block is one gradient-map interval, so each holds exactly one map step at its real
 * rate (a median of single steps would drop the map steps as outliers), and the median still sheds a
 * block disturbed by another process on this shared machine.
 */
export function blockMedian(times: readonly number[], block: number): number {
  const b = Math.max(1, Math.min(block, times.length));
  const means: number[] = [];
  for (let i = 0; i + b <= times.length; i += b) means.push(times.slice(i, i + b).reduce((x, y) => x + y, 0) / b);
  means.sort((x, y) => x - y);
  const n = means.length;
  return n % 2 ? means[n >> 1] : (means[n / 2 - 1] + means[n / 2]) / 2;
}

/** Milliseconds per training step: WARMUP steps, then `steps` timed ones counted as real steps, so the maps fall at their interval. */
async function msPerStep(shape: Shape, gradMapInterval: number, steps: number, corpus: Corpus, threads: number, backend: BackendName): Promise<number> {
  const config: TrainConfig = { ...DEFAULT_CONFIG, ...shape, batch: BATCH, window: WINDOW, gradMapInterval, steps: steps + WARMUP, lr: 2e-3, clip: 1 };
  const model = createModel(config, VOCAB, new Rng(0));
  const trainer = new Trainer(model, corpus, config);
  try {
    if (threads === 2) await trainer.enableDataParallel(backend);
    const times: number[] = [];
    let maps = 0;
    for (let i = 0; i < WARMUP + steps; i++) {
      const t0 = performance.now();
      const r = await trainer.trainOneStep();
      trainer.step++; // trainOneStep asks for a map when (step + 1) % gradMapInterval == 0
      if (i >= WARMUP) {
        times.push(performance.now() - t0);
        if (r.map) maps++;
      }
    }
    const expected = gradMapInterval > 0 ? Math.floor((WARMUP + steps) / gradMapInterval) - Math.floor(WARMUP / gradMapInterval) : 0;
    if (maps !== expected) throw new Error(`the timed steps held ${maps} gradient-map steps, expected ${expected}`);
    return blockMedian(times, blockOf(gradMapInterval));
  } finally {
    await trainer.dispose();
    model.dispose();
  }
}

/** Steps per block: the default map interval (also without maps, so both sides share one statistic). */
function blockOf(gradMapInterval: number): number {
  return gradMapInterval > 0 ? gradMapInterval : DEFAULT_CONFIG.gradMapInterval;
}

function torchAvailable(): string | undefined {
  if (!fs.existsSync(TORCH_SCRIPT)) return `${TORCH_SCRIPT} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} has no torch (apt-get install -y python3-torch libopenblas0-pthread)`;
  return undefined;
}

function torchTokensPerSec(shape: Shape, threads: number, steps: number): number {
  const r = spawnSync(
    PYTHON,
    [
      TORCH_SCRIPT,
      '--cell',
      shape.cell,
      '--hidden',
      String(shape.hidden),
      '--layers',
      String(shape.layers),
      '--threads',
      String(threads),
      '--batch',
      String(BATCH),
      '--seq',
      String(WINDOW),
      '--vocab',
      String(VOCAB),
      '--steps',
      String(steps),
      '--warmup',
      String(WARMUP),
      '--block',
      String(blockOf(DEFAULT_CONFIG.gradMapInterval)),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`torch reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!).tokens_per_s;
}

/** Forks the real worker and times start -> first loss point on The Time Machine with default settings. */
async function startupMs(): Promise<{ firstLossMs: number; startedMs: number }> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-bench-'));
  const t0 = performance.now();
  const child = fork(path.join(ROOT, 'dist/worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let startedMs = 0;
  const firstLossMs = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: WorkerToHost) => {
      if (m.type === 'hello') {
        child.send({ type: 'start', version: WORKER_PROTOCOL_VERSION, runId: 'bench', runDir, files: [CORPUS_FILE], config: DEFAULT_CONFIG });
      } else if (m.type === 'started') {
        startedMs = performance.now() - t0;
      } else if (m.type === 'metrics') {
        resolve(performance.now() - t0);
      } else if (m.type === 'error') {
        reject(new Error(m.message));
      }
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  child.kill();
  fs.rmSync(runDir, { recursive: true, force: true });
  return { firstLossMs, startedMs };
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Trains LSTM-128 on The Time Machine in the real worker for `minutes` and samples its RSS. */
async function soak(minutes: number): Promise<{ samples: [number, number][] }> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-soak-'));
  const child = fork(path.join(ROOT, 'dist/worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const samples: [number, number][] = [];
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    child.on('message', (m: WorkerToHost) => {
      if (m.type === 'hello') {
        child.send({ type: 'start', version: WORKER_PROTOCOL_VERSION, runId: 'soak', runDir, files: [CORPUS_FILE], config: { ...DEFAULT_CONFIG, steps: 1_000_000 } });
      } else if (m.type === 'started' && !timer) {
        timer = setInterval(() => {
          const minute = (Date.now() - t0) / 60_000;
          samples.push([minute, rssMb(child.pid!)]);
          process.stderr.write(`  ${minute.toFixed(1)} min: RSS ${samples.at(-1)![1].toFixed(0)} MB\n`);
          if (minute >= minutes) {
            clearInterval(timer);
            child.kill();
            resolve();
          }
        }, 30_000);
      } else if (m.type === 'error') {
        reject(new Error(m.message));
      }
    });
  });
  fs.rmSync(runDir, { recursive: true, force: true });
  return { samples };
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '30' },
      backend: { type: 'string', default: 'auto' },
      'no-torch': { type: 'boolean' },
      sizes: { type: 'boolean' },
      startup: { type: 'boolean' },
      soak: { type: 'string' },
      json: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  const steps = Number(values.steps);
  const backend = await selectBackend(values.backend as BackendChoice);
  const torchProblem = values['no-torch'] ? 'disabled with --no-torch' : torchAvailable();
  console.log(`Sequence Lab benchmark: backend ${backend.name} (${backend.reason}); tfjs ${tf.version_core}; ${os.cpus()[0].model}, ${os.cpus().length} cores`);
  console.log(
    torchProblem
      ? `PyTorch reference: not measured (${torchProblem})`
      : `PyTorch reference: ${TORCH_SCRIPT}, same shapes, with one and two threads, measured right after Sequence Lab in each row`,
  );
  console.log(
    `Shape: batch ${BATCH}, window ${WINDOW}, vocabulary ${VOCAB}; Adam, clipping at 1; both sides: ${WARMUP} warm-up steps, then ${steps} timed steps, ` +
      `the median over blocks of ${blockOf(DEFAULT_CONFIG.gradMapInterval)} steps of their mean (each block holds one gradient-map step on our side)\n`,
  );

  const threadCounts = values.threads === '1' ? [1] : values.threads === '2' ? [2] : [1, 2];
  const shapes: Shape[] = (['rnn', 'gru', 'lstm'] as const).map((cell) => ({ cell, hidden: 256, layers: 1 }));
  if (values.sizes) {
    for (const hidden of [64, 128, 512]) shapes.push({ cell: 'lstm', hidden, layers: 1 });
    shapes.push({ cell: 'lstm', hidden: 256, layers: 2 });
  }
  const corpus = syntheticCorpus();
  const rows: Row[] = [];
  const columns = threadCounts.flatMap((n) => [`Sequence Lab ${n} thread${n > 1 ? 's' : ''}`, `PyTorch ${n} thread${n > 1 ? 's' : ''}`]);
  console.log(`| cell | hidden | layers | ${columns.join(' | ')} | ratio (best / best) | map overhead, every step (${threadCounts.join(' / ')} threads) |`);
  console.log(`|---|---:|---:|${columns.map(() => '---:').join('|')}|---:|---:|`);
  for (const shape of shapes) {
    const row: Row = { ...shape, ours: {}, torch: {}, mapOverheadPct: {} };
    for (const threads of threadCounts) {
      const ms = await msPerStep(shape, DEFAULT_CONFIG.gradMapInterval, steps, corpus, threads, backend.name);
      row.ours[threads] = (BATCH * WINDOW) / (ms / 1000);
      // Overhead of the maps at every step against none, at the headline shape; interleaved and with
      // twice the steps, because the difference is small against the noise of a shared machine.
      if (shape.hidden === 256 && shape.layers === 1) {
        const none: number[] = [];
        const every: number[] = [];
        for (let k = 0; k < 2; k++) {
          none.push(await msPerStep(shape, 0, steps, corpus, threads, backend.name));
          every.push(await msPerStep(shape, 1, steps, corpus, threads, backend.name));
        }
        row.mapOverheadPct[threads] = ((Math.min(...every) - Math.min(...none)) / Math.min(...none)) * 100;
      }
      if (!torchProblem) row.torch[threads] = torchTokensPerSec(shape, threads, steps);
    }
    const bestOurs = Math.max(...Object.values(row.ours));
    const bestTorch = torchProblem ? undefined : Math.max(...Object.values(row.torch));
    row.ratio = bestTorch ? bestOurs / bestTorch : undefined;
    rows.push(row);
    const cells = threadCounts.flatMap((n) => [fmt(row.ours[n]), fmt(row.torch[n])]);
    const overhead = Object.keys(row.mapOverheadPct).length ? threadCounts.map((n) => `${fmt(row.mapOverheadPct[n], 1)}%`).join(' / ') : '-';
    console.log(`| ${shape.cell.toUpperCase()} | ${shape.hidden} | ${shape.layers} | ${cells.join(' | ')} | ${fmt(row.ratio, 2)} | ${overhead} |`);
  }

  let startup;
  if (values.startup) {
    startup = await startupMs();
    console.log(
      `\nTime to first loss point (fork worker, load backend, read and tokenize The Time Machine, build, first step): ${fmt(startup.firstLossMs)} ms (training started after ${fmt(startup.startedMs)} ms)`,
    );
  }
  let soakResult;
  if (values.soak) {
    console.log(`\nSoak: LSTM-128 on The Time Machine in the worker for ${values.soak} minutes`);
    soakResult = await soak(Number(values.soak));
    const s = soakResult.samples;
    console.log(`Resident memory: ${fmt(s[0][1])} MB at ${fmt(s[0][0], 1)} min, ${fmt(s.at(-1)![1])} MB at ${fmt(s.at(-1)![0], 1)} min`);
  }
  if (values.json) fs.writeFileSync(values.json, JSON.stringify({ backend, rows, startup, soak: soakResult }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
