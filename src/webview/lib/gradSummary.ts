/**
 * The one-line reading of the newest gradient map under the gradient card's title: how far the last
 * prediction's error signal reaches back, or how even the whole window's gradient is. Pure.
 */
import { formatCount, formatSci } from './format';
import { quantityText, type GradQuantity } from './gradQuantity';
import { decadesLost, newestRange, stepsToFall, type HeatmapGrid } from './heatmapModel';

/** A fall of this many decades (1,000-fold) is where the signal is taken to be gone. */
const REACH_DECADES = 3;

export function gradSummary(grid: HeatmapGrid, quantity: GradQuantity, windowCell: boolean, gradMapInterval: number): string {
  if (grid.cols === 0) {
    return gradMapInterval > 0 ? `Gradient maps are recorded every ${gradMapInterval} steps.` : 'Gradient maps are off for this run (gradMapInterval is 0).';
  }
  const newest = `Newest map (step ${formatCount(grid.steps[grid.cols - 1])})`;
  if (quantity === 'total') return `${newest}: ${spread(grid, windowCell)}.`;
  const d = decadesLost(grid);
  if (d === undefined) return `${newest}.`;
  const amount = `${Math.abs(d).toFixed(1)} decades`;
  if (windowCell) {
    const ratio = `${quantityText('last', true).symbol} at the oldest context position is ${amount} ${d >= 0 ? 'below' : 'above'} the newest`;
    if (d > 2) return `${newest}: ${ratio}: the last prediction leans on its nearest inputs.`;
    if (Math.abs(d) <= 1) return `${newest}: ${ratio}: the last prediction draws on its whole context.`;
    return `${newest}: ${ratio}.`;
  }
  const ends = `${amount} ${d >= 0 ? 'smaller' : 'larger'} at t = 0 than at t = ${grid.rows - 1}`;
  const fall = stepsToFall(grid, REACH_DECADES);
  const reach = fall !== undefined ? `falls 1,000-fold within ${fall} step${fall === 1 ? '' : 's'} back` : `stays within 1,000-fold for all ${grid.rows} steps`;
  return `${newest}: the last prediction's gradient ${d < -1 ? 'is' : `${reach},`} ${ends}: ${verdict(d)}.`;
}

function verdict(decades: number): string {
  if (decades > 4) return 'it vanishes on its way back through time';
  if (decades > 1) return 'it fades on its way back through time';
  if (decades >= -1) return 'it reaches the start of the window';
  if (decades >= -2) return 'it grows on its way back through time';
  return 'it grows on its way back through time (exploding gradients)';
}

/** "‖∂L/∂hₜ‖ stays within 0.4 decades across the window (4.1e-3 at t = 63 to 1.2e-2 at t = 20)". */
function spread(grid: HeatmapGrid, windowCell: boolean): string {
  const symbol = quantityText('total', windowCell).symbol;
  const r = newestRange(grid);
  if (!r) return `${symbol}: no value`;
  const where = (row: number) => (windowCell ? `position ${row}` : `t = ${row}`);
  const width = r.max - r.min;
  const how = width <= 1 ? `stays within ${width.toFixed(1)} decades` : `spans ${width.toFixed(1)} decades`;
  return `${symbol} ${how} across the window (${formatSci(10 ** r.min)} at ${where(r.minRow)} to ${formatSci(10 ** r.max)} at ${where(r.maxRow)})`;
}
