/**
 * A small segmented toggle (a radio group drawn as joined buttons, like the option toggles of VS
 * Code's find widget). Arrow keys move between options, as in any radio group.
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

  constructor(label: string, private readonly options: readonly SegmentOption<T>[], value: T, private readonly onChange: (value: T) => void) {
    this.current = value;
    this.buttons = options.map((o) =>
      h('button', { class: 'segment', text: o.label, attrs: { type: 'button', role: 'radio', title: o.title ?? o.label, 'data-value': o.value } }),
    );
    this.element = h('div', { class: 'segmented', attrs: { role: 'radiogroup', 'aria-label': label } }, ...this.buttons);
    this.buttons.forEach((b, i) => {
      b.addEventListener('click', () => this.choose(options[i].value, false));
      b.addEventListener('keydown', (e) => {
        const delta = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
        if (!delta) return;
        e.preventDefault();
        const next = (i + delta + options.length) % options.length;
        this.choose(options[next].value, true);
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

  private choose(value: T, focus: boolean): void {
    const changed = value !== this.current;
    this.current = value;
    this.render();
    if (focus) this.buttons[this.options.findIndex((o) => o.value === value)]?.focus();
    if (changed) this.onChange(value);
  }

  private render(): void {
    this.buttons.forEach((b, i) => {
      const on = this.options[i].value === this.current;
      b.setAttribute('aria-checked', String(on));
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle('checked', on);
    });
  }
}
