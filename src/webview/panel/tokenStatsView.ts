/**
 * The "Tokens" card: the training text's most frequent tokens, and Zipf's law on log-log axes (count
 * against rank) with its fitted line n_i = e^b i^-α and the exponent α. Characters bend away from a
 * straight line; words follow it past the first few ranks, which the fit leaves out.
 */
import type uPlot from 'uplot';
import type { TokenStatsInfo } from '../../protocol/types';
import { h, replaceChildren, setAttrs, setText } from '../common/dom';
import { Plot, axisStyle } from '../common/plot';
import type { ChartTheme } from '../common/theme';
import { formatCount } from '../lib/format';
import type { RunModel } from '../lib/runModel';
import { visibleToken, zipfLine } from './tokenStatsModel';

const HEIGHT = 220;

export class TokenStatsView {
  readonly element: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly table: HTMLTableSectionElement;
  private readonly plotBox: HTMLElement;
  private readonly plot: Plot;
  private stats: TokenStatsInfo | undefined;
  private model: RunModel | undefined;

  constructor(private theme: ChartTheme) {
    this.summary = h('p', { class: 'card-note', attrs: { 'data-testid': 'zipf-summary' } });
    this.table = h('tbody');
    this.plotBox = h('div', { class: 'chart', attrs: { 'data-testid': 'zipf-plot', role: 'img', 'aria-label': 'Token count against rank, log-log' } });
    this.plot = new Plot(this.plotBox, HEIGHT, (size) => this.options(size));
    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'tokens-title', 'data-testid': 'token-stats' } },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title', attrs: { id: 'tokens-title' }, text: 'Tokens' })),
      this.summary,
      h(
        'div',
        { class: 'token-grid' },
        h(
          'table',
          { class: 'token-table', attrs: { 'aria-label': 'Most frequent tokens' } },
          h('thead', {}, h('tr', {}, h('th', { text: '#' }), h('th', { text: 'token' }), h('th', { text: 'count' }), h('th', { text: 'share' }))),
          this.table,
        ),
        this.plotBox,
      ),
    );
    this.element.hidden = true;
  }

  setModel(model: RunModel | undefined): void {
    this.model = model;
    this.stats = undefined;
    this.plot.clear();
    this.render();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.plot.rebuild();
  }

  render(): void {
    const stats = this.model?.info?.tokenStats;
    this.element.hidden = !stats;
    if (!stats || stats === this.stats) return;
    this.stats = stats;
    const [first, last] = stats.fitRanks;
    setAttrs(this.element, { 'data-zipf': Number.isFinite(stats.zipfExponent) ? stats.zipfExponent.toFixed(3) : '' });
    setText(
      this.summary,
      `${formatCount(stats.total)} training tokens, ${formatCount(stats.distinct)} distinct. ` +
        (Number.isFinite(stats.zipfExponent)
          ? `Zipf's law n_i ∝ i^-α, fitted on log-log axes over ranks ${first} to ${last}: α = ${stats.zipfExponent.toFixed(2)}.`
          : 'Too few distinct tokens to fit Zipf’s law.'),
    );
    replaceChildren(
      this.table,
      ...stats.top.map((t, i) =>
        h(
          'tr',
          {},
          h('td', { text: String(i + 1) }),
          h('td', { text: visibleToken(t.token) }),
          h('td', { text: formatCount(t.count) }),
          h('td', { text: `${((100 * t.count) / Math.max(1, stats.total)).toFixed(1)}%` }),
        ),
      ),
    );
    this.plot.setData([stats.curve.map(([r]) => r), stats.curve.map(([, c]) => c), zipfLine(stats)] as uPlot.AlignedData);
  }

  private options(size: { width: number; height: number }): uPlot.Options {
    const t = this.theme;
    const alpha = this.stats?.zipfExponent;
    return {
      ...size,
      scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
      axes: [
        { ...axisStyle(t), label: 'rank', labelSize: 14 },
        { ...axisStyle(t), label: 'count', labelSize: 14, size: 50 },
      ],
      series: [
        { label: 'rank' },
        { label: 'count', stroke: t.blue, paths: () => null, points: { show: true, size: 4, fill: t.blue, stroke: t.blue } },
        { label: alpha !== undefined && Number.isFinite(alpha) ? `fit, α = ${alpha.toFixed(2)}` : 'fit', stroke: t.orange, width: 1.5, dash: [6, 3], points: { show: false } },
      ],
      legend: { show: true, live: true },
    };
  }
}
