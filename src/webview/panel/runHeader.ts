/**
 * The run header: state, files, configuration, backend, speed, elapsed time, ETA, and the controls
 * that fit the run's state: Stop, Pause/Resume and Checkpoint while it is live; "Resume training" once
 * it ended early with a checkpoint to continue from; none when it completed. All are disabled in
 * untrusted workspaces.
 */
import type { PanelAction, PanelToHost } from '../../protocol/panel';
import { h, icon, replaceChildren, setAttrs, setDisabled, setText } from '../common/dom';
import { formatCount, formatDuration, formatEta, formatLoss } from '../lib/format';
import { etaMs, stepsPerSecond } from '../lib/progress';
import { configLine, isActive, isLive, isResumable, stateLabel, stateTone } from '../lib/runLabels';
import type { RunModel } from '../lib/runModel';
import { latestReadouts } from './readoutSeries';
import { gateTitle } from './readoutsView';

type Button = HTMLElement & { disabled: boolean };

export class RunHeader {
  readonly element: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly title: HTMLElement;
  private readonly files: HTMLElement;
  private readonly config: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly progressFill: HTMLElement;
  private readonly reason: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly live: HTMLElement;
  private readonly stop: Button;
  private readonly pause: Button;
  private readonly checkpoint: Button;
  private readonly resumeRun: Button;
  private readonly vary: Button;
  private model: RunModel | undefined;
  private announced = '';

  constructor(private readonly post: (message: PanelToHost) => void) {
    this.badge = h('span', { class: 'badge' });
    this.title = h('h1', { class: 'run-title' });
    this.files = h('span', { class: 'run-files' });
    this.config = h('div', { class: 'run-config' });
    this.stats = h('dl', { class: 'run-stats' });
    this.progressFill = h('div', { class: 'progress-fill' });
    this.progress = h('div', { class: 'progress', attrs: { role: 'progressbar', 'aria-label': 'Training progress', 'aria-valuemin': 0 } }, this.progressFill);
    this.reason = h('p', { class: 'run-reason', attrs: { hidden: true, role: 'alert' } });
    this.notice = h('p', { class: 'notice', attrs: { hidden: true } }, icon('shield'), ' Read-only: this workspace is not trusted, so the training controls are disabled.');
    this.live = h('div', { class: 'visually-hidden', attrs: { 'aria-live': 'polite', role: 'status' } });
    this.stop = this.button('stop', 'debug-stop', 'Stop', 'Stop training (a checkpoint is written first)', false);
    this.pause = this.button('pause', 'debug-pause', 'Pause', 'Pause training', true);
    this.checkpoint = this.button('checkpoint', 'save', 'Checkpoint now', 'Write a checkpoint now', true);
    this.resumeRun = this.button('resume-run', 'debug-continue', 'Resume training', 'Train on from the latest checkpoint', false);
    this.pause.addEventListener('click', () => this.control(this.model?.summary.state === 'paused' ? 'resume' : 'pause'));
    this.stop.addEventListener('click', () => this.control('stop'));
    this.checkpoint.addEventListener('click', () => this.control('checkpoint'));
    this.resumeRun.addEventListener('click', () => this.control('continue'));
    this.vary = this.button('vary', 'beaker', 'Vary…', "Run an experiment: this run's files and settings, one setting varied", true);
    this.vary.addEventListener('click', () => this.control('vary'));

    this.element = h(
      'header',
      { class: 'run-header', attrs: { 'data-testid': 'run-header' } },
      h(
        'div',
        { class: 'run-top' },
        h('div', { class: 'run-identity' }, h('div', { class: 'run-title-row' }, this.badge, this.title, this.files), this.config),
        h('div', { class: 'run-actions', attrs: { role: 'toolbar', 'aria-label': 'Run controls' } }, this.stop, this.pause, this.checkpoint, this.resumeRun, this.vary),
      ),
      this.progress,
      this.stats,
      this.reason,
      this.notice,
      this.live,
    );
  }

  setModel(model: RunModel | undefined): void {
    this.model = model;
    this.announced = '';
    this.render();
  }

