/**
 * The loss chart: raw training loss (faint), its EMA-smoothed curve, validation loss, the "uniform
 * guess" (ln of the vocabulary size) and the unigram, bigram and trigram (add-one) baselines, and a second axis in perplexity or bits
 * per character. Tens of thousands of streamed points stay cheap: smoothing is incremental and only
 * about four points per pixel column are drawn (the min/max per column keeps the spikes).
 */
import type uPlot from 'uplot';
import { h, setAttrs, setText } from '../common/dom';
import { Plot, axisStyle } from '../common/plot';
import type { ChartTheme } from '../common/theme';
import { withAlpha } from '../lib/color';
import { alignSeries, drawIndices, pick } from '../lib/downsample';
import { formatCount, formatLoss } from '../lib/format';
import type { PanelPrefs } from '../lib/prefs';
import type { RunModel } from '../lib/runModel';
import { bitsPerChar, formatTick, perplexity, secondaryTicks } from '../lib/scale';
import { ChartToolbar, lossAxis, lossRange, stepAxis, stepScale } from './chartControls';
import { SmoothedSeries } from './smoothedSeries';

export class LossChart {
  readonly element: HTMLElement;
  private readonly chartBox: HTMLElement;
  private readonly placeholder: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly plot: Plot;
  private readonly smoothed = new SmoothedSeries();
  private readonly toolbar: ChartToolbar<'secondary'>;
  private model: RunModel | undefined;
  private zoomed = false;

