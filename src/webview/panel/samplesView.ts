/**
 * Samples: what the model wrote at intervals during training, newest first, each tagged with its
 * step; and a "Sample now" form whose tokens stream in live. Model output is untrusted text: it is
 * only ever set with textContent, in a pre-wrap block.
 */
import type { PanelToHost } from '../../protocol/panel';
import type { SampleRecord } from '../../protocol/types';
import { h, icon, replaceChildren, setDisabled, setText } from '../common/dom';
import { Segmented } from '../common/segmented';
import { formatCount } from '../lib/format';
import { isActive } from '../lib/runLabels';
import type { RunModel } from '../lib/runModel';

/** How "Sample now" decodes: sampling at the temperature, greedy (argmax), or beam search of a width. */
type Decoding = 'sample' | 'greedy' | 'beam';
const MAX_BEAM = 16;

/** Older samples are summarised rather than drawn: the DOM stays small on long runs. */
const MAX_SHOWN = 100;

interface LiveRequest {
  readonly element: HTMLElement;
  readonly status: HTMLElement;
  readonly output: Text;
  readonly prompt: string;
  streamed: string;
}

type TextField = HTMLElement & { value: string; disabled: boolean };

export class SamplesView {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly liveList: HTMLElement;
  private readonly more: HTMLElement;
  private readonly count: HTMLElement;
  private readonly prompt: TextField;
  private readonly temperature: TextField;
  private readonly length: TextField;
  private readonly beam: TextField;
  private readonly beamField: HTMLElement;
  private readonly temperatureField: HTMLElement;
  private readonly decoding: Segmented<Decoding>;
  private decodingMode: Decoding = 'sample';
  private readonly button: HTMLElement & { disabled: boolean };
  private readonly formNote: HTMLElement;
  private readonly requests = new Map<string, LiveRequest>();
  private model: RunModel | undefined;
  private shown = 0;

