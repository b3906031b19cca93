/**
 * Compare mode: the smoothed training curves and validation curves of several runs overlaid, one
 * colour per run, in nats per token or (for runs with different tokenizations) bits per character.
 */
import type uPlot from 'uplot';
import type { CompareSeries } from '../../protocol/panel';
import { h, replaceChildren, setAttrs, setText } from '../common/dom';
import { Plot } from '../common/plot';
import type { ChartTheme } from '../common/theme';
import { alignSeries, drawIndices, pick } from '../lib/downsample';
import { formatCount, formatLoss } from '../lib/format';
import type { PanelPrefs } from '../lib/prefs';
import { bitsPerChar } from '../lib/scale';
import { emaSmooth } from '../lib/smoothing';
import { ChartToolbar, lossAxis, lossRange, stepAxis, stepScale } from './chartControls';

export class CompareView {
  readonly element: HTMLElement;
  private readonly chartBox: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly readoutEl: HTMLElement;
  private readonly plot: Plot;
  private readonly toolbar: ChartToolbar<'compareUnit'>;
  private runs: readonly CompareSeries[] = [];
  private zoomed = false;

  constructor(
    private theme: ChartTheme,
    private prefs: PanelPrefs,
    setPrefs: (change: Partial<PanelPrefs>) => void,
  ) {
    this.toolbar = new ChartToolbar('compareUnit', prefs, setPrefs);
    this.chartBox = h('div', { class: 'chart', attrs: { 'data-testid': 'compare-chart', 'data-series': 0, role: 'img', 'aria-label': 'Comparison chart' } });
    this.plot = new Plot(this.chartBox, 360, (size) => this.options(size));
    this.chartBox.addEventListener('dblclick', () => {
      this.zoomed = false;
      this.render();
    });
    this.legend = h('table', { class: 'compare-legend' });
    this.readoutEl = h('p', { class: 'card-note compare-readout' });
    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'compare-title' } },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title', attrs: { id: 'compare-title' }, text: 'Compare runs' }), this.toolbar.element),
      h('p', { class: 'card-note', text: 'Solid: smoothed training loss. Dashed with dots: validation loss.' }),
      this.chartBox,
      this.readoutEl,
      this.legend,
    );
  }

  /** The host re-sends the comparison while runs train: same runs, same chart (and zoom), new data. */
  setRuns(runs: readonly CompareSeries[]): void {
    const same = runs.length === this.runs.length && runs.every((r, i) => r.id === this.runs[i].id && r.label === this.runs[i].label);
    this.runs = runs;
    if (!same) {
      this.plot.clear();
      this.zoomed = false;
    }
    this.render();
  }

  setPrefsView(prefs: PanelPrefs): void {
    const rebuild = prefs.xLog !== this.prefs.xLog || prefs.compareUnit !== this.prefs.compareUnit;
    this.prefs = prefs;
    this.toolbar.set(prefs);
    if (rebuild) this.plot.clear();
    this.render();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.plot.rebuild();
    this.render();
  }

  render(): void {
    const runs = this.runs;
    setAttrs(this.chartBox, { 'data-series': runs.length });
    const convert = (run: CompareSeries) => {
      const cpt = run.info?.charsPerToken ?? 1;
      return this.prefs.compareUnit === 'bpc' ? (v: number) => bitsPerChar(v, cpt) : (v: number) => v;
    };
    const series: { x: number[]; y: number[] }[] = [];
    const rows: { best: number | undefined; last: number | undefined; steps: number }[] = [];
    for (const run of runs) {
      const f = convert(run);
      const steps = run.metrics.map((p) => p.step);
      const smooth = emaSmooth(
        run.metrics.map((p) => f(p.loss)),
        this.prefs.smoothing,
      );
      const idx = drawIndices(steps, smooth, this.plot.plotWidth, this.prefs.xLog);
      series.push({ x: pick(steps, idx), y: pick(smooth, idx) });
      const evals = run.evals.filter((e) => !this.prefs.xLog || e.step > 0);
      series.push({ x: evals.map((e) => e.step), y: evals.map((e) => f(e.valLoss)) });
      const vals = run.evals.map((e) => f(e.valLoss)).filter(Number.isFinite);
      rows.push({
        best: vals.length ? Math.min(...vals) : undefined,
        last: smooth.length ? smooth[smooth.length - 1] : undefined,
        steps: steps.length ? steps[steps.length - 1] : 0,
      });
    }
    if (runs.length) this.plot.setData(alignSeries(series) as uPlot.AlignedData, !this.zoomed);
    else this.plot.clear();

    const unit = this.prefs.compareUnit === 'bpc' ? 'bits/char' : 'nats/token';
    replaceChildren(
      this.legend,
      h('thead', {}, h('tr', {}, h('th', { text: 'Run' }), h('th', { text: 'Steps' }), h('th', { text: `Train (${unit})` }), h('th', { text: `Best val (${unit})` }))),
      h(
        'tbody',
        {},
        ...runs.map((run, i) =>
          h(
            'tr',
            {},
            h('td', {}, this.swatch(i), run.label),
            h('td', { text: formatCount(rows[i].steps) }),
            h('td', { text: formatLoss(rows[i].last) }),
            h('td', { text: formatLoss(rows[i].best) }),
          ),
        ),
      ),
    );
    this.chartBox.setAttribute(
      'aria-label',
      `Comparison of ${runs.length} runs: ` + runs.map((r, i) => `${r.label}, best validation ${formatLoss(rows[i].best)} ${unit}`).join('; '),
    );
  }

  /** The legend's sample of run `i`'s line, in the chart's colour (set through the CSSOM, which the CSP allows). */
  private swatch(i: number): HTMLElement {
    const el = h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } });
    el.style.background = this.seriesColor(i);
    return el;
  }

  private seriesColor(i: number): string {
    return this.theme.palette[i % this.theme.palette.length];
  }

  private options(size: { width: number; height: number }): uPlot.Options {
    const t = this.theme;
    const unit = this.prefs.compareUnit === 'bpc' ? 'bits / char' : 'loss (nats/token)';
    const fmt = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(3));
    const series: uPlot.Series[] = [{ label: 'step', value: (_u, v) => (v == null ? '—' : formatCount(v)) }];
    this.runs.forEach((run, i) => {
      const color = this.seriesColor(i);
      series.push({ label: `${run.label} train`, stroke: color, width: 2, spanGaps: true, points: { show: false }, value: (_u, v) => fmt(v) });
      series.push({
        label: `${run.label} val`,
        stroke: color,
        width: 1.5,
        dash: [5, 4],
        spanGaps: true,
        value: (_u, v) => fmt(v),
        points: { show: run.evals.length <= 150, size: 5, fill: color, stroke: color },
      });
    });
    return {
      ...size,
      scales: {
        x: stepScale(this.prefs.xLog),
        y: { range: lossRange },
      },
      axes: [stepAxis(t, this.prefs.xLog), lossAxis(t, unit)],
      series,
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      hooks: {
        setCursor: [(u) => this.readout(u)],
        setSelect: [
          () => {
            this.zoomed = true;
          },
        ],
      },
    };
  }

  /** The values under the cursor, one entry per run (uPlot's own legend would list two rows a run). */
  private readout(u: uPlot): void {
    const i = u.cursor.idx;
    if (i == null) {
      setText(this.readoutEl, '');
      return;
    }
    const fmt = (v: number | null | undefined) => (v == null ? '—' : v.toFixed(3));
    const parts = this.runs.map((run, k) => {
      const train = nearest(u.data[1 + 2 * k], i, 40);
      const val = u.data[2 + 2 * k]?.[i];
      return `${run.label}: ${fmt(train)}${val != null ? ` (val ${fmt(val)})` : ''}`;
    });
    setText(this.readoutEl, `step ${u.data[0][i].toLocaleString('en-US')} · ${parts.join(' · ')}`);
  }
}

/** The value at `i`, or the closest non-null one within `reach` (runs are drawn at different steps). */
function nearest(ys: uPlot.AlignedData[number] | undefined, i: number, reach: number): number | null | undefined {
  if (!ys) return undefined;
  for (let d = 0; d <= reach; d++) {
    const a = ys[i - d];
    if (a != null) return a as number;
    const b = ys[i + d];
    if (b != null) return b as number;
  }
  return null;
}
