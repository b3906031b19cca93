/**
 * Run folders the host could not read (a broken or foreign run.json, a link, a log that fails the
 * checks), listed apart from the runs: each says "unreadable: reason" and offers Delete when it is a
 * real folder. Their text comes from the workspace: rendered with textContent only, and capped.
 */
import type { UnreadableRunEntry } from '../../protocol/sidebar';
import { h, replaceChildren, setText } from '../common/dom';

/** Entries shown at most (a workspace could hold thousands of crafted folders). */
const MAX_SHOWN = 200;

export class UnreadableList {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly count: HTMLElement;

  constructor(private readonly onDelete: (key: string) => void) {
    this.count = h('span', { class: 'count-badge' });
    this.list = h('ul', { class: 'unreadable-list', attrs: { 'data-testid': 'unreadable-list' } });
    this.element = h(
      'section',
      { class: 'section', attrs: { 'aria-labelledby': 'unreadable-title', hidden: true } },
      h('div', { class: 'section-head' }, h('h2', { class: 'section-title', attrs: { id: 'unreadable-title' } }, 'Unreadable ', this.count)),
      this.list,
    );
  }

  set(entries: readonly UnreadableRunEntry[]): void {
    const shown = entries.slice(0, MAX_SHOWN);
    this.element.hidden = shown.length === 0;
    setText(this.count, entries.length ? String(entries.length) : '');
    replaceChildren(this.list, ...shown.map((e) => this.item(e)));
  }

  private item(e: UnreadableRunEntry): HTMLElement {
    const name = String(e.name).slice(0, 200);
    const reason = String(e.reason).slice(0, 500);
    const del = e.deletable
      ? h('vscode-button', { attrs: { secondary: true, icon: 'trash', title: `Delete the folder ${String(e.folder).slice(0, 300)}` }, text: 'Delete' })
      : null;
    del?.addEventListener('click', () => this.onDelete(e.key));
    return h(
      'li',
      { class: 'unreadable-item', attrs: { 'data-testid': 'unreadable-item', 'data-key': e.key, title: `${String(e.folder).slice(0, 300)}\nunreadable: ${reason}` } },
      h('div', { class: 'item-body' }, h('span', { class: 'item-files', text: name }), h('span', { class: 'muted small unreadable-reason', text: `unreadable: ${reason}` })),
      del,
    );
  }
}
