/**
 * The results-table row a run folder calls for, computed here from its files alone (JSON parsed line by
 * line, none of the project's readers or readouts), formatted as the table prints it: the experiment
 * panel's tests compare the panel's table with it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The lines of a JSON-lines log, parsed here without the project's readers. */
function jsonl<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** The table row a run folder calls for, computed from its files alone, formatted as the table prints. */
export function expectedCells(runDir: string, label: string, state: string): string[] {
  const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  const metrics = jsonl<{ tokensPerSec: number; clipped: boolean }>(path.join(runDir, 'metrics.jsonl'));
  const evals = jsonl<{ valLoss: number }>(path.join(runDir, 'evals.jsonl'));
  const maps = jsonl<{ hiddenGradNorms: number[][]; cellGradNorms?: number[][]; readouts?: { spectralRadius?: number[][]; sigmaMax?: number[][] } }>(
    path.join(runDir, 'gradmaps.jsonl'),
  );
  const vals = evals.map((e) => e.valLoss);
  const best = vals.length ? Math.min(...vals) : undefined;
  const speeds = metrics
    .map((m) => m.tokensPerSec)
    .filter((v) => v > 0)
    .sort((a, b) => a - b);
  const median = speeds.length ? (speeds.length % 2 ? speeds[speeds.length >> 1] : (speeds[speeds.length / 2 - 1] + speeds[speeds.length / 2]) / 2) : undefined;
  let horizon: number | undefined;
  if (maps.length) {
    // The LSTM's horizon is on its state (h_t, c_t): the norm of both gradients together.
    const newest = maps[maps.length - 1];
    const h = newest.hiddenGradNorms.at(-1)!;
    const c = newest.cellGradNorms?.at(-1);
    const norms = c ? h.map((v, t) => Math.hypot(v, c[t])) : h;
    const last = norms[norms.length - 1];
    horizon = 0;
    for (let t = norms.length - 2; t >= 0 && last > 0 && norms[t] >= 1e-3 * last; t--) horizon++;
  }
  // The recurrent matrix's spectra: the newest map that measured them, top layer, the largest gate block.
  const spectra = [...maps].reverse().find((m) => m.readouts?.spectralRadius?.length)?.readouts;
  const top = (rows?: number[][]) => (rows?.length ? Math.max(...rows[rows.length - 1]) : undefined);
  const f = (v: number | undefined, digits: number) => (v === undefined ? '' : v.toFixed(digits));
  return [
    label,
    state,
    f(best, 3),
    f(vals.at(-1), 3),
    f(best === undefined ? undefined : Math.exp(best), 2),
    f(best === undefined ? undefined : best / Math.LN2 / run.info.charsPerToken, 3),
    median === undefined ? '' : String(Math.round(median)),
    (run.durationMs / 1000).toFixed(1),
    run.info ? String(run.info.paramCount) : '',
    metrics.length ? (metrics.filter((m) => m.clipped).length / metrics.length).toFixed(3) : '',
    horizon === undefined ? '' : String(horizon),
    f(top(spectra?.spectralRadius), 3),
    f(top(spectra?.sigmaMax), 3),
    '',
  ];
}
