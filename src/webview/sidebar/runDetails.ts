/**
 * Details of the selected run: facts (files, model, vocabulary, parameters, backend, progress),
 * the configuration, the checkpoints, and the actions Open in panel, Resume, Stop, Sample, Reveal
 * folder and Delete.
 */
import type { RunDetails as Details, SidebarRunAction } from '../../protocol/sidebar';
import { h, icon, replaceChildren, setDisabled } from '../common/dom';
import { baseName, formatCount, formatDuration, formatLoss, formatTimestamp } from '../lib/format';
import { configRows, isActive, isLive, isResumable, modelLabel, stateLabel, stateTone } from '../lib/runLabels';

type Button = HTMLElement & { disabled: boolean };

/** Newest checkpoints listed; the rest are summarised in one line. */
const MAX_CHECKPOINTS = 8;

export class RunDetailsView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private details: Details | undefined;

  constructor(private readonly act: (action: SidebarRunAction, runId: string) => void) {
    this.body = h('div', { class: 'details-body' });
    this.element = h(
      'section',
      { class: 'section', attrs: { 'data-testid': 'run-details', 'aria-labelledby': 'details-title', hidden: true } },
      h('h2', { class: 'section-title', attrs: { id: 'details-title' }, text: 'Details' }),
      this.body,
    );
  }

  get runId(): string | undefined {
    return this.details?.summary.id;
  }

  showLoading(runId: string): void {
    this.element.hidden = false;
    this.element.setAttribute('data-run-id', runId);
    if (this.details?.summary.id !== runId) {
      this.details = undefined;
      replaceChildren(this.body, h('p', { class: 'muted', text: 'Loading details…' }));
    }
  }

  hide(): void {
    this.details = undefined;
    this.element.hidden = true;
    this.element.removeAttribute('data-run-id');
    replaceChildren(this.body);
  }

  show(details: Details, trusted: boolean): void {
    this.details = details;
    const { summary: s, config: c, info } = details;
    this.element.hidden = false;
    this.element.setAttribute('data-run-id', s.id);
    this.element.setAttribute('data-state', s.state);

    const actions = h(
      'div',
      { class: 'actions', attrs: { role: 'toolbar', 'aria-label': 'Run actions' } },
      this.button('open', 'graph-line', 'Open in panel', false, false),
      this.button(
        'resume',
        'debug-continue',
        'Resume',
        true,
        !trusted || !isResumable(s.state, details.checkpoints.length),
        trusted ? undefined : 'Training is disabled in untrusted workspaces',
      ),
      this.button('stop', 'debug-stop', 'Stop', true, !isLive(s.state)),
      this.button('sample', 'sparkle', 'Sample', true, !(details.checkpoints.length > 0 || isActive(s.state))),
      this.button('reveal', 'folder-opened', 'Reveal folder', true, false),
      this.button('delete', 'trash', 'Delete', true, isLive(s.state), isLive(s.state) ? 'Stop the run before deleting it' : undefined),
    );

    const facts: [string, string, string?][] = [
      ['State', stateLabel(s.state)],
      ['Files', s.files.map(baseName).join(', '), s.files.join('\n')],
      ['Model', modelLabel(c)],
      ['Vocabulary', info ? `${info.vocabSize} tokens (${c.level})` : '—'],
      ['Parameters', info ? formatCount(info.paramCount) : '—', info ? info.paramCount.toLocaleString('en-US') : undefined],
      ['Backend', info ? info.backend : c.backend, info?.backendReason],
      ['Progress', `${formatCount(s.step)} / ${formatCount(s.steps)} steps`],
      ['Best val', s.bestValLoss !== undefined ? `${formatLoss(s.bestValLoss)} nats/token` : '—'],
      ['Baselines', info ? `uniform ${formatLoss(info.uniformLoss)} · unigram ${formatLoss(info.unigramLoss)}` : '—'],
      ['Tokens', info ? `${formatCount(info.trainTokens)} train · ${formatCount(info.valTokens)} val` : '—'],
      ['Created', formatTimestamp(s.createdAt)],
      ['Duration', s.durationMs > 0 || !isLive(s.state) ? formatDuration(s.durationMs) : 'running'],
      ['Folder', details.folder, details.folder],
    ];

    const newest = [...details.checkpoints].sort((a, b) => b.step - a.step);
    const older = newest.length - MAX_CHECKPOINTS;
    const checkpoints = details.checkpoints.length
      ? h(
          'ol',
          { class: 'checkpoints' },
          ...newest
            .slice(0, MAX_CHECKPOINTS)
            .map((cp) =>
              h(
                'li',
                { attrs: { title: cp.path } },
                h('span', { class: 'cp-step', text: `step ${formatCount(cp.step)}` }),
                h('span', { class: 'muted', text: cp.valLoss !== undefined ? `val ${formatLoss(cp.valLoss)}` : '' }),
                h('span', { class: 'muted', text: formatTimestamp(cp.time) }),
              ),
            ),
          older > 0 ? h('li', { class: 'muted', text: `and ${older} older (in the run folder)` }) : null,
        )
      : h('p', { class: 'muted', text: 'No checkpoints yet.' });

    replaceChildren(
      this.body,
      h(
        'div',
        { class: 'details-head' },
        h('span', { class: `badge state-${stateTone(s.state)}`, text: stateLabel(s.state) }),
        h('h3', { class: 'details-name', text: s.name, attrs: { title: s.id } }),
      ),
      // A completed run's reason is its summary; only runs that ended badly get the warning look.
      s.reason
        ? s.state === 'completed'
          ? h('p', { class: 'details-summary', attrs: { role: 'status' } }, icon('pass'), ` ${s.reason}`)
          : h('p', { class: 'details-reason', attrs: { role: 'status' } }, icon('warning'), ` ${s.reason}`)
        : null,
      actions,
      factsTable(facts),
      h('details', { class: 'disclosure' }, h('summary', { text: 'Configuration' }), factsTable(configRows(c))),
      h('details', { class: 'disclosure', attrs: { open: true } }, h('summary', { text: `Checkpoints (${details.checkpoints.length})` }), checkpoints),
    );
  }

  private button(action: SidebarRunAction, codicon: string, label: string, secondary: boolean, disabled: boolean, why?: string): Button {
    const b = h('vscode-button', { attrs: { icon: codicon, secondary, 'data-action': action, title: why ?? label }, text: label }) as unknown as Button;
    setDisabled(b, disabled);
    b.addEventListener('click', () => {
      const id = this.details?.summary.id;
      if (id && !b.disabled) this.act(action, id);
    });
    return b;
  }
}

function factsTable(rows: readonly (readonly [string, string, string?])[]): HTMLElement {
  return h(
    'table',
    { class: 'facts' },
    h('tbody', {}, ...rows.map(([k, v, title]) => h('tr', {}, h('th', { attrs: { scope: 'row' }, text: k }), h('td', { text: v, attrs: { title } })))),
  );
}
