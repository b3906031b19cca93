/**
 * The "Gradients through time" card: the heatmap, a choice of quantity (the last prediction's
 * gradient ||dℓ_T/dh_t||, the default, or the whole window's ||dL/dh_t||), a layer choice when the
 * model has several, the newest profile (the norm against t, log scale) with the first one for
 * comparison, and the global gradient norm per step against the clipping threshold.
 */
import type uPlot from 'uplot';
import { h, replaceChildren, setText } from '../common/dom';
import { Plot, axisStyle } from '../common/plot';
import { Segmented } from '../common/segmented';
import type { ChartTheme } from '../common/theme';
import { withAlpha } from '../lib/color';
import { drawIndices, pick } from '../lib/downsample';
import { formatCount, formatSci } from '../lib/format';
import { chooseQuantity, newestWith, oldestWith, quantityText, type GradQuantity } from '../lib/gradQuantity';
import { gradSummary } from '../lib/gradSummary';
import { decadeTicks } from '../lib/scale';
import { heatmapGrid, layerCount, layerNorms, type HeatmapGrid } from '../lib/heatmapModel';
import type { PanelPrefs } from '../lib/prefs';
import type { RunModel } from '../lib/runModel';
import { Heatmap, type HeatmapLabels } from './heatmap';

const SIDE_CHART_HEIGHT = 150;
/** Fraction of recent steps whose gradient was clipped, over this many steps. */
const CLIP_WINDOW = 200;

export class GradientView {
  readonly element: HTMLElement;
  private readonly heatmap: Heatmap;
  private readonly caption: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly layerSlot: HTMLElement;
  private readonly quantityToggle: Segmented<GradQuantity>;
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
  private gridCache: { maps: number; layer: number; quantity: GradQuantity; revision: unknown; grid: HeatmapGrid } | undefined;

