/**
 * Inspect a trained model on text: pick a run, then inspect the editor's selection (the host reads
 * it) or typed text. The result is the text as one span per token, shaded by surprisal (-ln p of
 * the actual token), each with its probability and the model's top predictions as a tooltip.
 */
import type { SidebarToHost } from '../../protocol/sidebar';
import type { InspectedToken } from '../../protocol/worker';
import type { RunSummary } from '../../protocol/types';
import { h, replaceChildren, setDisabled, setText } from '../common/dom';
import { baseName, formatCount } from '../lib/format';
import { modelLabel } from '../lib/runLabels';
import { surprisalLevel, surprisalScale, tokenTooltip } from '../lib/surprisal';

const LEVELS = 8;
const MAX_TEXT = 20_000;

type Select = HTMLElement & { value: string; disabled: boolean };
type TextArea = HTMLElement & { value: string; disabled: boolean };
type Button = HTMLElement & { disabled: boolean };

export class InspectView {
  readonly element: HTMLElement;
  private readonly select: Select;
  private readonly textarea: TextArea;
  private readonly fromSelection: Button;
  private readonly fromText: Button;
  private readonly status: HTMLElement;
  private readonly output: HTMLElement;
  private runs: RunSummary[] = [];
  private runId: string | undefined;
  private pending: string | undefined;

  constructor(
    private readonly post: (message: SidebarToHost) => void,
    private readonly onChange: (state: { runId?: string; text: string }) => void,
    initial: { runId?: string; text?: string },
  ) {
    this.runId = initial.runId;
    this.select = h('vscode-single-select', { class: 'inspect-run', attrs: { 'aria-label': 'Run to inspect with' } }) as unknown as Select;
    this.select.addEventListener('change', () => {
      this.runId = this.select.value || undefined;
      this.persist();
    });
    this.textarea = h('vscode-textarea', {
      class: 'inspect-text',
      attrs: { rows: 3, placeholder: 'Or type text to inspect…', 'aria-label': 'Text to inspect', resize: 'vertical' },
    }) as unknown as TextArea;
    this.textarea.value = initial.text ?? '';
    this.textarea.addEventListener('input', () => this.persist());
    this.fromSelection = h('vscode-button', {
      attrs: { icon: 'selection', title: 'Inspect the active editor’s selection (the whole file if nothing is selected)' },
      text: 'Inspect selection',
    }) as unknown as Button;
    this.fromText = h('vscode-button', { attrs: { icon: 'symbol-text', secondary: true }, text: 'Inspect text' }) as unknown as Button;
    this.fromSelection.addEventListener('click', () => this.inspect(undefined));
    this.fromText.addEventListener('click', () => this.inspect(this.textarea.value));
    this.status = h('p', { class: 'muted inspect-status', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.output = h('div', { class: 'inspect-output', attrs: { 'data-testid': 'inspect-output', 'aria-label': 'Inspected text' } });
    this.element = h(
      'section',
      { class: 'section', attrs: { 'aria-labelledby': 'inspect-title' } },
      h('h2', { class: 'section-title', attrs: { id: 'inspect-title' }, text: 'Inspect' }),
      h('p', {
        class: 'muted small',
        text: 'How surprised is a trained model by each token? The redder a token, the less the model expected it; hover a token for its top predictions.',
      }),
      h('label', { class: 'field-label', text: 'Model' }),
      this.select,
      h('div', { class: 'actions' }, this.fromSelection),
      this.textarea,
      h('div', { class: 'actions' }, this.fromText),
      this.status,
      this.output,
    );
  }

  /** Runs that can be inspected: those with a checkpoint on disk or a model in memory. */
  setRuns(runs: readonly RunSummary[], preferred: string | undefined): void {
    this.runs = [...runs];
    if (!this.runId || !runs.some((r) => r.id === this.runId)) this.runId = preferred && runs.some((r) => r.id === preferred) ? preferred : runs[0]?.id;
    replaceChildren(
      this.select,
      ...this.runs.map((r) => {
        const o = h('vscode-option', { attrs: { value: r.id }, text: `${r.name || r.files.map(baseName).join(', ')} · ${modelLabel(r)}` });
        if (r.id === this.runId) o.setAttribute('selected', '');
        return o;
      }),
    );
    if (this.runId) this.select.value = this.runId;
    const none = !runs.length;
    setDisabled(this.select, none);
    setDisabled(this.fromSelection, none);
    setDisabled(this.fromText, none);
    if (none) setText(this.status, 'Train a model first: inspection needs a run with a checkpoint.');
    else if (this.status.textContent?.startsWith('Train a model first')) setText(this.status, '');
  }

  /** Called when the user selects a run in the list: inspect with it from now on. */
  follow(runId: string): void {
    if (!this.runs.some((r) => r.id === runId)) return;
    this.runId = runId;
    this.select.value = runId;
    this.persist();
  }

  showResult(runId: string, tokens: readonly InspectedToken[], meanSurprisal: number, source: string): void {
    this.pending = undefined;
    this.element.setAttribute('aria-busy', 'false');
    const run = this.runs.find((r) => r.id === runId);
    const scale = surprisalScale(tokens);
    const counted = tokens.filter((t) => t.surprisal !== undefined).length;
    setText(this.status, '');
    const spans = tokens.map((t) => {
      const level = surprisalLevel(t.surprisal, scale, LEVELS);
      const span = h('span', { class: `tok ${level < 0 ? 'tok-none' : `s${level}`}`, text: t.token, attrs: { title: tokenTooltip(t) } });
      return span;
    });
    replaceChildren(
      this.output,
      h(
        'div',
        { class: 'inspect-meta' },
        h(
          'div',
          {},
          h('strong', { text: `${meanSurprisal.toFixed(3)} nats/token` }),
          ` mean surprisal · ${(meanSurprisal / Math.LN2).toFixed(2)} bits · perplexity ${Math.exp(meanSurprisal).toFixed(2)}`,
        ),
        h('div', { class: 'muted', text: [`${formatCount(counted)} predicted tokens`, source, run ? modelLabel(run) : ''].filter(Boolean).join(' · ') }),
      ),
      h('div', { class: 'tokens', attrs: { role: 'document' } }, ...spans),
      h(
        'div',
        { class: 'surprisal-legend', attrs: { 'aria-hidden': 'true' } },
        h('span', { text: 'likely' }),
        ...Array.from({ length: LEVELS }, (_, i) => h('span', { class: `swatch s${i}` })),
        h('span', { text: `unlikely (≥ ${scale.toFixed(1)} nats)` }),
      ),
    );
  }

  showError(runId: string, message: string): void {
    if (this.pending && this.pending !== runId) return;
    this.pending = undefined;
    this.element.setAttribute('aria-busy', 'false');
    setText(this.status, message);
    this.status.classList.add('error-text');
  }

  private inspect(text: string | undefined): void {
    const runId = this.runId;
    if (!runId) return;
    if (text !== undefined && !text.trim()) {
      setText(this.status, 'Type some text first, or use “Inspect selection”.');
      return;
    }
    this.pending = runId;
    this.status.classList.remove('error-text');
    this.element.setAttribute('aria-busy', 'true');
    setText(this.status, text === undefined ? 'Inspecting the editor selection…' : 'Inspecting…');
    this.post(text === undefined ? { type: 'inspect', runId } : { type: 'inspect', runId, text: text.slice(0, MAX_TEXT) });
  }

  private persist(): void {
    this.onChange({ runId: this.runId, text: this.textarea.value.slice(0, MAX_TEXT) });
  }
}
