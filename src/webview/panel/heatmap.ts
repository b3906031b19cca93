/**
 * The gradient-through-time heatmap on a <canvas>: x = training step (one column per gradient map),
 * y = time step t within the window (t = 0 at the bottom), colour = log10 of a gradient norm on
 * viridis (||dℓ_T/dh_t|| or ||dL/dh_t||, named by the labels). A vanishing gradient of the last
 * prediction shows as a dark band toward t = 0. Hover, or focus and arrow keys, read out
 * a cell (the read-out is text, for screen readers too).
 */
import { h, setAttrs, setText } from '../common/dom';
import type { ChartTheme } from '../common/theme';
import { colormapTable, normalize } from '../lib/colormap';
import { formatCount, formatSci } from '../lib/format';
import { MAX_CELLS, cellAt, type HeatmapGrid } from '../lib/heatmapModel';
import { niceTicks } from '../lib/scale';

const MARGIN = { left: 50, right: 8, top: 8, bottom: 36 };
const HEIGHT = 260;
const LUT_SIZE = 256;
/** t = 0 at the bottom: time runs upward, toward the end of the window where the loss is read. */
const T_AT_TOP = false;

export interface HeatmapLabels {
  /** Axis title of the rows. */
  readonly rowAxis: string;
  /** Name of a row in the read-out, e.g. "t = 12". */
  readonly rowName: (t: number) => string;
  /** What a value is, as a formula, e.g. "‖∂ℓ_T/∂hₜ‖". */
  readonly quantity: string;
  /** The same in words, e.g. "gradient of the last prediction's loss". */
  readonly quantityName: string;
}

export class Heatmap {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly cursorBox: HTMLElement;
  private readonly live: HTMLElement;
  private readonly legendBar: HTMLCanvasElement;
  private readonly legendMin: HTMLElement;
  private readonly legendMax: HTMLElement;
  private readonly legendTitle: HTMLElement;
  private readonly lut = colormapTable(LUT_SIZE);
  private grid: HeatmapGrid | undefined;
  private labels: HeatmapLabels = { rowAxis: 'time step t', rowName: (t) => `t = ${t}`, quantity: '‖∂ℓ_T/∂hₜ‖', quantityName: "gradient of the last prediction's loss" };
  private focusCell: { col: number; t: number } | undefined;
  private readonly resizeObserver: ResizeObserver;
  private width = 0;

