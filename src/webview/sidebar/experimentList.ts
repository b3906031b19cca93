/**
 * The workspace's experiments, listed beside the runs: name, the preset's question (or the varied
 * setting), state and runs done. Click (or Enter) opens the experiment panel; Cancel, Resume and Delete
 * as the state allows. Names and questions come from experiment.json in the workspace: rendered with
 * textContent only, and capped.
 */
import type { ExperimentEntry, SidebarExperimentAction } from '../../protocol/sidebar';
import { h, replaceChildren, setText } from '../common/dom';

/** Entries shown at most. */
const MAX_SHOWN = 100;

const TONES: Record<ExperimentEntry['state'], string> = { running: 'running', completed: 'ok', cancelled: 'neutral', interrupted: 'neutral' };

export class ExperimentList {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly count: HTMLElement;

  constructor(private readonly onAction: (action: SidebarExperimentAction, id: string) => void) {
    this.count = h('span', { class: 'count-badge' });
    this.list = h('ul', { class: 'experiment-list', attrs: { 'data-testid': 'experiment-list', 'aria-label': 'Experiments, newest first' } });
    this.element = h(
      'section',
      { class: 'section', attrs: { 'aria-labelledby': 'experiments-title', hidden: true } },
      h('div', { class: 'section-head' }, h('h2', { class: 'section-title', attrs: { id: 'experiments-title' } }, 'Experiments ', this.count)),
      this.list,
    );
  }

  set(entries: readonly ExperimentEntry[]): void {
    const shown = entries.slice(0, MAX_SHOWN);
    this.element.hidden = shown.length === 0;
    setText(this.count, entries.length ? String(entries.length) : '');
    replaceChildren(this.list, ...shown.map((e) => this.item(e)));
  }

  private item(e: ExperimentEntry): HTMLElement {
    const name = String(e.name).slice(0, 200);
    const question = String(e.question).slice(0, 200);
    const progress = `${e.done}/${e.total} runs done`;
    const button = (action: SidebarExperimentAction, label: string, iconName: string, title: string) => {
      const b = h('vscode-button', { class: `experiment-${action}`, attrs: { secondary: true, icon: iconName, title, 'data-action': action }, text: label });
      b.addEventListener('click', (ev) => {
        ev.stopPropagation();
        this.onAction(action, e.id);
      });
      b.addEventListener('keydown', (ev) => ev.stopPropagation());
      return b;
    };
    const actions = h(
      'div',
      { class: 'experiment-actions' },
      e.state === 'running' ? button('cancel', 'Cancel', 'debug-stop', 'Stop the run training now and train none of the rest; finished runs are kept') : null,
      e.state === 'interrupted' || e.state === 'cancelled' ? button('resume', 'Resume', 'debug-continue', 'Train the runs that are left') : null,
      button('delete', 'Delete', 'trash', 'Delete the experiment folder (its runs stay)'),
    );
    const el = h(
      'li',
      {
        class: 'experiment-item',
        attrs: {
          tabindex: 0,
          role: 'button',
          'data-testid': 'experiment-item',
          'data-experiment-id': e.id,
          'data-state': e.state,
          'aria-label': `${name}: ${question}, ${e.state}, ${progress}. Enter opens it.`,
          title: `${name}\n${question}\n${progress}`,
        },
      },
      h(
        'div',
        { class: 'item-body' },
        h('span', { class: 'item-files', text: name }),
        h('span', { class: 'muted small experiment-question', text: question }),
        h(
          'div',
          { class: 'item-line item-sub' },
          h('span', { class: `badge small state-${TONES[e.state] ?? 'neutral'}`, text: e.state }),
          h('span', { class: 'item-details experiment-progress', text: progress }),
        ),
      ),
      actions,
    );
    el.addEventListener('click', () => this.onAction('open', e.id));
    el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        this.onAction('open', e.id);
      }
    });
    return el;
  }
}