  constructor(
    private theme: ChartTheme,
    private prefs: PanelPrefs,
    setPrefs: (change: Partial<PanelPrefs>) => void,
  ) {
    this.toolbar = new ChartToolbar('secondary', prefs, setPrefs);

    this.stats = h('div', { class: 'card-stats' });
    this.placeholder = h('div', { class: 'chart-placeholder', text: 'Waiting for the first training step…' });
    this.chartBox = h('div', {
      class: 'chart',
      attrs: { 'data-testid': 'loss-chart', 'data-points': 0, 'data-val-points': 0, role: 'img', 'aria-label': 'Loss chart: no data yet' },
    });
    this.plot = new Plot(this.chartBox, 300, (size) => this.options(size));
    this.chartBox.addEventListener('dblclick', () => {
      this.zoomed = false;
      this.render();
    });

    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'loss-title' } },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title', attrs: { id: 'loss-title' }, text: 'Loss' }), this.stats, this.toolbar.element),
      h('div', { class: 'chart-wrap' }, this.chartBox, this.placeholder),
    );
  }

  setModel(model: RunModel | undefined): void {
    this.model = model;
    this.zoomed = false;
    this.smoothed.reset();
    this.plot.clear();
    this.render();
  }

  setPrefsView(prefs: PanelPrefs): void {
    const axisChanged = prefs.xLog !== this.prefs.xLog || prefs.secondary !== this.prefs.secondary;
    this.prefs = prefs;
    this.toolbar.set(prefs);
    if (axisChanged) this.plot.rebuild();
    this.render();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.plot.rebuild();
  }

  /** Redraws from the model (called at most once a frame by the panel). */
  render(): void {
    const m = this.model;
    const n = m?.steps.length ?? 0;
    this.placeholder.hidden = n > 0 || (m?.evalSteps.length ?? 0) > 0;
    if (!m || (n === 0 && m.evalSteps.length === 0)) {
      setAttrs(this.chartBox, { 'data-points': 0, 'data-val-points': 0, 'data-drawn': 0 });
      setText(this.stats, '');
      return;
    }
    const smooth = this.smoothed.update(m.loss, this.prefs.smoothing, m.revision);
    const idx = drawIndices(m.steps, m.loss, this.plot.plotWidth, this.prefs.xLog);
    const xs = pick(m.steps, idx);
    const valStart = this.prefs.xLog ? m.evalSteps.findIndex((s) => s > 0) : 0;
    const evalX = valStart < 0 ? [] : m.evalSteps.slice(valStart);
    const evalY = valStart < 0 ? [] : m.valLoss.slice(valStart);
    const [x, raw, sm, val] = alignSeries([
      { x: xs, y: pick(m.loss, idx) },
      { x: xs, y: pick(smooth, idx) },
      { x: evalX, y: evalY },
    ]);
    const uniform = m.info ? x.map(() => m.info!.uniformLoss) : x.map(() => null);
    // The count-based baselines: flat lines at their validation losses (absent in older runs: no line).
    const flat = (v: number | undefined) => x.map(() => (v !== undefined && Number.isFinite(v) ? v : null));
    const [unigram, bigram, trigram] = [m.info?.unigramLoss, m.info?.bigramLoss, m.info?.trigramLoss].map(flat);
    // While the user has zoomed in (drag), new points must not reset the scales; double-click resets.
    this.plot.setData([x, raw, sm, val, uniform, unigram, bigram, trigram] as uPlot.AlignedData, !this.zoomed);
    setAttrs(this.chartBox, {
      'data-points': n,
      'data-val-points': m.evalSteps.length,
      'data-drawn': xs.length,
      'data-bigram': m.info?.bigramLoss?.toFixed(4) ?? '',
      'data-trigram': m.info?.trigramLoss?.toFixed(4) ?? '',
    });

    const lastSmooth = n ? smooth[n - 1] : undefined;
    const lastVal = m.valLoss.length ? m.valLoss[m.valLoss.length - 1] : undefined;
    const best = m.bestValLoss;
    const parts = [`train ${formatLoss(lastSmooth)}`];
    if (lastVal !== undefined) parts.push(`val ${formatLoss(lastVal)}`, `best ${formatLoss(best)}`);
    const ref = lastVal ?? lastSmooth;
    if (ref !== undefined) parts.push(this.prefs.secondary === 'perplexity' ? `ppl ${formatTick(perplexity(ref))}` : `${bitsPerChar(ref, this.charsPerToken()).toFixed(2)} bpc`);
    setText(this.stats, parts.join(' · '));
    this.chartBox.setAttribute(
      'aria-label',
      `Loss chart: ${formatCount(n)} training steps, smoothed training loss ${formatLoss(lastSmooth)} nats per token` +
        (lastVal !== undefined ? `, latest validation loss ${formatLoss(lastVal)}, best ${formatLoss(best)}` : '') +
        (m.info ? `; uniform guess ${formatLoss(m.info.uniformLoss)}, unigram baseline ${formatLoss(m.info.unigramLoss)}` : '') +
        (m.info?.bigramLoss !== undefined ? `, bigram ${formatLoss(m.info.bigramLoss)}, trigram ${formatLoss(m.info.trigramLoss)}` : ''),
    );
  }

  private charsPerToken(): number {
    return this.model?.info?.charsPerToken ?? 1;
  }

  private options(size: { width: number; height: number }): uPlot.Options {
    const t = this.theme;
    const mode = this.prefs.secondary;
    // Read at draw time: RunInfo (characters per token) may arrive after the chart is built.
    const cpt = () => this.charsPerToken();
    const fmt = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));
    const evalCount = this.model?.evalSteps.length ?? 0;
    return {
      ...size,
      scales: {
        x: stepScale(this.prefs.xLog),
        y: { range: lossRange },
      },
      axes: [
        stepAxis(t, this.prefs.xLog),
        lossAxis(t, 'loss (nats/token)'),
        {
          ...axisStyle(t),
          scale: 'y',
          side: 1,
          grid: { show: false },
          label: mode === 'perplexity' ? 'perplexity' : 'bits / char',
          labelSize: 18,
          size: 46,
          splits: (_u, _i, min, max) => secondaryTicks(min, max, mode, cpt()).positions,
          values: (_u, splits) => splits.map((v) => formatTick(mode === 'perplexity' ? perplexity(v) : bitsPerChar(v, cpt()))),
        },
      ],
      series: [
        { label: 'step', value: (_u, v) => (v == null ? '—' : formatCount(v)) },
        { label: 'train', stroke: withAlpha(t.blue, 0.28), width: 1, points: { show: false }, value: (_u, v) => fmt(v) },
        { label: `train (EMA ${this.prefs.smoothing.toFixed(2)})`, stroke: t.blue, width: 2, points: { show: false }, spanGaps: true, value: (_u, v) => fmt(v) },
        {
          label: 'validation',
          stroke: t.orange,
          width: 2,
          spanGaps: true,
          value: (_u, v) => fmt(v),
          points: { show: evalCount <= 150, size: 5, fill: t.orange, stroke: t.orange },
        },
        { label: 'uniform guess', stroke: t.muted, width: 1, dash: [6, 4], points: { show: false }, value: (_u, v) => fmt(v) },
        { label: 'unigram', stroke: t.purple, width: 1.25, dash: [2, 3], points: { show: false }, value: (_u, v) => fmt(v) },
        { label: 'bigram (add-one)', stroke: t.green, width: 1.25, dash: [8, 4], points: { show: false }, value: (_u, v) => fmt(v) },
        { label: 'trigram (add-one)', stroke: t.yellow, width: 1.25, dash: [8, 3, 2, 3], points: { show: false }, value: (_u, v) => fmt(v) },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      hooks: {
        setSelect: [
          () => {
            this.zoomed = true;
          },
        ],
        // With the pointer off the chart the legend reads the newest values instead of dashes.
        setCursor: [(u) => showLatestWhenIdle(u)],
        setData: [(u) => showLatestWhenIdle(u)],
      },
    };
  }
}

/**
 * With the cursor off the plot, points each legend entry at its series' newest value (validation
 * points are sparse, so "the last x" would often read as a dash).
 */
export function showLatestWhenIdle(u: uPlot): void {
  if (u.cursor.idx != null && u.cursor.left !== undefined && u.cursor.left >= 0) return;
  const n = u.data[0]?.length ?? 0;
  if (n === 0) return;
  const idxs = u.data.map((series, k) => {
    if (k === 0) return n - 1;
    for (let i = n - 1; i >= 0 && i >= n - 2000; i--) if (series[i] != null) return i;
    return null;
  });
  const current = u.legend.idxs;
  if (current && current.length === idxs.length && current.every((v, i) => v === idxs[i])) return;
  u.setLegend({ idxs });
}
