/**
 * `probe.json` in a run folder: the context-length probe an experiment ran after training,
 * `[{ "k": 1, "loss": 2.31 }, ...]` in nats per token. Written by the command line and by the editor's
 * experiment runner; read back through a checked reader, since a run folder may come from anywhere.
 * No tfjs here: the extension host reads these.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProbePoint } from '../contextProbe';
import { writeFileAtomic } from '../runFiles';

export const PROBE_FILE = 'probe.json';
/** probe.json above this size is not ours (a probe has a dozen points). */
const MAX_PROBE_BYTES = 16 * 1024;
const MAX_PROBE_POINTS = 64;

export function writeProbe(runDir: string, points: readonly ProbePoint[]): void {
  writeFileAtomic(path.join(runDir, PROBE_FILE), JSON.stringify(points) + '\n');
}

/** The probe recorded in `runDir`, or undefined when there is none or it is not a well-formed probe. */
export function readProbe(runDir: string): ProbePoint[] | undefined {
  const file = path.join(runDir, PROBE_FILE);
  let text: string;
  try {
    const stat = fs.lstatSync(file);
    if (!stat.isFile() || stat.size > MAX_PROBE_BYTES) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const points = parsed;
  if (!Array.isArray(points) || points.length === 0 || points.length > MAX_PROBE_POINTS) return undefined;
  const ok = points.every(
    (p: unknown) =>
      typeof p === 'object' &&
      p !== null &&
      Number.isInteger((p as ProbePoint).k) &&
      (p as ProbePoint).k >= 1 &&
      (p as ProbePoint).k <= 4096 &&
      Number.isFinite((p as ProbePoint).loss) &&
      (p as ProbePoint).loss >= 0,
  );
  return ok ? points.map((p: ProbePoint) => ({ k: p.k, loss: p.loss })) : undefined;
}
