/** Controls shared by the loss chart and the comparison: the smoothing slider and the step-axis toggle. */
import { h, setText } from '../common/dom';
import { Segmented } from '../common/segmented';
import { MAX_SMOOTHING, type PanelPrefs } from '../lib/prefs';

type SetPrefs = (change: Partial<PanelPrefs>) => void;

/** "Smoothing [slider] 0.90": the EMA weight of the training curves. */
export class SmoothingControl {
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
export function stepAxisToggle(xLog: boolean, setPrefs: SetPrefs): Segmented<'linear' | 'log'> {
  return new Segmented<'linear' | 'log'>('Step axis', [
    { value: 'linear', label: 'Linear', title: 'Linear step axis' },
    { value: 'log', label: 'Log', title: 'Logarithmic step axis (early training spread out)' },
  ], xLog ? 'log' : 'linear', (mode) => setPrefs({ xLog: mode === 'log' }));
}
