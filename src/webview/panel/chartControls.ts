/**
 * What the loss chart and the comparison share: their toolbar (the smoothing slider, a loss-unit
 * toggle, the step-axis toggle) and the uPlot pieces those controls act on (the step scale and axis,
 * the loss axis and its range).
 */
import type uPlot from 'uplot';
import { h, setText } from '../common/dom';
import { axisStyle } from '../common/plot';
import { Segmented, type SegmentOption } from '../common/segmented';
import type { ChartTheme } from '../common/theme';
import { formatCount } from '../lib/format';
import { MAX_SMOOTHING, type PanelPrefs } from '../lib/prefs';
import { formatTick } from '../lib/scale';

type SetPrefs = (change: Partial<PanelPrefs>) => void;

// ---------------------------------------------------------------- controls

/** "Smoothing [slider] 0.90": the EMA weight of the training curves. */
class SmoothingControl {
  readonly element: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly value: HTMLElement;

  constructor(initial: number, setPrefs: SetPrefs) {
    this.slider = h('input', {
      class: 'slider',
      attrs: { type: 'range', min: 0, max: MAX_SMOOTHING, step: 0.01, value: initial, 'aria-label': 'Smoothing of the training loss (EMA weight)' },
    });
    this.value = h('span', { class: 'slider-value', text: initial.toFixed(2) });
    this.slider.addEventListener('input', () => {
      const smoothing = Math.min(MAX_SMOOTHING, Math.max(0, Number(this.slider.value)));
      setText(this.value, smoothing.toFixed(2));
      setPrefs({ smoothing });
    });
    this.element = h('label', { class: 'tool' }, h('span', { class: 'tool-label', text: 'Smoothing' }), this.slider, this.value);
  }

  set(smoothing: number): void {
    if (Number(this.slider.value) !== smoothing) this.slider.value = String(smoothing);
    setText(this.value, smoothing.toFixed(2));
  }
}

/** Linear or logarithmic step axis. */
function stepAxisToggle(xLog: boolean, setPrefs: SetPrefs): Segmented<'linear' | 'log'> {
  return new Segmented<'linear' | 'log'>(
    'Step axis',
    [
      { value: 'linear', label: 'Linear', title: 'Linear step axis' },
      { value: 'log', label: 'Log', title: 'Logarithmic step axis (early training spread out)' },
    ],
    xLog ? 'log' : 'linear',
    (mode) => setPrefs({ xLog: mode === 'log' }),
  );
}

/** The preference a chart's unit toggle sets: the loss chart's second axis, or the comparison's unit. */
export type UnitPref = 'secondary' | 'compareUnit';

/** The unit toggles: the loss chart's right axis, and the unit the comparison draws every run in. */
export const UNIT_TOGGLES: { readonly [K in UnitPref]: { readonly label: string; readonly options: readonly SegmentOption<PanelPrefs[K]>[] } } = {
  secondary: {
    label: 'Second axis',
    options: [
      { value: 'perplexity', label: 'Perplexity', title: 'Right axis: perplexity, exp(loss)' },
      { value: 'bpc', label: 'Bits/char', title: 'Right axis: bits per character, loss / ln 2 / characters per token' },
    ],
  },
  compareUnit: {
    label: 'Loss unit',
    options: [
      { value: 'nats', label: 'Nats/token', title: 'Cross-entropy per token (comparable between runs with the same tokenization)' },
      { value: 'bpc', label: 'Bits/char', title: 'Bits per character: comparable between character- and word-level runs' },
    ],
  },
};

/**
 * A loss chart's toolbar: smoothing, the unit toggle for `unit`, the step axis. `set` follows the
 * preferences when they change elsewhere (the other view, or a restored state).
 */
export class ChartToolbar<K extends UnitPref> {
  readonly element: HTMLElement;
  private readonly smoothing: SmoothingControl;
  private readonly unitToggle: Segmented<PanelPrefs[K]>;
  private readonly xMode: Segmented<'linear' | 'log'>;

  constructor(
    private readonly unit: K,
    prefs: PanelPrefs,
    setPrefs: SetPrefs,
  ) {
    const toggle = UNIT_TOGGLES[unit];
    this.smoothing = new SmoothingControl(prefs.smoothing, setPrefs);
    this.unitToggle = new Segmented<PanelPrefs[K]>(toggle.label, toggle.options, prefs[unit], (value) => setPrefs({ [unit]: value }));
    this.xMode = stepAxisToggle(prefs.xLog, setPrefs);
    this.element = h('div', { class: 'toolbar' }, this.smoothing.element, this.unitToggle.element, this.xMode.element);
  }

  set(prefs: PanelPrefs): void {
    this.smoothing.set(prefs.smoothing);
    this.unitToggle.set(prefs[this.unit]);
    this.xMode.set(prefs.xLog ? 'log' : 'linear');
  }
}

// ---------------------------------------------------------------- uPlot pieces

/** The step scale, linear or logarithmic. */
export function stepScale(xLog: boolean): uPlot.Scale {
  return { time: false, distr: xLog ? 3 : 1, log: 10 };
}

/** The bottom axis: training steps. */
export function stepAxis(theme: ChartTheme, xLog: boolean): uPlot.Axis {
  return { ...axisStyle(theme), label: xLog ? 'step (log)' : 'step', labelSize: 16, size: 26, values: (_u, splits) => splits.map((v) => (v == null ? '' : formatCount(v))) };
}

/** The left axis: loss, in whatever unit `label` names. */
export function lossAxis(theme: ChartTheme, label: string): uPlot.Axis {
  return { ...axisStyle(theme), label, labelSize: 18, size: 46, values: (_u, splits) => splits.map((v) => formatTick(v)) };
}

/** The loss range with 5% headroom (at least 0.05) each side; loss is never negative, so the floor stays at 0 or above. */
export function lossRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const pad = Math.max((max - min) * 0.05, 0.05);
  return [Math.max(0, min - pad), max + pad];
}
