/**
 * A small segmented toggle (a radio group drawn as joined buttons, like the option toggles of VS
 * Code's find widget). Arrow keys move between options, as in any radio group. An option can be
 * made unavailable: it stays visible and announced, with a tooltip saying why (aria-disabled rather
 * than `disabled`, which gets no mouse events and so no tooltip), and clicks and arrow keys pass it by.
 */
import { h } from './dom';

export interface SegmentOption<T extends string> {
  readonly value: T;
  readonly label: string;
  readonly title?: string;
}

export class Segmented<T extends string> {
  readonly element: HTMLElement;
  private readonly buttons: HTMLButtonElement[];
  private current: T;
  /** Why each unavailable option is unavailable (its tooltip meanwhile). */
  private readonly unavailable = new Map<T, string>();

  constructor(
    label: string,
    private readonly options: readonly SegmentOption<T>[],
    value: T,
    private readonly onChange: (value: T) => void,
  ) {
    this.current = value;
    this.buttons = options.map((o) => h('button', { class: 'segment', text: o.label, attrs: { type: 'button', role: 'radio', title: o.title ?? o.label, 'data-value': o.value } }));
    this.element = h('div', { class: 'segmented', attrs: { role: 'radiogroup', 'aria-label': label } }, ...this.buttons);
    this.buttons.forEach((b, i) => {
      b.addEventListener('click', () => this.choose(options[i].value, false));
      b.addEventListener('keydown', (e) => {
        const delta = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
        if (!delta) return;
        e.preventDefault();
        let next = i;
        do next = (next + delta + options.length) % options.length;
        while (next !== i && this.unavailable.has(options[next].value));
        if (next !== i) this.choose(options[next].value, true);
      });
    });
    this.render();
  }

  get value(): T {
    return this.current;
  }

  set(value: T): void {
    this.current = value;
    this.render();
  }

  /** Makes an option available again (`reason` undefined) or unavailable, with the reason as its tooltip. */
  setUnavailable(value: T, reason: string | undefined): void {
    if (reason === undefined) this.unavailable.delete(value);
    else this.unavailable.set(value, reason);
    this.render();
  }

  private choose(value: T, focus: boolean): void {
    if (this.unavailable.has(value)) return;
    const changed = value !== this.current;
    this.current = value;
    this.render();
    if (focus) this.buttons[this.options.findIndex((o) => o.value === value)]?.focus();
    if (changed) this.onChange(value);
  }

  private render(): void {
    this.buttons.forEach((b, i) => {
      const o = this.options[i];
      const on = o.value === this.current;
      const reason = this.unavailable.get(o.value);
      b.setAttribute('aria-checked', String(on));
      b.setAttribute('aria-disabled', String(reason !== undefined));
      b.title = reason ?? o.title ?? o.label;
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle('checked', on);
      b.classList.toggle('unavailable', reason !== undefined);
    });
  }
}
