/**
 * The "Gradients through time" card: the heatmap, a layer choice when the model has several, the
 * newest profile (||dL/dh_t|| against t, log scale) with the first one for comparison, and the
 * global gradient norm per step against the clipping threshold.
 */
import type uPlot from 'uplot';
import { h, replaceChildren, setText } from '../common/dom';
import { Plot, axisStyle } from '../common/plot';
import { Segmented } from '../common/segmented';
import type { ChartTheme } from '../common/theme';
import { withAlpha } from '../lib/color';
import { drawIndices, pick } from '../lib/downsample';
import { formatCount, formatSci } from '../lib/format';
import { decadesLost, heatmapGrid, layerCount, type HeatmapGrid } from '../lib/heatmapModel';
import type { PanelPrefs } from '../lib/prefs';
import type { RunModel } from '../lib/runModel';
import { Heatmap, type HeatmapLabels } from './heatmap';

const SIDE_CHART_HEIGHT = 150;
/** Fraction of recent steps whose gradient was clipped, over this many steps. */
const CLIP_WINDOW = 200;

export class GradientView {
  readonly element: HTMLElement;
  private readonly heatmap: Heatmap;
  private readonly summary: HTMLElement;
  private readonly layerSlot: HTMLElement;
  private readonly profileTitle: HTMLElement;
  private readonly normTitle: HTMLElement;
  private readonly profileReadout: HTMLElement;
  private readonly normReadout: HTMLElement;
  private readonly profileBox: HTMLElement;
  private readonly normBox: HTMLElement;
  private readonly profilePlot: Plot;
  private readonly normPlot: Plot;
  private layerToggle: Segmented<string> | undefined;
  private layers = 0;
  private model: RunModel | undefined;
  private gridCache: { maps: number; layer: number; revision: unknown; grid: HeatmapGrid } | undefined;

  constructor(
    private theme: ChartTheme,
    private prefs: PanelPrefs,
    private readonly setPrefs: (change: Partial<PanelPrefs>) => void,
  ) {
    this.heatmap = new Heatmap(theme);
    // Not a live region: it changes with every gradient map, which would be a stream of announcements.
    this.summary = h('p', { class: 'card-note' });
    this.layerSlot = h('div', { class: 'toolbar' });
    this.profileTitle = h('h3', { class: 'mini-title', text: 'Latest profile' });
    this.normTitle = h('h3', { class: 'mini-title', text: 'Global gradient norm' });
    this.profileReadout = h('span', { class: 'mini-readout' });
    this.normReadout = h('span', { class: 'mini-readout' });
    this.profileBox = h('div', { class: 'chart small', attrs: { role: 'img', 'aria-label': 'Gradient norm against time step, newest map' } });
    this.normBox = h('div', { class: 'chart small', attrs: { role: 'img', 'aria-label': 'Global gradient norm per step' } });
    this.profilePlot = new Plot(this.profileBox, SIDE_CHART_HEIGHT, (size) => this.profileOptions(size));
    this.normPlot = new Plot(this.normBox, SIDE_CHART_HEIGHT, (size) => this.normOptions(size));

    this.element = h('section', { class: 'card', attrs: { 'aria-labelledby': 'grad-title' } },
      h('header', { class: 'card-head' },
        h('h2', { class: 'card-title', attrs: { id: 'grad-title' }, text: 'Gradients through time' }),
        this.layerSlot,
      ),
      this.summary,
      h('div', { class: 'grad-grid' },
        h('div', { class: 'grad-main' }, this.heatmap.element),
        h('div', { class: 'grad-side' },
          h('div', { class: 'mini' }, h('div', { class: 'mini-head' }, this.profileTitle, this.profileReadout), this.profileBox),
          h('div', { class: 'mini' }, h('div', { class: 'mini-head' }, this.normTitle, this.normReadout), this.normBox),
        ),
      ),
    );
  }

  setModel(model: RunModel | undefined): void {
    this.model = model;
    this.gridCache = undefined;
    this.profilePlot.clear();
    this.normPlot.clear();
    this.render();
  }

  setPrefsView(prefs: PanelPrefs): void {
    const rebuildNorm = prefs.xLog !== this.prefs.xLog;
    this.prefs = prefs;
    if (rebuildNorm) this.normPlot.rebuild();
    this.render();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.heatmap.setTheme(theme);
    this.profilePlot.rebuild();
    this.normPlot.rebuild();
  }

