/**
 * One training panel: the webview of a run (or of a comparison). The host holds the truth: when the
 * page says `ready` it gets a snapshot of the run's history, then deltas (gathered into at most one
 * message per 250 ms, whatever the run's pace). `TrainingPanels` (trainingPanels.ts) owns them all.
 */
import * as vscode from 'vscode';
import { isPanelToHost, type CompareSeries, type HostToPanel, type PanelState, type PanelToHost } from '../../protocol/panel';
import { Disposable } from '../base/dispose';
import { Emitter } from '../base/event';
import { errorText, guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import { RunDeltaBuffer } from './runDeltaBuffer';
import type { RunEvent, RunManager } from '../runs/runManager';
import { displayPaths } from './displayPaths';
import { modelLabel } from './statusText';
import { getWebviewHtml, webviewOptions } from './webviewHtml';

/** Metrics arrive every step, gradient maps every few: the page hears of them at most this often. */
const DELTAS_BATCH_MS = 250;
/** Generated text reaches the page in chunks at most this often. */
const TOKENS_BATCH_MS = 50;
/** Live comparisons are re-sent at most this often. */
const COMPARE_REFRESH_MS = 2000;

export type Target = { readonly kind: 'run'; readonly runId: string } | { readonly kind: 'compare'; readonly runIds: readonly string[] };

export interface PanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly manager: RunManager;
  readonly log: Logger;
}

// ---------------------------------------------------------------- one panel

export class TrainingPanel extends Disposable {
  private readonly _onDidDispose = this._register(new Emitter<void>());
  readonly onDidDispose = this._onDidDispose.event;

