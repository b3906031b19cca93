/**
 * The "Readouts" card: the chapter's arguments as numbers over training, from the readouts recorded
 * with each gradient map. Three small charts: the memory horizon (per layer; for an LSTM on the state
 * (h, c), and dashed on h alone), the spectral radius and largest singular value of each gate block of
 * the last layer's recurrent matrix U (with the line at 1, where powers of U neither shrink nor grow),
 * and the clip rate between maps.
 */
import type uPlot from 'uplot';
import { h, setAttrs, setText } from '../common/dom';
import { Plot, axisStyle } from '../common/plot';
import type { ChartTheme } from '../common/theme';
import { formatCount } from '../lib/format';
import type { RunModel } from '../lib/runModel';
import { readoutSeries, type ReadoutSeries } from './readoutSeries';

const HEIGHT = 140;
const GATE_TITLES: Readonly<Record<string, string>> = {
  h: 'U',
  i: 'U_i (input gate)',
  f: 'U_f (forget gate)',
  g: 'U_g (candidate)',
  o: 'U_o (output gate)',
  z: 'U_z (update gate)',
  r: 'U_r (reset gate)',
  n: 'U_n (candidate)',
};

export class ReadoutsView {
  readonly element: HTMLElement;
  private readonly note: HTMLElement;
  private readonly horizonBox: HTMLElement;
  private readonly spectrumBox: HTMLElement;
  private readonly clipBox: HTMLElement;
  private readonly horizonPlot: Plot;
  private readonly spectrumPlot: Plot;
  private readonly clipPlot: Plot;
  private series: ReadoutSeries | undefined;
  private model: RunModel | undefined;
  /** The shape the charts were built for (series count changes rebuild them). */
  private shape = '';

