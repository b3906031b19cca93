/**
 * The list of runs, newest first: a listbox with one option per run (files, state, model, best
 * validation loss, duration) and a checkbox to pick runs for comparison. Keyboard: Up/Down/Home/End
 * move (and select), Enter opens in the panel, Space toggles the comparison checkbox.
 */
import type { RunSummary } from '../../protocol/types';
import { h, replaceChildren } from '../common/dom';
import { baseName, formatDuration, formatLoss, formatTimestamp } from '../lib/format';
import { isLive, modelLabel, stateLabel, stateTone } from '../lib/runLabels';

export interface RunListEvents {
  select(runId: string): void;
  open(runId: string): void;
  toggleCompare(runId: string, checked: boolean): void;
}

export class RunList {
  readonly element: HTMLElement;
  private runs: RunSummary[] = [];
  private selected: string | undefined;
  private checked = new Set<string>();
  private focusedId: string | undefined;

  constructor(private readonly events: RunListEvents) {
    this.element = h('div', {
      class: 'run-list',
      attrs: {
        role: 'listbox',
        'data-testid': 'run-list',
        'aria-label': 'Runs, newest first',
        'aria-describedby': 'run-list-help',
      },
    });
    this.element.addEventListener('keydown', (e) => this.key(e));
  }

  get ids(): string[] {
    return this.runs.map((r) => r.id);
  }

  /** Newest first, by creation time (ties by id, which starts with the date). */
  setRuns(runs: readonly RunSummary[], selected: string | undefined, checked: ReadonlySet<string>): void {
    this.runs = [...runs].sort((a, b) => (b.createdAt === a.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
    this.selected = selected;
    this.checked = new Set(checked);
    const hadFocus = this.element.contains(document.activeElement);
    replaceChildren(this.element, ...this.runs.map((r) => this.item(r)));
    if (hadFocus) this.itemFor(this.focusedId ?? this.selected)?.focus();
  }

  setSelected(runId: string | undefined): void {
    this.selected = runId;
    for (const el of this.items()) {
      const on = el.dataset.runId === runId;
      el.setAttribute('aria-selected', String(on));
      el.classList.toggle('selected', on);
    }
    this.updateTabStops();
  }

  setChecked(checked: ReadonlySet<string>): void {
    this.checked = new Set(checked);
    for (const el of this.items()) {
      const box = el.querySelector<HTMLInputElement>('input.compare-check');
      if (box) box.checked = this.checked.has(el.dataset.runId ?? '');
    }
  }

  focus(): void {
    (this.itemFor(this.selected) ?? this.items()[0])?.focus();
  }

  private item(r: RunSummary): HTMLElement {
    // The host names a run after its file(s) ("timemachine.txt", "a.md + b.md"); full paths are in the tooltip.
    const files = r.name || r.files.map(baseName).join(', ');
    const check = h('input', {
      class: 'compare-check',
      attrs: { type: 'checkbox', tabindex: -1, 'aria-label': `Compare ${files} (${modelLabel(r)})`, title: 'Pick for comparison' },
    });
    check.checked = this.checked.has(r.id);
    check.addEventListener('click', (e) => e.stopPropagation());
    check.addEventListener('change', () => this.events.toggleCompare(r.id, check.checked));
    const progress = isLive(r.state) && r.steps > 0 ? h('div', { class: 'item-progress', attrs: { 'aria-hidden': 'true' } }, progressFill(r.step / r.steps)) : null;
    // A live run's duration is only known once it ends (the host records it then).
    const duration = r.durationMs > 0 || !isLive(r.state) ? formatDuration(r.durationMs) : null;
    const details = [modelLabel(r), r.bestValLoss !== undefined ? `val ${formatLoss(r.bestValLoss)}` : null, duration].filter(Boolean).join(' · ');
    const el = h(
      'div',
      {
        class: 'run-item',
        attrs: {
          role: 'option',
          tabindex: -1,
          'data-testid': 'run-item',
          'data-run-id': r.id,
          'data-state': r.state,
          // The run's context menu (package.json webview/context): Generate Text, Export Model.
          'data-vscode-context': JSON.stringify({ webviewSection: 'run', runId: r.id }),
          'aria-selected': String(r.id === this.selected),
          title: `${r.name}\n${r.files.join('\n')}\nCreated ${formatTimestamp(r.createdAt)}${r.reason ? `\n${r.reason}` : ''}`,
        },
      },
      check,
      h(
        'div',
        { class: 'item-body' },
        h('div', { class: 'item-line' }, h('span', { class: 'item-files', text: files }), h('span', { class: 'item-time', text: shortTime(r.createdAt) })),
        h(
          'div',
          { class: 'item-line item-sub' },
          h('span', { class: `badge small state-${stateTone(r.state)}`, text: stateLabel(r.state) }),
          h('span', { class: 'item-details', text: details }),
        ),
        progress,
      ),
    );
    el.classList.toggle('selected', r.id === this.selected);
    el.addEventListener('click', () => this.choose(r.id, true));
    el.addEventListener('dblclick', () => this.events.open(r.id));
    el.addEventListener('focus', () => {
      this.focusedId = r.id;
    });
    this.updateTabStopsLater();
    return el;
  }

  private choose(runId: string, focus: boolean): void {
    if (runId !== this.selected) {
      this.setSelected(runId);
      this.events.select(runId);
    }
    if (focus) this.itemFor(runId)?.focus();
  }

  private key(e: KeyboardEvent): void {
    const items = this.items();
    if (!items.length) return;
    const current = items.findIndex((el) => el === document.activeElement || el.contains(document.activeElement));
    const at =
      current >= 0
        ? current
        : Math.max(
            0,
            items.findIndex((el) => el.dataset.runId === this.selected),
          );
    let next = -1;
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(items.length - 1, at + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, at - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = items.length - 1;
        break;
      case 'Enter': {
        const id = items[at].dataset.runId;
        if (id) this.events.open(id);
        e.preventDefault();
        return;
      }
      case ' ': {
        const box = items[at].querySelector<HTMLInputElement>('input.compare-check');
        const id = items[at].dataset.runId;
        if (box && id) {
          box.checked = !box.checked;
          this.events.toggleCompare(id, box.checked);
        }
        e.preventDefault();
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    const id = items[next].dataset.runId;
    if (id) this.choose(id, true);
  }

  private items(): HTMLElement[] {
    return [...this.element.querySelectorAll<HTMLElement>('.run-item')];
  }

  private itemFor(runId: string | undefined): HTMLElement | undefined {
    return runId ? this.items().find((el) => el.dataset.runId === runId) : undefined;
  }

  /** Roving tab stop: only the selected (or first) item is in the tab order. */
  private updateTabStops(): void {
    const items = this.items();
    const stop = items.find((el) => el.dataset.runId === this.selected) ?? items[0];
    for (const el of items) el.tabIndex = el === stop ? 0 : -1;
  }

  private pending = false;
  private updateTabStopsLater(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.updateTabStops();
    });
  }
}

function progressFill(fraction: number): HTMLElement {
  const fill = h('div', { class: 'item-progress-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return fill;
}

/** "14:03" today, "Nov 25" this year, "2024-11-25" otherwise. */
function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
  return formatTimestamp(iso).slice(0, 10);
}
