/**
 * The readouts recorded with the gradient maps, as series over training for the readouts card and as
 * the newest values for the run header. Pure: no DOM, so it is unit-tested in Node.
 */
import type { GradMap, Readouts } from '../../protocol/types';

export interface ReadoutSeries {
  /** Steps of the maps that carry readouts. */
  steps: number[];
  /** [layer][i] memory horizon on the state (an LSTM's (h, c)). */
  horizon: number[][];
  /** LSTM: [layer][i] memory horizon on h alone. */
  horizonH?: number[][];
  clipRate: number[];
  /** Gate blocks of U, e.g. ['i', 'f', 'g', 'o'] (empty before any measurement). */
  gates: string[];
  /** [gate][i] of the last layer, null where this map did not measure the matrices. */
  spectralRadius: (number | null)[][];
  sigmaMax: (number | null)[][];
}

export function readoutSeries(maps: readonly GradMap[]): ReadoutSeries {
  const withReadouts = maps.filter((m): m is GradMap & { readouts: Readouts } => !!m.readouts);
  const layers = Math.max(0, ...withReadouts.map((m) => m.readouts.memoryHorizon.length));
  const gates = [...withReadouts].reverse().find((m) => m.readouts.gates?.length)?.readouts.gates ?? [];
  const lstm = withReadouts.some((m) => m.readouts.memoryHorizonH);
  const perLayer = (pick: (r: Readouts) => number[] | undefined) => Array.from({ length: layers }, (_, l) => withReadouts.map((m) => pick(m.readouts)?.[l] ?? NaN));
  const lastLayer = (rows: number[][] | undefined, g: number) => (rows?.length ? (rows[rows.length - 1][g] ?? null) : null);
  return {
    steps: withReadouts.map((m) => m.step),
    horizon: perLayer((r) => r.memoryHorizon),
    ...(lstm ? { horizonH: perLayer((r) => r.memoryHorizonH) } : {}),
    clipRate: withReadouts.map((m) => m.readouts.clipRate),
    gates,
    spectralRadius: gates.map((_, g) => withReadouts.map((m) => lastLayer(m.readouts.spectralRadius, g))),
    sigmaMax: gates.map((_, g) => withReadouts.map((m) => lastLayer(m.readouts.sigmaMax, g))),
  };
}

/** The newest readouts for the run header: the last layer's horizon, and the gate block of U with the largest spectral radius. */
export function latestReadouts(
  maps: readonly GradMap[],
): { step: number; horizon: number; horizonH?: number; clipRate: number; radius?: { gate: string; value: number; sigma: number } } | undefined {
  const latest = [...maps].reverse().find((m) => m.readouts)?.readouts;
  if (!latest) return undefined;
  const step = [...maps].reverse().find((m) => m.readouts)!.step;
  const measured = [...maps].reverse().find((m) => m.readouts?.spectralRadius?.length)?.readouts;
  const last = latest.memoryHorizon.length - 1;
  let radius: { gate: string; value: number; sigma: number } | undefined;
  if (measured?.spectralRadius && measured.sigmaMax && measured.gates) {
    const rho = measured.spectralRadius[measured.spectralRadius.length - 1];
    const sigma = measured.sigmaMax[measured.sigmaMax.length - 1];
    let g = 0;
    for (let k = 1; k < rho.length; k++) if (rho[k] > rho[g]) g = k;
    radius = { gate: measured.gates[g] ?? '?', value: rho[g], sigma: sigma[g] };
  }
  return { step, horizon: latest.memoryHorizon[last], ...(latest.memoryHorizonH ? { horizonH: latest.memoryHorizonH[last] } : {}), clipRate: latest.clipRate, radius };
}
