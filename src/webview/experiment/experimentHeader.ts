/**
 * The experiment panel's header: the experiment's name, the preset's question and what to look for,
 * its state and how many runs are done, Cancel / Resume (the experiment runner's commands), the
 * preset's answer computed from the results, and each run's state (a diverged or failed run says so).
 */
import type { ExperimentPanelToHost, ExperimentView } from '../../protocol/experimentPanel';
import type { RunState } from '../../protocol/types';
import { h, replaceChildren, setDisabled, setText } from '../common/dom';
import { stateLabel, stateTone } from '../lib/runLabels';

type Button = HTMLElement & { disabled: boolean };

export class ExperimentHeader {
  readonly element: HTMLElement;
  private readonly title = h('h1', { class: 'run-title', attrs: { 'data-testid': 'experiment-name' } });
  private readonly question = h('p', { class: 'exp-question', attrs: { 'data-testid': 'experiment-question' } });
  private readonly lookFor = h('p', { class: 'card-note', attrs: { 'data-testid': 'experiment-look-for' } });
  private readonly status = h('p', { class: 'run-config', attrs: { 'data-testid': 'experiment-status' } });
  private readonly answer = h('p', { class: 'exp-answer', attrs: { 'data-testid': 'experiment-answer', 'aria-live': 'polite' } });
  private readonly runList = h('ul', { class: 'exp-runs', attrs: { 'data-testid': 'experiment-runs' } });
  private readonly cancel: Button;
  private readonly resume: Button;
  private view: ExperimentView | undefined;

  constructor(private readonly post: (msg: ExperimentPanelToHost) => void) {
    this.cancel = button('experiment-cancel', 'debug-stop', 'Cancel', 'Cancel the experiment: the run training now stops with a checkpoint; finished runs are kept');
    this.resume = button('experiment-resume', 'debug-continue', 'Resume', 'Resume the experiment: train the runs it has not finished');
    this.cancel.addEventListener('click', () => this.act('cancel'));
    this.resume.addEventListener('click', () => this.act('resume'));
    this.element = h(
      'header',
      { class: 'run-header' },
      h('div', { class: 'run-top' }, h('div', { class: 'run-identity' }, this.title, this.status), h('div', { class: 'run-actions' }, this.cancel, this.resume)),
      this.question,
      this.lookFor,
      this.answer,
      this.runList,
    );
  }

  setView(view: ExperimentView): void {
    this.view = view;
    setText(this.title, view.name);
    setText(this.status, `${view.state} · ${view.done}/${view.total} runs done · varying ${view.varied.join(' × ')}${view.readOnly ? ' · Restricted Mode: read only' : ''}`);
    this.question.hidden = !view.question;
    setText(this.question, view.question ?? '');
    this.lookFor.hidden = !view.lookFor;
    setText(this.lookFor, view.lookFor ? `Look for: ${view.lookFor}` : '');
    this.answer.hidden = !view.answer;
    setText(this.answer, view.answer ?? '');
    setDisabled(this.cancel, view.readOnly || view.state !== 'running');
    setDisabled(this.resume, view.readOnly || (view.state !== 'cancelled' && view.state !== 'interrupted'));
    replaceChildren(
      this.runList,
      ...view.runs.map((r) => {
        const state = r.state === 'pending' ? 'not started' : r.state === 'unreadable' ? 'unreadable' : stateLabel(r.state);
        const tone = r.state === 'pending' ? 'neutral' : r.state === 'unreadable' ? 'error' : stateTone(r.state as RunState);
        return h(
          'li',
          { class: `exp-run tone-${tone}`, attrs: { 'data-testid': 'experiment-run', 'data-state': r.state } },
          h('span', { class: 'exp-run-label', text: r.label }),
          h('span', { class: 'exp-run-state', text: state }),
          r.reason && (r.state === 'diverged' || r.state === 'failed' || r.state === 'unreadable') ? h('span', { class: 'exp-run-reason', text: r.reason }) : null,
        );
      }),
    );
  }

  private act(action: 'cancel' | 'resume'): void {
    const button = action === 'cancel' ? this.cancel : this.resume;
    if (!this.view || this.view.readOnly || button.disabled) return;
    this.post({ type: 'action', action, experimentId: this.view.id });
  }
}

export function button(testId: string, codicon: string, label: string, title: string, secondary = false): Button {
  return h('vscode-button', { attrs: { 'data-testid': testId, icon: codicon, title, secondary }, text: label }) as unknown as Button;
}