  render(): void {
    const m = this.model;
    if (!m) return;
    const s = m.summary;
    setAttrs(this.element, { 'data-run-id': m.runId, 'data-state': s.state });
    setText(this.badge, stateLabel(s.state));
    this.badge.className = `badge state-${stateTone(s.state)}`;
    setText(this.title, s.name);
    this.title.title = s.id;
    // The name is already the file name(s); the path says which copy: relative to the workspace folder
    // when the host could say so, absolute in the tooltip.
    setText(this.files, m.filesLine);
    this.files.title = s.files.join('\n');
    setText(this.config, configLine(m.config));

    const step = Math.max(m.lastStep, s.step);
    const total = s.steps || m.config.steps;
    const fraction = total > 0 ? Math.min(1, step / total) : 0;
    this.progressFill.style.width = `${(fraction * 100).toFixed(2)}%`;
    setAttrs(this.progress, { 'aria-valuemax': total, 'aria-valuenow': step, 'aria-valuetext': `step ${step} of ${total}` });

    const live = isLive(s.state);
    const rate = s.state === 'training' ? stepsPerSecond(m.steps, m.elapsedMs) : undefined;
    const elapsed = Math.max(s.durationMs, m.elapsedMs.length ? m.elapsedMs[m.elapsedMs.length - 1] : 0);
    const info = m.info;
    this.renderStats([
      ['Step', `${formatCount(step)} / ${formatCount(total)}`, `${step} of ${total}`],
      ['Loss', formatLoss(m.loss.length ? m.loss[m.loss.length - 1] : s.lastLoss), 'Latest training loss, nats per token'],
      ['Best val', formatLoss(m.bestValLoss), 'Lowest validation loss so far, nats per token'],
      ['Tokens/s', m.tokensPerSec !== undefined ? formatCount(m.tokensPerSec) : '—', live ? 'Training throughput' : 'Throughput of the last step'],
      ['Elapsed', formatDuration(elapsed), 'Training time'],
      ['ETA', live ? formatEta(etaMs(step, total, rate)) : '—', 'Estimated time to the last step at the recent speed'],
      ['Backend', info ? info.backend : '—', info?.backendReason ?? 'Known once the run has started'],
      ['Params', info ? formatCount(info.paramCount) : '—', info ? `${info.paramCount.toLocaleString('en-US')} parameters, vocabulary ${info.vocabSize}` : ''],
      ...this.readoutStats(m),
    ]);

    this.reason.hidden = !s.reason || live;
    setText(this.reason, s.reason ?? '');
    // A completed run's reason is its summary, not an error.
    const ok = s.state === 'completed';
    this.reason.classList.toggle('run-summary', ok);
    if (ok) this.reason.setAttribute('role', 'status');
    else this.reason.setAttribute('role', 'alert');
    this.notice.hidden = !m.readOnly;

    const paused = s.state === 'paused';
    this.pause.setAttribute('icon', paused ? 'debug-continue' : 'debug-pause');
    setText(this.pause, paused ? 'Resume' : 'Pause');
    this.pause.title = paused ? 'Resume training' : 'Pause training';
    // Only the controls that can act on the run now are shown: an ended run has no Stop or Pause.
    const canContinue = !live && isResumable(s.state, m.checkpoints.length);
    this.stop.hidden = !live;
    this.pause.hidden = !live;
    this.checkpoint.hidden = !live;
    this.resumeRun.hidden = !canContinue;
    setDisabled(this.stop, m.readOnly || !live);
    setDisabled(this.pause, m.readOnly || !isActive(s.state));
    setDisabled(this.checkpoint, m.readOnly || !isActive(s.state));
    setDisabled(this.resumeRun, m.readOnly || !canContinue);
    setDisabled(this.vary, m.readOnly);

    // Announce state changes only, not every step.
    const sentence = `${s.name}: ${stateLabel(s.state)}`;
    if (sentence !== this.announced) {
      this.announced = sentence;
      setText(this.live, sentence);
    }
  }

  /** The newest readouts (recorded with the gradient maps), when the run has any. */
  private readoutStats(m: RunModel): [string, string, string][] {
    const r = latestReadouts(m.gradMaps);
    if (!r) return [];
    const rows: [string, string, string][] = [
      [
        'Memory',
        `${r.horizon} steps`,
        `Memory horizon at step ${r.step}: steps back the last prediction's gradient stays above 1e-3 of its last value` +
          (r.horizonH !== undefined ? ` (state (h, c); on h alone: ${r.horizonH})` : ''),
      ],
    ];
    if (r.radius) {
      rows.push([
        `ρ(${r.radius.gate === 'h' ? 'U' : `U_${r.radius.gate}`})`,
        `${r.radius.value.toFixed(2)} · σ ${r.radius.sigma.toFixed(2)}`,
        `The largest spectral radius over the gate blocks of the last layer's recurrent matrix is that of ${gateTitle(r.radius.gate)}: ${r.radius.value.toFixed(3)}; its largest singular value ${r.radius.sigma.toFixed(3)}`,
      ]);
    }
    rows.push(['Clip rate', `${(r.clipRate * 100).toFixed(0)}%`, 'Steps whose gradient was clipped, since the previous gradient map']);
    return rows;
  }

  private renderStats(rows: [string, string, string][]): void {
    if (this.stats.childElementCount !== rows.length) {
      replaceChildren(this.stats, ...rows.map(() => h('div', { class: 'stat' }, h('dt'), h('dd'))));
    }
    rows.forEach(([label, value, title], i) => {
      const item = this.stats.children[i] as HTMLElement;
      setText(item.children[0], label);
      setText(item.children[1], value);
      item.title = title;
    });
  }

  private button(testId: string, codicon: string, label: string, title: string, secondary: boolean): Button {
    const b = h('vscode-button', { attrs: { 'data-testid': testId, icon: codicon, title, secondary }, text: label }) as unknown as Button;
    return b;
  }

  private control(action: PanelAction): void {
    const m = this.model;
    if (!m || m.readOnly) return;
    const button = action === 'stop' ? this.stop : action === 'checkpoint' ? this.checkpoint : action === 'continue' ? this.resumeRun : action === 'vary' ? this.vary : this.pause;
    if (button.disabled) return;
    this.post({ type: 'control', action, runId: m.runId });
  }
}