  private ready = false;
  /** The run's state when the page last heard of it. */
  private lastState: string | undefined;
  private readonly pending = new RunDeltaBuffer();
  private deltasTimer: NodeJS.Timeout | undefined;
  private compareTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private target: Target,
    private readonly deps: PanelDeps,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'icon.svg');
    panel.webview.options = webviewOptions(deps.extensionUri);
    this.render();
    this._register(panel.webview.onDidReceiveMessage((msg: unknown) => this.onMessage(msg)));
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(
      panel.onDidChangeViewState(() => {
        // A hidden webview is torn down and cannot receive messages; it says `ready` again when shown.
        if (!panel.visible) this.ready = false;
      }),
    );
    this._register(deps.manager.onRunEvent((e) => this.onRunEvent(e)));
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.resend()));
    this._register({
      dispose: () => {
        clearTimeout(this.deltasTimer);
        clearTimeout(this.compareTimer);
      },
    });
  }

  get runId(): string | undefined {
    return this.target.kind === 'run' ? this.target.runId : undefined;
  }

  get isCompare(): boolean {
    return this.target.kind === 'compare';
  }

  /** Points an existing compare panel at another set of runs. */
  showCompare(runIds: readonly string[]): void {
    this.target = { kind: 'compare', runIds };
    this.render();
  }

  reveal(preserveFocus: boolean): void {
    this.panel.reveal(undefined, preserveFocus);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this._onDidDispose.fire();
    super.dispose();
    this.panel.dispose();
  }

  private render(): void {
    this.ready = false;
    const state: PanelState = this.target.kind === 'run' ? { runId: this.target.runId } : { compareIds: this.target.runIds };
    this.panel.title = this.title();
    this.panel.webview.html = getWebviewHtml(this.panel.webview, this.deps.extensionUri, { kind: 'panel', title: this.panel.title, state });
  }

  private title(): string {
    if (this.target.kind === 'compare') return `Compare ${this.target.runIds.length} runs`;
    const record = this.deps.manager.getRecord(this.target.runId);
    return record ? `${record.name} · ${modelLabel({ cell: record.config.cell, hidden: record.config.hidden, layers: record.config.layers })}` : 'Sequence Lab';
  }

  private post(msg: HostToPanel): void {
    if (!this.ready || this.isDisposed) return;
    void this.panel.webview.postMessage(msg).then(undefined, (e: Error) => this.deps.log.warn(`panel: postMessage failed: ${e.message}`));
  }

  // ---------------------------------------------------------------- from the page

  private onMessage(raw: unknown): void {
    if (!isPanelToHost(raw)) {
      this.deps.log.warn(`panel: dropped an invalid message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const msg: PanelToHost = raw;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.resend();
        return;
      case 'control':
        if (!vscode.workspace.isTrusted) return;
        guarded(this.deps.log, `panel: ${msg.action}`, () => {
          if (msg.action === 'stop') return vscode.commands.executeCommand('sequenceLab.stop', msg.runId);
          if (msg.action === 'continue') return vscode.commands.executeCommand('sequenceLab.resumeRun', msg.runId);
          if (msg.action === 'vary') return vscode.commands.executeCommand('sequenceLab.varyRun', msg.runId);
          if (!this.deps.manager.control(msg.runId, msg.action)) return vscode.window.showInformationMessage(`Run ${msg.runId} is not training, so it cannot ${msg.action}.`);
          return undefined;
        });
        return;
      case 'sampleNow':
        guarded(this.deps.log, 'panel: sample', () => this.sampleNow(msg));
        return;
    }
  }

  /** The snapshot (or comparison) again; a failure to read it is logged, never left unhandled. */
  private resend(): void {
    guarded(
      this.deps.log,
      'panel: sending the run',
      () => this.sendInitial(),
      (e) => this.post({ type: 'empty', message: `The run could not be read: ${errorText(e)}` }),
    );
  }

  private async sendInitial(): Promise<void> {
    if (!this.ready) return;
    const { manager } = this.deps;
    if (this.target.kind === 'compare') {
      this.post({ type: 'compare', runs: await this.compareSeries() });
      return;
    }
    const runId = this.target.runId;
    const view = await manager.getView(runId);
    if (!view) {
      this.post({ type: 'empty', message: `Run ${runId} no longer exists (its folder was deleted).` });
      return;
    }
    // Deltas that were waiting for the batch are part of this snapshot already.
    this.pending.clear();
    this.lastState = view.summary.state;
    this.panel.title = this.title();
    this.post({ type: 'snapshot', runId, run: view, readOnly: !vscode.workspace.isTrusted, displayFiles: this.displayFiles(runId, view.summary.files) });
  }

  private async compareSeries(): Promise<CompareSeries[]> {
    if (this.target.kind !== 'compare') return [];
    const series: CompareSeries[] = [];
    for (const id of this.target.runIds) {
      const view = await this.deps.manager.getView(id);
      if (!view) continue;
      series.push({ id, label: `${view.summary.name} · ${modelLabel(view.summary)}`, metrics: view.metrics, evals: view.evals, info: view.info });
    }
    return series;
  }

  private async sampleNow(msg: Extract<PanelToHost, { type: 'sampleNow' }>): Promise<void> {
    const { requestId } = msg;
    if (!vscode.workspace.isTrusted) {
      this.post({ type: 'sampleError', requestId, message: 'Sampling is disabled in Restricted Mode: trust the workspace to enable it.' });
      return;
    }
    let buffer = '';
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (buffer) this.post({ type: 'sampleToken', requestId, token: buffer });
      buffer = '';
    };
    try {
      const result = await this.deps.manager.sample({ runId: msg.runId, prompt: msg.prompt, length: msg.length, temperature: msg.temperature, beam: msg.beam }, (token) => {
        buffer += token;
        timer ??= setTimeout(flush, TOKENS_BATCH_MS);
      });
      clearTimeout(timer);
      flush();
      this.post({ type: 'sampleDone', requestId, text: result.text });
    } catch (e) {
      clearTimeout(timer);
      this.post({ type: 'sampleError', requestId, message: (e as Error).message });
    }
  }

  // ---------------------------------------------------------------- from the run manager

  private onRunEvent(e: RunEvent): void {
    if (this.target.kind === 'compare') {
      if (this.target.runIds.includes(e.runId) && (e.kind === 'metrics' || e.kind === 'eval' || e.kind === 'status')) this.scheduleCompare();
      return;
    }
    if (e.runId !== this.target.runId || !this.ready) return;
    const runId = e.runId;
    if (this.pending.add(e)) {
      this.deltasTimer ??= setTimeout(() => this.flushDeltas(), DELTAS_BATCH_MS);
      return;
    }
    // Start-up progress has its own notification.
    if (e.kind !== 'status') return;
    // What came before the status reaches the page before it.
    this.flushDeltas();
    const record = this.deps.manager.getRecord(runId);
    if (!record) return;
    // A resumed run rewinds its history to the checkpoint: the page gets it whole again.
    if (record.state === 'training' && this.lastState === 'starting') {
      this.lastState = record.state;
      this.resend();
      return;
    }
    this.lastState = record.state;
    this.panel.title = this.title();
    const summary = summarizeRecord(this.deps.manager, runId);
    if (summary) this.post({ type: 'status', runId, summary, info: record.info, checkpoints: [...record.checkpoints], displayFiles: this.displayFiles(runId, summary.files) });
  }

  /** The run's files relative to the workspace folder that holds its run folder, for the page's header. */
  private displayFiles(runId: string, files: readonly string[]): string[] | undefined {
    const runDir = this.deps.manager.getRunDir(runId);
    return runDir ? displayPaths(files, runDir) : undefined;
  }

  private flushDeltas(): void {
    clearTimeout(this.deltasTimer);
    this.deltasTimer = undefined;
    const deltas = this.pending.take();
    if (deltas && this.target.kind === 'run') this.post({ type: 'deltas', runId: this.target.runId, ...deltas });
  }

  private scheduleCompare(): void {
    if (this.compareTimer || !this.ready) return;
    this.compareTimer = setTimeout(() => {
      this.compareTimer = undefined;
      this.resend();
    }, COMPARE_REFRESH_MS);
  }
}

function summarizeRecord(manager: RunManager, runId: string) {
  return manager.getSummaries().find((s) => s.id === runId);
}