  /**
   * Redraws. The heatmap and the profile change only with a new gradient map (or a layer, theme or
   * run change); the norm chart changes with every metric batch, so `mapsChanged = false` skips the rest.
   */
  render(mapsChanged = true): void {
    const m = this.model;
    if (!m) return;
    if (!mapsChanged) {
      this.renderNorm(m);
      return;
    }
    const windowCell = m.config.cell === 'window';
    this.renderLayerToggle(windowCell ? 1 : layerCount(m.gradMaps));
    const layer = Math.min(this.prefs.layer, Math.max(0, this.layers - 1));
    const grid = this.grid(m, layer);
    const labels: HeatmapLabels = windowCell
      ? { rowAxis: 'context position (0 = oldest)', rowName: (k) => `position ${k} of ${grid.rows} (x₍ₜ₋${grid.rows - k}₎)`, quantity: '‖dL/dx‖' }
      : { rowAxis: 'time step t', rowName: (t) => `t = ${t}`, quantity: '‖dL/dhₜ‖' };
    this.heatmap.setGrid(grid, labels);
    setText(this.summary, this.describe(grid, windowCell, m));
    this.renderProfile(m, layer, windowCell);
    this.renderNorm(m);
  }

  // ---------------------------------------------------------------- parts

  private grid(m: RunModel, layer: number): HeatmapGrid {
    // Maps only ever get appended (or cut and re-appended): the last map identifies the state.
    const lastMap = m.gradMaps[m.gradMaps.length - 1];
    const c = this.gridCache;
    if (c && c.maps === m.gradMaps.length && c.layer === layer && c.revision === lastMap) return c.grid;
    const grid = heatmapGrid(m.gradMaps, layer);
    this.gridCache = { maps: m.gradMaps.length, layer, revision: lastMap, grid };
    return grid;
  }

  private renderLayerToggle(layers: number): void {
    if (layers === this.layers) return;
    this.layers = layers;
    if (layers <= 1) {
      replaceChildren(this.layerSlot);
      this.layerToggle = undefined;
      return;
    }
    const options = Array.from({ length: layers }, (_, i) => ({ value: String(i), label: `Layer ${i + 1}`, title: `Show layer ${i + 1} (1 is closest to the input)` }));
    this.layerToggle = new Segmented<string>('Layer', options, String(Math.min(this.prefs.layer, layers - 1)), (v) => this.setPrefs({ layer: Number(v) }));
    replaceChildren(this.layerSlot, this.layerToggle.element);
  }

  private describe(grid: HeatmapGrid, windowCell: boolean, m: RunModel): string {
    if (grid.cols === 0) {
      return m.config.gradMapInterval > 0
        ? `Gradient maps are recorded every ${m.config.gradMapInterval} steps.`
        : 'Gradient maps are off for this run (gradMapInterval is 0).';
    }
    const d = decadesLost(grid);
    const newest = `Newest map (step ${formatCount(grid.steps[grid.cols - 1])})`;
    if (d === undefined) return `${newest}.`;
    const what = windowCell ? '‖dL/dx‖ at the oldest context position' : '‖dL/dh‖ at t = 0';
    const than = windowCell ? 'the newest' : `at t = ${grid.rows - 1}`;
    const ratio = `${newest}: ${what} is ${Math.abs(d).toFixed(1)} decades ${d >= 0 ? 'below' : 'above'} ${than}`;
    if (d > 2) return `${ratio}: the gradient vanishes on its way back through time.`;
    if (d < -2) return `${ratio}: the gradient grows on its way back through time (exploding).`;
    if (Math.abs(d) <= 1) return `${ratio}: the gradient reaches the start of the window.`;
    return `${ratio}.`;
  }

  private renderProfile(m: RunModel, layer: number, windowCell: boolean): void {
    const maps = m.gradMaps;
    if (!maps.length) {
      this.profilePlot.clear();
      setText(this.profileTitle, `Latest profile${windowCell ? ' (by context position)' : ''}: no gradient map yet`);
      return;
    }
    const latest = maps[maps.length - 1].hiddenGradNorms[layer] ?? [];
    const first = maps[0].hiddenGradNorms[layer] ?? [];
    const n = Math.max(latest.length, first.length);
    const xs = Array.from({ length: n }, (_, t) => t);
    const positive = (v: number | undefined) => (v !== undefined && v > 0 && Number.isFinite(v) ? v : null);
    setText(this.profileTitle, `Profile at step ${formatCount(maps[maps.length - 1].step)}` + (maps.length > 1 ? ` (dashed: step ${formatCount(maps[0].step)})` : ''));
    this.profileBox.setAttribute('aria-label', `${windowCell ? 'Gradient norm by context position' : 'Gradient norm against time step t'} at step ${maps[maps.length - 1].step}: ` +
      `${formatSci(latest[0] ?? NaN)} at the start, ${formatSci(latest[latest.length - 1] ?? NaN)} at the end`);
    this.profilePlot.setData([xs, xs.map((t) => positive(latest[t])), xs.map((t) => (maps.length > 1 ? positive(first[t]) : null))] as uPlot.AlignedData);
  }