  constructor(
    private theme: ChartTheme,
    private prefs: PanelPrefs,
    private readonly setPrefs: (change: Partial<PanelPrefs>) => void,
  ) {
    this.caption = h('p', { class: 'card-note grad-caption', attrs: { id: 'grad-caption' } });
    this.heatmap = new Heatmap(theme, 'grad-caption');
    // Not a live region: it changes with every gradient map, which would be a stream of announcements.
    this.summary = h('p', { class: 'card-note grad-summary' });
    this.layerSlot = h('div', { class: 'toolbar-slot' });
    const option = (q: GradQuantity) => ({ value: q, label: quantityText(q, false).option, title: quantityText(q, false).optionTitle });
    this.quantityToggle = new Segmented<GradQuantity>('Gradient of', [option('last'), option('total')], prefs.gradQuantity, (gradQuantity) => this.setPrefs({ gradQuantity }));
    this.quantityToggle.element.dataset.testid = 'grad-quantity';
    this.profileTitle = h('h3', { class: 'mini-title', text: 'Latest profile' });
    this.normTitle = h('h3', { class: 'mini-title', text: 'Global gradient norm' });
    this.profileReadout = h('span', { class: 'mini-readout' });
    this.normReadout = h('span', { class: 'mini-readout' });
    this.profileBox = h('div', { class: 'chart small', attrs: { role: 'img', 'aria-label': 'Gradient norm against time step, newest map' } });
    this.normBox = h('div', { class: 'chart small', attrs: { role: 'img', 'aria-label': 'Global gradient norm per step' } });
    this.profilePlot = new Plot(this.profileBox, SIDE_CHART_HEIGHT, (size) => this.profileOptions(size));
    this.normPlot = new Plot(this.normBox, SIDE_CHART_HEIGHT, (size) => this.normOptions(size));

    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'grad-title' } },
      h(
        'header',
        { class: 'card-head' },
        h('h2', { class: 'card-title', attrs: { id: 'grad-title' }, text: 'Gradients through time' }),
        h(
          'div',
          { class: 'toolbar' },
          // The radio group carries the same name for screen readers: the visible one is not read twice.
          h('span', { class: 'tool' }, h('span', { class: 'tool-label', text: 'Gradient of', attrs: { 'aria-hidden': 'true' } }), this.quantityToggle.element),
          this.layerSlot,
        ),
      ),
      this.caption,
      this.summary,
      h(
        'div',
        { class: 'grad-grid' },
        h('div', { class: 'grad-main' }, this.heatmap.element),
        h(
          'div',
          { class: 'grad-side' },
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
    const quantity = this.renderQuantityToggle(m, windowCell);
    this.renderLayerToggle(windowCell ? 1 : layerCount(m.gradMaps));
    const layer = Math.min(this.prefs.layer, Math.max(0, this.layers - 1));
    const grid = this.grid(m, layer, quantity);
    const text = quantityText(quantity, windowCell);
    const labels: HeatmapLabels = windowCell
      ? { rowAxis: 'context position (0 = oldest)', rowName: (k) => `position ${k} of ${grid.rows} (x₍ₜ₋${grid.rows - k}₎)`, quantity: text.symbol, quantityName: text.name }
      : { rowAxis: 'time step t', rowName: (t) => `t = ${t}`, quantity: text.symbol, quantityName: text.name };
    this.heatmap.setGrid(grid, labels);
    this.heatmap.element.dataset.quantity = quantity;
    setText(this.caption, text.caption);
    setText(this.summary, gradSummary(grid, quantity, windowCell, m.config.gradMapInterval));
    this.renderProfile(m, layer, windowCell, quantity);
    this.renderNorm(m);
  }

  // ---------------------------------------------------------------- parts

  private grid(m: RunModel, layer: number, quantity: GradQuantity): HeatmapGrid {
    // Maps only ever get appended (or cut and re-appended): the last map identifies the state.
    const lastMap = m.gradMaps[m.gradMaps.length - 1];
    const c = this.gridCache;
    if (c && c.maps === m.gradMaps.length && c.layer === layer && c.quantity === quantity && c.revision === lastMap) return c.grid;
    const grid = heatmapGrid(m.gradMaps, layer, quantity);
    this.gridCache = { maps: m.gradMaps.length, layer, quantity, revision: lastMap, grid };
    return grid;
  }

  /**
   * Shows the preferred quantity when the run's maps carry it, else the other one, with the missing
   * one marked unavailable (maps of older runs hold only the whole window's gradient). Returns the
   * quantity shown. The preference itself is left alone: the next run may have both.
   */
  private renderQuantityToggle(m: RunModel, windowCell: boolean): GradQuantity {
    const choice = chooseQuantity(m.gradMaps, this.prefs.gradQuantity);
    for (const q of ['last', 'total'] as const) {
      this.quantityToggle.setUnavailable(q, choice.available[q] ? undefined : quantityText(q, windowCell).unavailableTitle);
    }
    this.quantityToggle.set(choice.shown);
    return choice.shown;
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

  private renderProfile(m: RunModel, layer: number, windowCell: boolean, quantity: GradQuantity): void {
    const text = quantityText(quantity, windowCell);
    const newestMap = newestWith(m.gradMaps, quantity);
    const firstMap = oldestWith(m.gradMaps, quantity);
    if (!newestMap || !firstMap) {
      this.profilePlot.clear();
      setText(this.profileTitle, `${text.symbol}${windowCell ? ' by context position' : ''}: no gradient map yet`);
      return;
    }
    // layerNorms: real arrays only, capped in length (a crafted map cannot make this allocate).
    const latest = layerNorms(newestMap, quantity, layer);
    const hasFirst = firstMap !== newestMap;
    const first = hasFirst ? layerNorms(firstMap, quantity, layer) : [];
    const n = Math.max(latest.length, first.length);
    const xs = Array.from({ length: n }, (_, t) => t);
    const positive = (v: number | undefined) => (v !== undefined && v > 0 && Number.isFinite(v) ? v : null);
    setText(this.profileTitle, `${text.symbol} at step ${formatCount(newestMap.step)}` + (hasFirst ? ` (dashed: step ${formatCount(firstMap.step)})` : ''));
    this.profileBox.setAttribute(
      'aria-label',
      `${text.name} (${text.symbol}) ${windowCell ? 'by context position' : 'against time step t'} at step ${newestMap.step}: ` +
        `${formatSci(latest[0] ?? NaN)} at the start, ${formatSci(latest[latest.length - 1] ?? NaN)} at the end`,
    );
    this.profilePlot.setData([xs, xs.map((t) => positive(latest[t])), xs.map((t) => (hasFirst ? positive(first[t]) : null))] as uPlot.AlignedData);
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
        // The last prediction's profile can span a dozen decades: a few decade lines, not one per
        // multiple, all labelled (uPlot's own filter thins labels by the space of one decade).
        {
          ...axisStyle(t),
          size: 50,
          splits: (_u, _axis, min, max) => decadeTicks(min, max, 5),
          filter: (_u, splits) => splits,
          values: (_u, splits) => splits.map((v) => (v == null ? '' : formatSci(v))),
        },
      ],
      series: [
        { label: windowCell ? 'position' : 't' },
        { label: 'newest', stroke: t.blue, width: 2, points: { show: false }, value: (_u, v) => (v == null ? '—' : formatSci(v)) },
        { label: 'first', stroke: withAlpha(t.foreground, 0.45), width: 1, dash: [4, 3], points: { show: false }, value: (_u, v) => (v == null ? '—' : formatSci(v)) },
      ],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 5 } },
      hooks: {
        setCursor: [
          (u) => readout(u, this.profileReadout, (x, ys) => `${windowCell ? 'position' : 't ='} ${x}: ${fmtNorm(ys[0])}` + (ys[1] != null ? ` (first ${fmtNorm(ys[1])})` : '')),
        ],
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
  setText(
    el,
    describe(
      x,
      u.data.slice(1).map((series) => series[i]),
    ),
  );
}
