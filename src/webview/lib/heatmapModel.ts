/**
 * The numbers behind the gradient-through-time heatmap: one column per gradient map (a training
 * step), one row per time step t of the window, each cell log10 of the chosen norm (||dℓ_T/dh_t||
 * or ||dL/dh_t||, see gradQuantity.ts). Pure.
 */
import type { GradMap } from '../../protocol/types';
import { mapNorms, type GradQuantity } from './gradQuantity';
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

/**
 * Bounds on what the heatmap allocates. The host checks every map it reads, but the page defends
 * itself too: a map whose "array" claims a length of 1e12 must not make it allocate gigabytes.
 */
export const MAX_LAYERS = 8;
export const MAX_ROWS = 4096;
/** Cells of one grid (columns x rows): 4M float64 values, 32 MB. Older columns beyond it are left out. */
export const MAX_CELLS = 4 * 1024 * 1024;

/** A map's norms of one quantity and layer: a real array, at most MAX_ROWS long (empty otherwise). */
export function layerNorms(map: GradMap, quantity: GradQuantity, layer: number): readonly number[] {
  const layers = mapNorms(map, quantity);
  const norms = Array.isArray(layers) && layer < MAX_LAYERS ? (layers[layer] as unknown) : undefined;
  if (!Array.isArray(norms)) return [];
  return norms.length > MAX_ROWS ? norms.slice(0, MAX_ROWS) : (norms as number[]);
}

/** Number of layers in the maps (the largest, should a run's maps ever differ), at most MAX_LAYERS. */
export function layerCount(maps: readonly GradMap[]): number {
  let n = 0;
  for (const m of maps) n = Math.max(n, Array.isArray(m.hiddenGradNorms) ? Math.min(MAX_LAYERS, m.hiddenGradNorms.length) : 0);
  return n;
}

/**
 * The grid of one quantity and layer; a map without that quantity leaves its column empty (NaN).
 * At most MAX_ROWS rows, and the newest maps that fit in MAX_CELLS.
 */
export function heatmapGrid(allMaps: readonly GradMap[], layer: number, quantity: GradQuantity): HeatmapGrid {
  let rows = 0;
  for (const m of allMaps) rows = Math.max(rows, layerNorms(m, quantity, layer).length);
  const maxCols = Math.floor(MAX_CELLS / Math.max(1, rows));
  const maps = allMaps.length > maxCols ? allMaps.slice(allMaps.length - maxCols) : allMaps;
  const cols = maps.length;
  const values = new Float64Array(cols * rows).fill(NaN);
  let min = Infinity;
  let max = -Infinity;
  maps.forEach((m, c) => {
    const norms = layerNorms(m, quantity, layer);
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
 * (log10 of norm at t=T-1 over norm at t=0). For the last prediction's gradient a large positive
 * number is the vanishing-gradient signature of a plain RNN; a trained LSTM loses fewer.
 */
export function decadesLost(grid: HeatmapGrid): number | undefined {
  if (grid.cols === 0 || grid.rows < 2) return undefined;
  const base = (grid.cols - 1) * grid.rows;
  const first = grid.values[base];
  const last = grid.values[base + grid.rows - 1];
  return Number.isFinite(first) && Number.isFinite(last) ? last - first : undefined;
}

/**
 * How many steps back from the last time step the newest map's norm first falls `decades` below its
 * value there (undefined when it never does within the window, or the ends are missing).
 */
export function stepsToFall(grid: HeatmapGrid, decades: number): number | undefined {
  if (grid.cols === 0 || grid.rows < 2) return undefined;
  const base = (grid.cols - 1) * grid.rows;
  const top = grid.values[base + grid.rows - 1];
  if (!Number.isFinite(top)) return undefined;
  for (let back = 1; back < grid.rows; back++) {
    if (grid.values[base + grid.rows - 1 - back] <= top - decades) return back;
  }
  return undefined;
}

/** Smallest and largest finite value of the newest column, and their rows (undefined if none). */
export function newestRange(grid: HeatmapGrid): { min: number; minRow: number; max: number; maxRow: number } | undefined {
  if (grid.cols === 0) return undefined;
  const base = (grid.cols - 1) * grid.rows;
  let r: { min: number; minRow: number; max: number; maxRow: number } | undefined;
  for (let t = 0; t < grid.rows; t++) {
    const v = grid.values[base + t];
    if (!Number.isFinite(v)) continue;
    if (!r || v < r.min) r = { ...(r ?? { max: v, maxRow: t }), min: v, minRow: t };
    if (v > r.max) r = { ...r, max: v, maxRow: t };
  }
  return r;
}