  private renderNorm(m: RunModel): void {
    if (!m.steps.length) {
      this.normPlot.clear();
      setText(this.normTitle, 'Global gradient norm: no step yet');
      return;
    }
    const idx = drawIndices(m.steps, m.gradNorm, this.normPlot.plotWidth, this.prefs.xLog);
    const xs = pick(m.steps, idx);
    const clip = this.clip(m);
    const ys = pick(m.gradNorm, idx).map((v) => (v > 0 && Number.isFinite(v) ? v : null));
    this.normPlot.setData([xs, ys, xs.map(() => (clip > 0 ? clip : null))] as uPlot.AlignedData);
    const recent = m.clipped.slice(-CLIP_WINDOW);
    const share = recent.length ? recent.filter(Boolean).length / recent.length : 0;
    const note = clip > 0 ? ` · clipped ${Math.round(share * 100)}% of last ${recent.length}` : ' · no clipping';
    setText(this.normTitle, `Global gradient norm${note}`);
  }

  private clip(m: RunModel): number {
    const last = m.gradMaps[m.gradMaps.length - 1];
    return last?.clip ?? m.config.clip;
  }

  private profileOptions(size: { width: number; height: number }): uPlot.Options {
    const t = this.theme;
    const windowCell = this.model?.config.cell === 'window';
    return {
      ...size,
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [
        { ...axisStyle(t), label: windowCell ? 'context position' : 't', labelSize: 14, size: 28 },
        { ...axisStyle(t), size: 50, values: (_u, splits) => splits.map((v) => (v == null ? '' : formatSci(v))) },
      ],
      series: [
        { label: windowCell ? 'position' : 't' },
        { label: 'newest', stroke: t.blue, width: 2, points: { show: false }, value: (_u, v) => (v == null ? '—' : formatSci(v)) },
        { label: 'first', stroke: withAlpha(t.foreground, 0.45), width: 1, dash: [4, 3], points: { show: false }, value: (_u, v) => (v == null ? '—' : formatSci(v)) },
      ],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 5 } },
      hooks: {
        setCursor: [(u) => readout(u, this.profileReadout, (x, ys) => `${windowCell ? 'position' : 't ='} ${x}: ${fmtNorm(ys[0])}` + (ys[1] != null ? ` (first ${fmtNorm(ys[1])})` : ''))],
      },
    };
  }

  private normOptions(size: { width: number; height: number }): uPlot.Options {
    const t = this.theme;
    return {
      ...size,
      scales: { x: { time: false, distr: this.prefs.xLog ? 3 : 1, log: 10 }, y: { distr: 3, log: 10 } },
      axes: [
        { ...axisStyle(t), label: 'step', labelSize: 14, size: 28, values: (_u, splits) => splits.map((v) => (v == null ? '' : formatCount(v))) },
        { ...axisStyle(t), size: 50, values: (_u, splits) => splits.map((v) => (v == null ? '' : formatSci(v))) },
      ],
      series: [
        { label: 'step' },
        { label: 'norm', stroke: withAlpha(t.green, 0.65), width: 1, points: { show: false }, value: (_u, v) => (v == null ? '—' : formatSci(v)) },
        { label: 'clip', stroke: t.red, width: 2, dash: [6, 3], points: { show: false } },
      ],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 5 } },
      hooks: {
        setCursor: [(u) => readout(u, this.normReadout, (x, ys) => `step ${x.toLocaleString('en-US')}: ${fmtNorm(ys[0])}`)],
      },
    };
  }
}

function fmtNorm(v: number | null | undefined): string {
  return v == null ? '—' : formatSci(v);
}

/** Shows the values under the cursor beside a small chart's title (these charts have no legend). */
function readout(u: uPlot, el: HTMLElement, describe: (x: number, ys: (number | null | undefined)[]) => string): void {
  const i = u.cursor.idx;
  if (i == null) {
    setText(el, '');
    return;
  }
  const x = u.data[0][i];
  setText(el, describe(x, u.data.slice(1).map((series) => series[i])));
}
