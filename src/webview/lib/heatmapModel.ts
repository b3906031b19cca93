/**
 * The numbers behind the gradient-through-time heatmap: one column per gradient map (a training
 * step), one row per time step t of the window, each cell log10 ||dL/dh_t||. Pure.
 */
import type { GradMap } from '../../protocol/types';
import { log10Safe } from './scale';

export interface HeatmapGrid {
  readonly cols: number;
  readonly rows: number;
  /** Training step of each column. */
  readonly steps: number[];
  /** log10 of the norm, column-major: values[col * rows + t]; NaN where missing or zero. */
  readonly values: Float64Array;
  /** Range of the finite values (an empty range is widened by half a decade each way). */
  readonly min: number;
  readonly max: number;
}

/** Number of layers in the maps (the largest, should a run's maps ever differ). */
export function layerCount(maps: readonly GradMap[]): number {
  let n = 0;
  for (const m of maps) n = Math.max(n, m.hiddenGradNorms.length);
  return n;
}

export function heatmapGrid(maps: readonly GradMap[], layer: number): HeatmapGrid {
  let rows = 0;
  for (const m of maps) rows = Math.max(rows, m.hiddenGradNorms[layer]?.length ?? 0);
  const cols = maps.length;
  const values = new Float64Array(cols * rows).fill(NaN);
  let min = Infinity;
  let max = -Infinity;
  maps.forEach((m, c) => {
    const norms = m.hiddenGradNorms[layer] ?? [];
    for (let t = 0; t < norms.length; t++) {
      const v = log10Safe(norms[t]);
      values[c * rows + t] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  });
  if (!(min <= max)) {
    min = 0;
    max = 1;
  } else if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  return { cols, rows, steps: maps.map((m) => m.step), values, min, max };
}

/** The cell under a point of the drawing area (0..width, 0..height), or undefined outside. */
export function cellAt(grid: HeatmapGrid, x: number, y: number, width: number, height: number, tAtTop: boolean): { col: number; t: number } | undefined {
  if (grid.cols === 0 || grid.rows === 0 || x < 0 || y < 0 || x >= width || y >= height) return undefined;
  const col = Math.min(grid.cols - 1, Math.floor((x / width) * grid.cols));
  const row = Math.min(grid.rows - 1, Math.floor((y / height) * grid.rows));
  return { col, t: tAtTop ? row : grid.rows - 1 - row };
}

/**
 * How much the gradient shrinks from the last time step to the first in the newest map, in decades
 * (log10 of norm at t=T-1 over norm at t=0): a large positive number is the vanishing-gradient
 * signature of a plain RNN, near zero is what an LSTM keeps.
 */
export function decadesLost(grid: HeatmapGrid): number | undefined {
  if (grid.cols === 0 || grid.rows < 2) return undefined;
  const base = (grid.cols - 1) * grid.rows;
  const first = grid.values[base];
  const last = grid.values[base + grid.rows - 1];
  return Number.isFinite(first) && Number.isFinite(last) ? last - first : undefined;
}
