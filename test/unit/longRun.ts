/** Helpers for the long-run and kill tests: a generated text, and the logs of a long run written fast. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/core/rng';

const WORDS = ['the', 'time', 'traveller', 'said', 'and', 'we', 'sat', 'in', 'a', 'room', 'of', 'light', 'machine', 'was', 'there', 'with', 'dimension', 'future', 'it', 'is'];

/** A deterministic English-like text of `length` characters (no file outside the repository needed). */
export function syntheticText(length: number, seed = 1): string {
  const rng = new Rng(seed);
  const parts: string[] = [];
  let n = 0;
  while (n < length) {
    const w = WORDS[rng.int(WORDS.length)] + (rng.int(9) === 0 ? '. ' : ' ');
    parts.push(w);
    n += w.length;
  }
  return parts.join('').slice(0, length);
}

/**
 * Writes `steps` lines of metrics.jsonl (and an eval every `evalEvery` steps, a gradient map every
 * `mapEvery`) as a run of that length would have logged them, in large chunks: about 100 MB for a
 * million steps, in a second or two.
 */
export function writeSyntheticLogs(runDir: string, steps: number, evalEvery = 50, mapEvery = 250_000): void {
  const metrics = fs.openSync(path.join(runDir, 'metrics.jsonl'), 'w');
  const evals = fs.openSync(path.join(runDir, 'evals.jsonl'), 'w');
  const maps = fs.openSync(path.join(runDir, 'gradmaps.jsonl'), 'w');
  try {
    let chunk: string[] = [];
    let evalChunk: string[] = [];
    for (let step = 1; step <= steps; step++) {
      const loss = 1.5 + 2.7 / Math.sqrt(step);
      chunk.push(`{"step":${step},"loss":${loss.toFixed(5)},"gradNorm":0.8123,"clipped":false,"tokensPerSec":41234,"elapsedMs":${step * 20}}\n`);
      if (step % evalEvery === 0) evalChunk.push(`{"step":${step},"valLoss":${(loss + 0.05).toFixed(5)}}\n`);
      if (step % mapEvery === 0) {
        const norms = Array.from({ length: 8 }, (_, t) => Math.exp(-t)).join(',');
        fs.writeSync(maps, `{"step":${step},"hiddenGradNorms":[${norms}],"totalGradNorms":[${norms}],"paramGradNorms":{"lstm_0/kernel":0.3},"globalNorm":0.8,"clip":1}\n`);
      }
      if (chunk.length === 50_000) {
        fs.writeSync(metrics, chunk.join(''));
        chunk = [];
        fs.writeSync(evals, evalChunk.join(''));
        evalChunk = [];
      }
    }
    fs.writeSync(metrics, chunk.join(''));
    fs.writeSync(evals, evalChunk.join(''));
  } finally {
    fs.closeSync(metrics);
    fs.closeSync(evals);
    fs.closeSync(maps);
  }
}

/** The last `count` complete lines of a (possibly huge) log, parsed, without reading it whole. */
export function tailLog<T>(file: string, count: number): T[] {
  const size = fs.statSync(file).size;
  const length = Math.min(size, 512 * count + 1024);
  const buffer = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, buffer, 0, length, size - length);
  } finally {
    fs.closeSync(fd);
  }
  const lines = buffer.toString('utf8').split('\n').filter(Boolean);
  if (length < size) lines.shift(); // probably cut
  return lines.slice(-count).map((l) => JSON.parse(l) as T);
}
