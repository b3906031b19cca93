/**
 * The results table: one row per run, every figure computed by the host from that run's own folder
 * (resultRow), printed as the CSV and Markdown exports print it. Copy as CSV / Markdown puts the table
 * on the clipboard; Open as CSV / Markdown opens it as an untitled document (nothing written to disk).
 */
import type { ExperimentPanelToHost, ExperimentView, ExportFormat, ExportTarget } from '../../protocol/experimentPanel';
import { h, replaceChildren } from '../common/dom';
import { button } from './experimentHeader';

export class ResultsTableView {
  readonly element: HTMLElement;
  private readonly table = h('table', { class: 'exp-table', attrs: { 'data-testid': 'results-table' } });
  private readonly note = h('p', { class: 'card-note' });
  private view: ExperimentView | undefined;

  constructor(private readonly post: (msg: ExperimentPanelToHost) => void) {
    const exports: [ExportFormat, ExportTarget, string, string][] = [
      ['csv', 'clipboard', 'copy', 'Copy as CSV'],
      ['markdown', 'clipboard', 'copy', 'Copy as Markdown'],
      ['csv', 'document', 'go-to-file', 'Open as CSV'],
      ['markdown', 'document', 'go-to-file', 'Open as Markdown'],
    ];
    const buttons = exports.map(([format, target, codicon, label]) => {
      const b = button(`export-${format}-${target}`, codicon, label, `${label}${target === 'document' ? ' (an untitled document)' : ''}`, true);
      b.addEventListener('click', () => this.view && this.post({ type: 'export', format, target, experimentId: this.view.id }));
      return b;
    });
    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'results-title' } },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title', attrs: { id: 'results-title' }, text: 'Results' }), h('div', { class: 'run-actions' }, ...buttons)),
      h('div', { class: 'exp-table-wrap' }, this.table),
      this.note,
    );
  }

  setView(view: ExperimentView): void {
    this.view = view;
    const stateCol = view.table.columns.indexOf('state');
    replaceChildren(
      this.table,
      h('thead', {}, h('tr', {}, ...view.table.columns.map((c, i) => h('th', { class: i > 1 ? 'num' : '', attrs: { scope: 'col' }, text: c })))),
      h(
        'tbody',
        {},
        ...view.table.rows.map((cells) =>
          h(
            'tr',
            { attrs: { 'data-testid': 'results-row', 'data-state': cells[stateCol] } },
            ...cells.map((c, i) => h(i === 0 ? 'th' : 'td', { class: i > 1 ? 'num' : i === stateCol ? `state-${c}` : '', attrs: i === 0 ? { scope: 'row' } : {}, text: c })),
          ),
        ),
      ),
    );
    const missing = view.runs.filter((r) => r.state === 'pending' || r.state === 'unreadable' || (r.state === 'queued' && !view.table.rows.length));
    this.note.textContent = `Every figure is computed from that run's own folder. Best and final: validation loss in nats per token; perplexity and bits/char from the best.${
      missing.length ? ` Not in the table yet: ${missing.map((r) => `${r.label} (${r.state === 'pending' ? 'not started' : r.state})`).join(', ')}.` : ''
    }`;
  }
}