  /** `describedBy`: id of the element that explains what the map shows. */
  constructor(
    private theme: ChartTheme,
    describedBy?: string,
  ) {
    this.canvas = h('canvas', { class: 'heatmap-canvas', attrs: { tabindex: 0, role: 'img', 'aria-label': 'Gradient heatmap: no data yet', 'aria-describedby': describedBy } });
    this.tooltip = h('div', { class: 'chart-tooltip', attrs: { role: 'tooltip', hidden: true } });
    this.cursorBox = h('div', { class: 'heatmap-cursor', attrs: { hidden: true } });
    this.live = h('div', { class: 'visually-hidden', attrs: { 'aria-live': 'polite' } });
    this.legendBar = h('canvas', { class: 'legend-bar', attrs: { width: LUT_SIZE, height: 1, 'aria-hidden': 'true' } });
    this.legendMin = h('span', { class: 'legend-value' });
    this.legendMax = h('span', { class: 'legend-value' });
    this.legendTitle = h('span', { class: 'legend-title' });
    this.element = h(
      'div',
      { class: 'heatmap', attrs: { 'data-testid': 'heatmap', 'data-columns': 0, 'data-rows': 0 } },
      h('div', { class: 'heatmap-stage' }, this.canvas, this.cursorBox, this.tooltip),
      h('div', { class: 'heatmap-legend', attrs: { 'aria-label': 'Colour scale' } }, this.legendTitle, this.legendMin, this.legendBar, this.legendMax),
      this.live,
    );
    this.drawLegendBar();

    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => {
      if (document.activeElement !== this.canvas) this.hideReadout();
    });
    this.canvas.addEventListener('keydown', (e) => this.key(e));
    this.canvas.addEventListener('blur', () => this.hideReadout());
    this.canvas.addEventListener('focus', () => {
      if (this.grid && this.grid.cols > 0) this.showCell(this.focusCell ?? { col: this.grid.cols - 1, t: 0 }, true);
    });
    let pending = 0;
    this.resizeObserver = new ResizeObserver(() => {
      if (pending) return;
      pending = requestAnimationFrame(() => {
        pending = 0;
        if (Math.abs(this.canvas.clientWidth - this.width) >= 1) this.draw();
      });
    });
    this.resizeObserver.observe(this.canvas);
  }

  setGrid(grid: HeatmapGrid, labels: HeatmapLabels): void {
    this.grid = grid;
    this.labels = labels;
    if (this.focusCell && (this.focusCell.col >= grid.cols || this.focusCell.t >= grid.rows)) this.focusCell = undefined;
    setAttrs(this.element, { 'data-columns': grid.cols, 'data-rows': grid.rows });
    setText(this.legendTitle, `log₁₀ ${labels.quantity}`);
    setText(this.legendMin, grid.cols ? formatSci(Math.pow(10, grid.min)) : '');
    setText(this.legendMax, grid.cols ? formatSci(Math.pow(10, grid.max)) : '');
    (this.legendBar.parentElement as HTMLElement).hidden = grid.cols === 0;
    this.legendMin.title = `10^${grid.min.toFixed(2)}`;
    this.legendMax.title = `10^${grid.max.toFixed(2)}`;
    this.draw();
    if (this.focusCell && !this.tooltip.hidden) this.showCell(this.focusCell, false);
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.draw();
  }

  dispose(): void {
    this.resizeObserver.disconnect();
  }

  // ---------------------------------------------------------------- drawing

  private plotSize(): { w: number; h: number } {
    return { w: Math.max(10, this.width - MARGIN.left - MARGIN.right), h: HEIGHT - MARGIN.top - MARGIN.bottom };
  }

  private draw(): void {
    const cssWidth = this.canvas.clientWidth || 400;
    this.width = cssWidth;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(cssWidth * dpr);
    this.canvas.height = Math.round(HEIGHT * dpr);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssWidth, HEIGHT);
    const { w, h: ph } = this.plotSize();
    const t = this.theme;
    const grid = this.grid;

    ctx.fillStyle = t.grid;
    ctx.fillRect(MARGIN.left, MARGIN.top, w, ph);
    ctx.font = t.font;
    ctx.fillStyle = t.foreground;

    if (!grid || grid.cols === 0 || grid.rows === 0) {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillStyle = t.muted;
      ctx.fillText('Waiting for the first gradient map…', MARGIN.left + w / 2, MARGIN.top + ph / 2);
      this.canvas.setAttribute('aria-label', 'Gradient heatmap: no gradient maps yet');
      return;
    }

    // One pixel per cell in an offscreen image, scaled up without smoothing: crisp cells at any size.
    // The grid is bounded by heatmapModel (MAX_ROWS, MAX_CELLS); refuse anything past it all the same.
    if (grid.cols * grid.rows > MAX_CELLS || grid.values.length < grid.cols * grid.rows) return;
    const image = new ImageData(grid.cols, grid.rows);
    for (let c = 0; c < grid.cols; c++) {
      for (let r = 0; r < grid.rows; r++) {
        const tIndex = T_AT_TOP ? r : grid.rows - 1 - r;
        const v = grid.values[c * grid.rows + tIndex];
        const o = 4 * (r * grid.cols + c);
        if (!Number.isFinite(v)) continue; // transparent: the plot background shows through
        const k = 4 * Math.round(normalize(v, grid.min, grid.max) * (LUT_SIZE - 1));
        image.data[o] = this.lut[k];
        image.data[o + 1] = this.lut[k + 1];
        image.data[o + 2] = this.lut[k + 2];
        image.data[o + 3] = 255;
      }
    }
    const off = document.createElement('canvas');
    off.width = grid.cols;
    off.height = grid.rows;
    off.getContext('2d')?.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, MARGIN.left, MARGIN.top, w, ph);

    ctx.strokeStyle = t.axis;
    ctx.lineWidth = 1;
    ctx.strokeRect(MARGIN.left - 0.5, MARGIN.top - 0.5, w + 1, ph + 1);

    // Rows: a few integer time steps.
    ctx.fillStyle = t.foreground;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const cellH = ph / grid.rows;
    // The two ends first (they name the window), then nice values that do not crowd them.
    const rowTicks = [0, grid.rows - 1, ...niceTicks(0, grid.rows - 1, Math.max(2, Math.floor(ph / 40))).filter(Number.isInteger)];
    const placed: number[] = [];
    for (const tick of rowTicks) {
      const r = T_AT_TOP ? tick : grid.rows - 1 - tick;
      const y = MARGIN.top + (r + 0.5) * cellH;
      if (placed.some((p) => Math.abs(p - y) < 14)) continue;
      placed.push(y);
      ctx.fillText(String(tick), MARGIN.left - 6, y);
      ctx.fillRect(MARGIN.left - 3, Math.round(y) - 0.5, 3, 1);
    }
    ctx.save();
    ctx.translate(12, MARGIN.top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(`${this.labels.rowAxis} ${T_AT_TOP ? '↓' : '↑'}`, 0, 0);
    ctx.restore();

    // Columns: nice step numbers, placed between the columns that surround them (maps are usually
    // evenly spaced, but a resumed run or a changed interval makes them uneven).
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const cellW = w / grid.cols;
    const first = grid.steps[0];
    const last = grid.steps[grid.cols - 1];
    const wanted = grid.cols === 1 ? [first] : niceTicks(first, last, Math.max(2, Math.floor(w / 90)));
    let lastX = -Infinity;
    for (const step of wanted) {
      const x = MARGIN.left + columnPosition(grid.steps, step) * cellW;
      if (x - lastX < 50) continue;
      lastX = x;
      ctx.fillRect(Math.round(x) - 0.5, MARGIN.top + ph, 1, 3);
      // Keep the label inside the canvas at the right edge.
      const label = formatCount(step);
      const half = ctx.measureText(label).width / 2;
      ctx.fillText(label, Math.min(x, cssWidth - half - 1), MARGIN.top + ph + 5);
    }
    ctx.fillText('training step →', MARGIN.left + w / 2, MARGIN.top + ph + 20);

    this.canvas.setAttribute(
      'aria-label',
      `Gradient heatmap, ${this.labels.quantityName}: ${grid.cols} gradient maps from step ${first} to ${last}, ${grid.rows} ${this.labels.rowAxis} rows; ` +
        `${this.labels.quantity} from ${formatSci(Math.pow(10, grid.min))} to ${formatSci(Math.pow(10, grid.max))}. Use the arrow keys to read cells.`,
    );
  }

  private drawLegendBar(): void {
    const ctx = this.legendBar.getContext('2d');
    if (!ctx) return;
    const image = new ImageData(LUT_SIZE, 1);
    image.data.set(this.lut);
    ctx.putImageData(image, 0, 0);
  }

  // ---------------------------------------------------------------- read-out

  private hover(e: MouseEvent): void {
    const grid = this.grid;
    if (!grid) return;
    const rect = this.canvas.getBoundingClientRect();
    const { w, h: ph } = this.plotSize();
    const cell = cellAt(grid, e.clientX - rect.left - MARGIN.left, e.clientY - rect.top - MARGIN.top, w, ph, T_AT_TOP);
    if (!cell) {
      this.hideReadout();
      return;
    }
    this.focusCell = cell;
    this.showCell(cell, false);
  }

  private key(e: KeyboardEvent): void {
    const grid = this.grid;
    if (!grid || grid.cols === 0) return;
    const cur = this.focusCell ?? { col: grid.cols - 1, t: 0 };
    const up = T_AT_TOP ? -1 : 1;
    let next: { col: number; t: number } | undefined;
    switch (e.key) {
      case 'ArrowLeft':
        next = { col: cur.col - 1, t: cur.t };
        break;
      case 'ArrowRight':
        next = { col: cur.col + 1, t: cur.t };
        break;
      case 'ArrowUp':
        next = { col: cur.col, t: cur.t + up };
        break;
      case 'ArrowDown':
        next = { col: cur.col, t: cur.t - up };
        break;
      case 'Home':
        next = { col: 0, t: cur.t };
        break;
      case 'End':
        next = { col: grid.cols - 1, t: cur.t };
        break;
      case 'Escape':
        this.hideReadout();
        return;
      default:
        return;
    }
    e.preventDefault();
    next = { col: Math.min(grid.cols - 1, Math.max(0, next.col)), t: Math.min(grid.rows - 1, Math.max(0, next.t)) };
    this.focusCell = next;
    this.showCell(next, true);
  }

  private showCell(cell: { col: number; t: number }, announce: boolean): void {
    const grid = this.grid;
    if (!grid) return;
    const { w, h: ph } = this.plotSize();
    const cellW = w / grid.cols;
    const cellH = ph / grid.rows;
    const r = T_AT_TOP ? cell.t : grid.rows - 1 - cell.t;
    const x = MARGIN.left + cell.col * cellW;
    const y = MARGIN.top + r * cellH;
    this.cursorBox.hidden = false;
    this.cursorBox.style.left = `${x}px`;
    this.cursorBox.style.top = `${y}px`;
    this.cursorBox.style.width = `${Math.max(2, cellW)}px`;
    this.cursorBox.style.height = `${Math.max(2, cellH)}px`;

    const v = grid.values[cell.col * grid.rows + cell.t];
    const value = Number.isFinite(v) ? `${this.labels.quantity} = ${formatSci(Math.pow(10, v))}  (log₁₀ ${v.toFixed(2)})` : `${this.labels.quantity}: no value`;
    const text = `step ${grid.steps[cell.col].toLocaleString('en-US')} · ${this.labels.rowName(cell.t)}\n${value}`;
    setText(this.tooltip, text);
    this.tooltip.hidden = false;
    // Beside the cell, flipped to the left near the right edge, kept inside the stage.
    const tipW = this.tooltip.offsetWidth;
    const tipH = this.tooltip.offsetHeight;
    let left = x + cellW + 10;
    if (left + tipW > this.width) left = x - tipW - 10;
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${Math.min(HEIGHT - tipH, Math.max(0, y + cellH / 2 - tipH / 2))}px`;
    if (announce) setText(this.live, text.replace('\n', '; '));
  }

  private hideReadout(): void {
    this.tooltip.hidden = true;
    this.cursorBox.hidden = true;
  }
}

/** Position of `step` in column units (the centre of column i is i + 0.5), interpolated between columns. */
function columnPosition(steps: readonly number[], step: number): number {
  if (steps.length === 1 || step <= steps[0]) return 0.5;
  for (let i = 0; i + 1 < steps.length; i++) {
    if (step <= steps[i + 1]) return i + 0.5 + (step - steps[i]) / (steps[i + 1] - steps[i] || 1);
  }
  return steps.length - 0.5;
}