  constructor(private theme: ChartTheme) {
    this.note = h('p', { class: 'card-note' });
    const box = (testid: string, label: string) => h('div', { class: 'chart small', attrs: { 'data-testid': testid, role: 'img', 'aria-label': label } });
    this.horizonBox = box('readout-horizon', 'Memory horizon over training');
    this.spectrumBox = box('readout-spectrum', 'Spectral radius and largest singular value of the recurrent matrix over training');
    this.clipBox = box('readout-clip', 'Clip rate over training');
    this.horizonPlot = new Plot(this.horizonBox, HEIGHT, (size) => this.horizonOptions(size));
    this.spectrumPlot = new Plot(this.spectrumBox, HEIGHT, (size) => this.spectrumOptions(size));
    this.clipPlot = new Plot(this.clipBox, HEIGHT, (size) => this.clipOptions(size));
    const mini = (title: string, el: HTMLElement) => h('div', { class: 'mini' }, h('div', { class: 'mini-head' }, h('h3', { class: 'mini-title', text: title })), el);
    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'readouts-title', 'data-testid': 'readouts' } },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title', attrs: { id: 'readouts-title' }, text: 'Readouts' })),
      this.note,
      h(
        'div',
        { class: 'readout-grid' },
        mini('Memory horizon (steps back)', this.horizonBox),
        mini('Recurrent matrix of the last layer', this.spectrumBox),
        mini('Clip rate', this.clipBox),
      ),
    );
  }

  setModel(model: RunModel | undefined): void {
    this.model = model;
    this.shape = '';
    for (const p of [this.horizonPlot, this.spectrumPlot, this.clipPlot]) p.clear();
    this.render();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    for (const p of [this.horizonPlot, this.spectrumPlot, this.clipPlot]) p.rebuild();
  }

  render(): void {
    const s = (this.series = readoutSeries(this.model?.gradMaps ?? []));
    const n = s.steps.length;
    this.element.hidden = !this.model;
    setAttrs(this.element, { 'data-points': n, 'data-gates': s.gates.join(',') });
    if (n === 0) {
      setText(
        this.note,
        this.model?.config.gradMapInterval
          ? 'Recorded with each gradient map; waiting for the first.'
          : 'Readouts are recorded with the gradient maps, which this run does not record.',
      );
      return;
    }
    const cell = this.model?.config.cell;
    setText(
      this.note,
      `Every ${formatCount(this.model?.config.gradMapInterval ?? 0)} steps. Memory horizon: how many steps back the last prediction's gradient stays above 1e-3 of its value at the last step` +
        (s.horizonH ? ', with respect to the state (h_t, c_t) (dashed: h_t alone)' : '') +
        (s.gates.length ? `. ρ: spectral radius, σ: largest singular value of each gate block of U (${cell?.toUpperCase()}); above 1, powers of U grow` : '') +
        '. Clip rate: the fraction of steps since the previous map whose gradient was clipped.',
    );
    const shape = `${s.horizon.length}/${s.horizonH ? 1 : 0}/${s.gates.join('')}`;
    const rebuild = shape !== this.shape;
    this.shape = shape;
    const x = s.steps;
    const horizonData = [x, ...s.horizon, ...(s.horizonH ?? [])];
    const spectrumData = [x, ...s.spectralRadius, ...s.sigmaMax, x.map(() => 1)];
    const set = (p: Plot, data: unknown[]) => {
      if (rebuild) p.clear();
      p.setData(data as uPlot.AlignedData);
    };
    set(this.horizonPlot, horizonData);
    if (s.gates.length) set(this.spectrumPlot, spectrumData);
    this.spectrumBox.parentElement!.hidden = !s.gates.length;
    set(this.clipPlot, [x, s.clipRate]);
  }

  private base(size: { width: number; height: number }, yLabel: string): Pick<uPlot.Options, 'width' | 'height' | 'axes' | 'legend' | 'cursor'> {
    const t = this.theme;
    return {
      ...size,
      axes: [
        { ...axisStyle(t), size: 28 },
        { ...axisStyle(t), label: yLabel, labelSize: 14, size: 44 },
      ],
      legend: { show: true, live: true },
      cursor: { points: { size: 5 } },
    };
  }

  private horizonOptions(size: { width: number; height: number }): uPlot.Options {
    const s = this.series;
    const p = this.theme.palette;
    const layers = s?.horizon.length ?? 1;
    const name = (l: number) => (layers > 1 ? `layer ${l + 1}` : 'horizon');
    return {
      ...this.base(size, 'steps'),
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [
        { label: 'step' },
        ...Array.from({ length: layers }, (_, l) => ({ label: s?.horizonH ? `${name(l)} (h, c)` : name(l), stroke: p[l % p.length], width: 2, points: { show: false } })),
        ...(s?.horizonH ?? []).map((_, l) => ({ label: `${name(l)} (h only)`, stroke: p[l % p.length], width: 1, dash: [4, 3], points: { show: false } })),
      ],
    };
  }

  private spectrumOptions(size: { width: number; height: number }): uPlot.Options {
    const s = this.series;
    const p = this.theme.palette;
    const gates = s?.gates ?? [];
    const title = (g: string) => (gates.length > 1 ? `U_${g}` : 'U');
    return {
      ...this.base(size, 'ρ, σ'),
      scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1.2, max * 1.05)] } },
      series: [
        { label: 'step' },
        ...gates.map((g, k) => ({ label: `ρ ${title(g)}`, stroke: p[k % p.length], width: 2, spanGaps: true, points: { show: false }, value: fmt3 })),
        ...gates.map((g, k) => ({ label: `σ ${title(g)}`, stroke: p[k % p.length], width: 1, dash: [4, 3], spanGaps: true, points: { show: false }, value: fmt3 })),
        { label: '1', stroke: this.theme.muted, width: 1, dash: [2, 3], points: { show: false } },
      ],
    };
  }

  private clipOptions(size: { width: number; height: number }): uPlot.Options {
    return {
      ...this.base(size, 'fraction'),
      scales: { x: { time: false }, y: { range: [0, 1] } },
      series: [{ label: 'step' }, { label: 'clipped', stroke: this.theme.red, width: 2, points: { show: false }, value: fmt3 }],
    };
  }
}

const fmt3 = (_u: uPlot, v: number | null) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));

/** A gate block's title for tooltips and the header: "U_f (forget gate)". */
export function gateTitle(gate: string): string {
  return GATE_TITLES[gate] ?? `U_${gate}`;
}
