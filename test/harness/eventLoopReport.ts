/**
 * What the extension host's event loop went through while runs trained during a test session, read
 * from the extension's own log (the monitor writes one line per run: "event-loop delay over the whole
 * run: max M ms (own work at most W ms), p99 P ms, mean A ms; this process used C% of a core"), for
 * the test output.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const WHOLE_RUN = /event-loop delay over the whole run: max ([\d.]+) ms \(own work at most ([\d.]+) ms\), p99 ([\d.]+) ms, mean ([\d.]+) ms; this process used ([\d.]+)% of a core/;

export interface LoopReport {
  readonly runs: number;
  readonly worstMaxMs: number;
  readonly worstP99Ms: number;
  /** The largest delay counted only as far as the host used CPU during it (see LoopDelayStats.ownMaxMs). */
  readonly worstOwnMaxMs: number;
  /** Runs whose largest delay was above 50 ms. */
  readonly over50: number;
  readonly maxCpuPercent: number;
}

/** Every "Sequence Lab.log" under `dir` (the profiles of a session), summed up; undefined if no run was monitored. */
export function readLoopReport(dir: string): LoopReport | undefined {
  const lines = logFiles(dir).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'));
  const runs = lines
    .map((l) => WHOLE_RUN.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ max: Number(m[1]), own: Number(m[2]), p99: Number(m[3]), cpu: Number(m[5]) }));
  if (!runs.length) return undefined;
  return {
    runs: runs.length,
    worstMaxMs: Math.max(...runs.map((r) => r.max)),
    worstOwnMaxMs: Math.max(...runs.map((r) => r.own)),
    worstP99Ms: Math.max(...runs.map((r) => r.p99)),
    over50: runs.filter((r) => r.max > 50).length,
    maxCpuPercent: Math.max(...runs.map((r) => r.cpu)),
  };
}

export function formatLoopReport(where: string, r: LoopReport | undefined): string {
  if (!r) return `  ${where}: no training run was monitored`;
  return (
    `  ${where}: extension-host event-loop delay over ${r.runs} training runs: worst p99 ${r.worstP99Ms.toFixed(1)} ms, ` +
    `largest single delay ${r.worstMaxMs.toFixed(1)} ms (${r.over50} of ${r.runs} runs saw one above 50 ms), of it the host's own work at most ` +
    `${r.worstOwnMaxMs.toFixed(1)} ms; the host used at most ${r.maxCpuPercent.toFixed(1)}% of a core`
  );
}

function logFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      // Workspaces hold run folders, not logs: skip them.
      if (e.isDirectory() && e.name !== '.seqlab' && e.name !== 'node_modules') walk(full);
      else if (e.isFile() && e.name === 'Sequence Lab.log') found.push(full);
    }
  };
  walk(dir);
  return found;
}
