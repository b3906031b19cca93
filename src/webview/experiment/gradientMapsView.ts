/**
 * The gradient-through-time maps of every run side by side, each titled by its varied value, on one
 * colour scale (sharedScale.ts): the same colour is the same log10 norm in every map, so a vanilla
 * RNN's dark band reads against an LSTM's directly. Each run shows its top layer.
 */
import type { ExperimentView } from '../../protocol/experimentPanel';
import { h, replaceChildren, setText } from '../common/dom';
import type { ChartTheme } from '../common/theme';
import { formatSci } from '../lib/format';
import { quantityText } from '../lib/gradQuantity';
import { Heatmap } from '../panel/heatmap';
import { gridsOnSharedScale, sharedQuantity } from './sharedScale';

export class GradientMapsView {
  readonly element: HTMLElement;
  private readonly grid = h('div', { class: 'exp-maps', attrs: { 'data-testid': 'experiment-maps' } });
  private readonly note = h('p', { class: 'card-note', attrs: { id: 'exp-maps-note', 'data-testid': 'experiment-maps-scale' } });
  private maps: { key: string; heatmap: Heatmap; title: HTMLElement; box: HTMLElement }[] = [];

  constructor(private theme: ChartTheme) {
    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'maps-title' } },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title', attrs: { id: 'maps-title' }, text: 'Gradient through time, one colour scale' })),
      this.note,
      this.grid,
    );
  }

  setView(view: ExperimentView): void {
    const key = view.runs.map((r) => r.series.id).join('\u0000');
    if (key !== this.maps.map((m) => m.key).join('\u0000')) this.rebuild(view);
    const quantity = sharedQuantity(view.runs.map((r) => r.gradMaps));
    const grids = gridsOnSharedScale(
      view.runs.map((r) => r.gradMaps),
      quantity,
    );
    view.runs.forEach((run, i) => {
      const windowCell = run.cell === 'window';
      const text = quantityText(quantity, windowCell);
      const rows = grids[i].rows;
      const m = this.maps[i];
      setText(m.title, `${run.label}${run.gradMaps.length ? '' : ` (no gradient map yet: ${run.state})`}`);
      m.box.dataset.columns = String(grids[i].cols);
      m.box.dataset.min = String(grids[i].min);
      m.box.dataset.max = String(grids[i].max);
      m.heatmap.setGrid(
        grids[i],
        windowCell
          ? { rowAxis: 'context position (0 = oldest)', rowName: (k) => `position ${k} of ${rows}`, quantity: text.symbol, quantityName: text.name }
          : { rowAxis: 'time step t', rowName: (t) => `t = ${t}`, quantity: text.symbol, quantityName: text.name },
      );
    });
    const drawn = grids.filter((g) => g.cols > 0);
    setText(
      this.note,
      drawn.length
        ? `${quantityText(quantity, false).name} Colour: log10 of the norm, ${formatSci(Math.pow(10, drawn[0].min))} to ${formatSci(Math.pow(10, drawn[0].max))} in every map (each run's newest maps, top layer).`
        : 'No run has recorded a gradient map yet (gradMapInterval).',
    );
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    for (const m of this.maps) m.heatmap.setTheme(theme);
  }

  private rebuild(view: ExperimentView): void {
    for (const m of this.maps) m.heatmap.dispose();
    this.maps = view.runs.map((run) => {
      const heatmap = new Heatmap(this.theme, 'exp-maps-note');
      const title = h('h3', { class: 'mini-title' });
      const box = h('div', { class: 'exp-map', attrs: { 'data-testid': 'experiment-map' } }, title, heatmap.element);
      return { key: run.series.id, heatmap, title, box };
    });
    replaceChildren(this.grid, ...this.maps.map((m) => m.box));
  }
}
