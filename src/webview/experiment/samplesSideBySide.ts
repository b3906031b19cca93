/**
 * Samples side by side: each run's own sample at the same training step, prompt and seed (the runs'
 * periodic samples; the host picks the latest step every sampled run has one for). Model output is
 * untrusted: text only.
 */
import type { ExperimentView } from '../../protocol/experimentPanel';
import { h, replaceChildren, setText } from '../common/dom';

export class SamplesSideBySide {
  readonly element: HTMLElement;
  private readonly note = h('p', { class: 'card-note', attrs: { 'data-testid': 'experiment-samples-note' } });
  private readonly columns = h('div', { class: 'exp-samples', attrs: { 'data-testid': 'experiment-samples' } });

  constructor() {
    this.element = h(
      'section',
      { class: 'card', attrs: { 'aria-labelledby': 'samples-title' } },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title', attrs: { id: 'samples-title' }, text: 'Samples side by side' })),
      this.note,
      this.columns,
    );
  }

  setView(view: ExperimentView): void {
    const s = view.samples;
    setText(this.note, s ? `${view.samplesNote}${s.prompt ? ` Prompt: “${s.prompt}”.` : ' Generated from an empty prompt.'}` : view.samplesNote);
    replaceChildren(
      this.columns,
      ...(s?.texts ?? []).map((t) =>
        h(
          'figure',
          { class: 'exp-sample', attrs: { 'data-testid': 'experiment-sample', 'data-step': s!.step } },
          h('figcaption', { class: 'mini-title', text: t.label }),
          h('pre', { class: 'sample-text', text: t.text }),
        ),
      ),
    );
  }
}