  constructor(private readonly post: (message: PanelToHost) => void) {
    this.prompt = h('vscode-textfield', { class: 'grow', attrs: { placeholder: 'Prompt (optional), e.g. "The Time Traveller"', 'aria-label': 'Prompt' } }) as unknown as TextField;
    this.temperature = h('vscode-textfield', {
      class: 'num',
      attrs: { type: 'number', min: 0, max: 10, step: 0.1, value: '0.8', 'aria-label': 'Temperature' },
    }) as unknown as TextField;
    this.length = h('vscode-textfield', {
      class: 'num',
      attrs: { type: 'number', min: 1, max: 10000, step: 1, value: '300', 'aria-label': 'Length in tokens' },
    }) as unknown as TextField;
    this.beam = h('vscode-textfield', {
      class: 'num',
      attrs: { type: 'number', min: 1, max: MAX_BEAM, step: 1, value: '4', 'aria-label': 'Beam width', 'data-testid': 'beam-width' },
    }) as unknown as TextField;
    this.decoding = new Segmented<Decoding>(
      'Decoding',
      [
        { value: 'sample', label: 'Sample', title: 'Draw each token from the distribution at the temperature' },
        { value: 'greedy', label: 'Greedy', title: 'Always the most likely next token' },
        { value: 'beam', label: 'Beam', title: 'Beam search: keep the most likely continuations of the whole text so far, extend each, keep the best again' },
      ],
      'sample',
      (mode) => {
        this.decodingMode = mode;
        this.showDecoding();
      },
    );
    this.decoding.element.dataset.testid = 'decoding';
    this.button = h('vscode-button', { attrs: { icon: 'sparkle', type: 'submit' }, text: 'Sample now' }) as unknown as HTMLElement & { disabled: boolean };
    this.formNote = h('span', { class: 'form-note', attrs: { role: 'status' } });
    const form = h(
      'form',
      { class: 'sample-form', attrs: { 'aria-label': 'Sample now' } },
      this.prompt,
      this.decoding.element,
      (this.temperatureField = h('label', { class: 'field' }, h('span', { text: 'Temperature' }), this.temperature)),
      (this.beamField = h('label', { class: 'field', attrs: { hidden: true } }, h('span', { text: 'Beam width' }), this.beam)),
      h('label', { class: 'field' }, h('span', { text: 'Length' }), this.length),
      this.button,
      this.formNote,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    // The button submits the form it belongs to (vscode-button is form-associated); the text fields
    // live in shadow roots, so Enter in them is handled here rather than by implicit submission.
    for (const field of [this.prompt, this.temperature, this.length, this.beam]) {
      field.addEventListener('keydown', (e) => {
        if ((e as KeyboardEvent).key === 'Enter') {
          e.preventDefault();
          this.submit();
        }
      });
    }

    this.count = h('span', { class: 'card-stats' });
    this.liveList = h('div', { class: 'samples-live' });
    this.list = h('ol', { class: 'samples', attrs: { 'data-testid': 'samples', 'aria-label': 'Generated samples, newest first' } });
    this.more = h('p', { class: 'card-note', attrs: { hidden: true } });
    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'samples-title' } },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title', attrs: { id: 'samples-title' }, text: 'Samples' }), this.count),
      form,
      this.liveList,
      this.list,
      this.more,
    );
  }

  setModel(model: RunModel | undefined): void {
    this.model = model;
    replaceChildren(this.list);
    this.shown = 0;
    this.render();
  }

  /** Adds samples that arrived since the last call (the list only grows between snapshots). */
  render(): void {
    const m = this.model;
    const samples = m?.samples ?? [];
    if (samples.length < this.shown) {
      replaceChildren(this.list);
      this.shown = 0;
    }
    for (let i = Math.max(this.shown, samples.length - MAX_SHOWN); i < samples.length; i++) {
      this.list.insertBefore(sampleItem(samples[i]), this.list.firstChild);
    }
    this.shown = samples.length;
    while (this.list.childElementCount > MAX_SHOWN) this.list.lastElementChild?.remove();
    const hidden = samples.length - this.list.childElementCount;
    this.more.hidden = hidden <= 0;
    setText(this.more, hidden > 0 ? `${hidden} older samples are in the run folder (samples.jsonl).` : '');
    setText(
      this.count,
      samples.length ? `${samples.length} sample${samples.length === 1 ? '' : 's'}` : m && m.config.sampleInterval > 0 ? `every ${formatCount(m.config.sampleInterval)} steps` : '',
    );
    // Sampling needs a model: one in memory (training or paused) or a checkpoint on disk.
    const hasModel = !!m && (isActive(m.summary.state) || m.checkpoints.length > 0);
    const enabled = !!m && !m.readOnly && hasModel;
    for (const c of [this.prompt, this.temperature, this.length, this.beam]) c.disabled = !enabled;
    setDisabled(this.button, !enabled);
    if (!this.requests.size) {
      setText(this.formNote, m?.readOnly ? 'Sampling is off in an untrusted workspace.' : m && !hasModel ? 'Available once the model is built or a checkpoint is written.' : '');
    }
  }

  onToken(requestId: string, token: string): void {
    const r = this.requests.get(requestId);
    if (!r) return;
    r.streamed += token;
    r.output.appendData(token);
  }

  onDone(requestId: string, text: string): void {
    const r = this.requests.get(requestId);
    if (!r) return;
    this.requests.delete(requestId);
    // The final text is authoritative; it may or may not repeat the prompt.
    const continuation = r.prompt && text.startsWith(r.prompt) ? text.slice(r.prompt.length) : text;
    if (continuation !== r.streamed) r.output.data = continuation;
    setText(r.status, `done · ${continuation.length} characters`);
    r.element.classList.remove('streaming');
    r.element.setAttribute('aria-busy', 'false');
    this.settle();
  }

  onError(requestId: string, message: string): void {
    const r = this.requests.get(requestId);
    if (!r) return;
    this.requests.delete(requestId);
    setText(r.status, `failed: ${message}`);
    r.status.setAttribute('role', 'alert');
    r.element.classList.remove('streaming');
    r.element.setAttribute('aria-busy', 'false');
    r.element.classList.add('failed');
    this.settle();
  }

  private showDecoding(): void {
    this.temperatureField.hidden = this.decodingMode !== 'sample';
    this.beamField.hidden = this.decodingMode !== 'beam';
  }

  private settle(): void {
    if (!this.requests.size) setText(this.formNote, '');
  }

  private submit(): void {
    const m = this.model;
    if (!m || m.readOnly || this.button.disabled) return;
    const mode = this.decodingMode;
    const temperature = mode === 'sample' ? Number(this.temperature.value) : 0;
    const length = Math.round(Number(this.length.value));
    const beam = mode === 'beam' ? Number(this.beam.value) : undefined;
    if (!(temperature >= 0 && temperature <= 10)) return this.invalid('Temperature must be between 0 and 10.');
    if (!(length >= 1 && length <= 10_000)) return this.invalid('Length must be between 1 and 10,000.');
    if (beam !== undefined && !(Number.isInteger(beam) && beam >= 1 && beam <= MAX_BEAM)) return this.invalid(`Beam width must be a whole number from 1 to ${MAX_BEAM}.`);
    const how = mode === 'beam' ? `beam ${beam}` : mode === 'greedy' ? 'greedy' : `T=${temperature}`;
    const prompt = this.prompt.value.slice(0, 10_000);
    const requestId = newRequestId();
    const status = h('span', { class: 'sample-status', text: 'streaming…' });
    const output = document.createTextNode('');
    // Busy while tokens stream in, so a screen reader reads the sample once, when it is complete.
    const element = h(
      'article',
      { class: 'sample live streaming', attrs: { 'aria-live': 'polite', 'aria-busy': 'true' } },
      h('div', { class: 'sample-meta' }, icon('sparkle'), h('span', { text: `Sample now · ${how}` }), status),
      h('pre', { class: 'sample-text' }, prompt ? h('span', { class: 'sample-prompt', text: prompt }) : null, output),
    );
    this.liveList.insertBefore(element, this.liveList.firstChild);
    while (this.liveList.childElementCount > 5) this.liveList.lastElementChild?.remove();
    this.requests.set(requestId, { element, status, output, prompt, streamed: '' });
    setText(this.formNote, '');
    this.post({ type: 'sampleNow', runId: m.runId, requestId, prompt, temperature, length, ...(beam !== undefined ? { beam } : {}) });
  }

  private invalid(message: string): void {
    setText(this.formNote, message);
  }
}

function sampleItem(s: SampleRecord): HTMLElement {
  const text = s.prompt && s.text.startsWith(s.prompt) ? s.text.slice(s.prompt.length) : s.text;
  return h(
    'li',
    { class: 'sample', attrs: { 'data-testid': 'sample', 'data-step': s.step } },
    h(
      'div',
      { class: 'sample-meta' },
      h('span', { class: 'step-tag', text: `step ${formatCount(s.step)}`, attrs: { title: `step ${s.step}` } }),
      h('span', { text: `T=${s.temperature}` }),
      s.prompt ? h('span', { class: 'sample-prompt-label', text: `prompt “${s.prompt.length > 40 ? s.prompt.slice(0, 40) + '…' : s.prompt}”` }) : null,
    ),
    h('pre', { class: 'sample-text' }, s.prompt ? h('span', { class: 'sample-prompt', text: s.prompt }) : null, text),
  );
}

function newRequestId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return `s-${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
