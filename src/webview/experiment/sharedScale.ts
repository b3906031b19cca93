/**
 * The experiment panel's gradient maps on ONE colour scale: each run's heatmap grid (heatmapModel.ts)
 * keeps its own cells, but takes the smallest minimum and largest maximum of log10 norms over every
 * run, so the same colour is the same norm in every map. Pure.
 */
import type { GradMap } from '../../protocol/types';
import { chooseQuantity, type GradQuantity } from '../lib/gradQuantity';
import { heatmapGrid, type HeatmapGrid } from '../lib/heatmapModel';

/** The quantity every map can show: the last prediction's gradient when all runs carry it. */
export function sharedQuantity(runs: readonly (readonly GradMap[])[]): GradQuantity {
  const withMaps = runs.filter((maps) => maps.length);
  return withMaps.every((maps) => chooseQuantity(maps, 'last').shown === 'last') ? 'last' : 'total';
}

/** One grid per run (layer 0 of what the host sent: each run's top layer), all on the same min and max. */
export function gridsOnSharedScale(runs: readonly (readonly GradMap[])[], quantity: GradQuantity): HeatmapGrid[] {
  const grids = runs.map((maps) => heatmapGrid(maps, 0, quantity));
  const drawn = grids.filter((g) => g.cols > 0);
  if (!drawn.length) return grids;
  const min = Math.min(...drawn.map((g) => g.min));
  const max = Math.max(...drawn.map((g) => g.max));
  return grids.map((g) => (g.cols > 0 ? { ...g, min, max } : g));
}
