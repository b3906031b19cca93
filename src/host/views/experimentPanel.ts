/**
 * One experiment panel: the webview of one experiment. The host reads the experiment and its runs'
 * folders (experimentPanelData.ts), builds the view (experimentPanelView.ts) and sends it whole when the
 * page says `ready`, then again whenever a run of it or its experiment.json changes, at most once per
 * REFRESH_MS and never two reads at once. Cancel and Resume go to the experiment runner's commands;
 * the table is exported to the clipboard or an untitled document (nothing written to disk here).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXPERIMENTS_FOLDER } from '../../core/experiments/experimentRecord';
import { resultsCsv, resultsMarkdown, type ResultRow } from '../../core/experiments/resultsTable';
import { isExperimentPanelToHost, type ExperimentPanelState, type ExperimentPanelToHost, type HostToExperimentPanel } from '../../protocol/experimentPanel';
import { Disposable } from '../base/dispose';
import { Emitter } from '../base/event';
import { errorText, guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import type { RunManager } from '../runs/runManager';
import { loadExperiment } from './experimentPanelData';
import { buildExperimentView } from './experimentPanelView';
import { getWebviewHtml, webviewOptions } from './webviewHtml';

/**
 * A training run reports every step: the panel re-reads its experiment at most this often, and at
 * most a fifth of the time (a long experiment's logs take a while to read).
 */
export const REFRESH_MS = 1000;
const READ_SHARE = 5;
/** experiment.json's size and time are also polled this often: file watchers miss changes on some setups (seen in code-server's host). */
const POLL_MS = 2000;

export interface ExperimentPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly manager: RunManager;
  readonly log: Logger;
}

export class ExperimentPanel extends Disposable {
  private readonly _onDidDispose = this._register(new Emitter<void>());
  readonly onDidDispose = this._onDidDispose.event;
  private readonly _onDidRefresh = this._register(new Emitter<void>());
  /** The page was sent a fresh view (tests wait on it). */
  readonly onDidRefresh = this._onDidRefresh.event;

  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private readAgain = false;
  /** The runs of the experiment as last read: run events of other runs are ignored. */
  private runIds = new Set<string>();
  private rows: ResultRow[] = [];
  private name = '';
  private lastReadMs = 0;
  private fileStamp: string | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly experimentId: string,
    /** The workspace folder holding `.seqlab/experiments/<id>`. */
    readonly root: string,
    private readonly deps: ExperimentPanelDeps,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'icon.svg');
    panel.webview.options = webviewOptions(deps.extensionUri);
    panel.title = `Experiment ${experimentId}`;
    const state: ExperimentPanelState = { experimentId };
    panel.webview.html = getWebviewHtml(panel.webview, deps.extensionUri, { kind: 'experiment', title: panel.title, state });
    this._register(panel.webview.onDidReceiveMessage((msg: unknown) => this.onMessage(msg)));
    this._register(panel.onDidDispose(() => this.dispose()));
    // A hidden webview cannot receive messages; it says `ready` again when shown.
    this._register(panel.onDidChangeViewState(() => !panel.visible && (this.ready = false)));
    this._register(deps.manager.onDidChangeRuns(() => this.schedule()));
    this._register(deps.manager.onRunEvent((e) => this.runIds.has(e.runId) && this.schedule()));
    const file = `${EXPERIMENTS_FOLDER.split(path.sep).join('/')}/${experimentId}/experiment.json`;
    const watcher = this._register(
      vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root)) ?? vscode.Uri.file(root), file)),
    );
    for (const on of [watcher.onDidChange, watcher.onDidCreate, watcher.onDidDelete]) this._register(on(() => this.schedule()));
    const poll = setInterval(() => guarded(deps.log, 'experiment panel: polling experiment.json', () => this.poll(path.join(root, file))), POLL_MS);
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.schedule()));
    this._register({
      dispose: () => {
        clearTimeout(this.timer);
        clearInterval(poll);
      },
    });
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this._onDidDispose.fire();
    super.dispose();
    this.panel.dispose();
  }

  private post(msg: HostToExperimentPanel): void {
    if (!this.ready || this.isDisposed) return;
    void this.panel.webview.postMessage(msg).then(undefined, (e: Error) => this.deps.log.warn(`experiment panel: postMessage failed: ${e.message}`));
  }

  private onMessage(raw: unknown): void {
    if (!isExperimentPanelToHost(raw)) {
      this.deps.log.warn(`experiment panel: dropped an invalid message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const msg: ExperimentPanelToHost = raw;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.refreshNow();
        return;
      case 'action':
        if (!vscode.workspace.isTrusted || msg.experimentId !== this.experimentId) return;
        // The experiment runner's commands; they refresh this panel through experiment.json and the runs.
        guarded(this.deps.log, `experiment panel: ${msg.action}`, () => vscode.commands.executeCommand(`sequenceLab.${msg.action}Experiment`, this.experimentId));
        return;
      case 'export':
        if (msg.experimentId !== this.experimentId) return;
        guarded(this.deps.log, 'experiment panel: export', () => this.exportTable(msg.format, msg.target));
        return;
    }
  }

  private async exportTable(format: 'csv' | 'markdown', target: 'clipboard' | 'document'): Promise<void> {
    const text = format === 'csv' ? resultsCsv(this.rows) : `## ${this.name}\n\n${resultsMarkdown(this.rows)}`;
    if (target === 'clipboard') {
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage(`Sequence Lab: the results table (${this.rows.length} runs) is on the clipboard as ${format === 'csv' ? 'CSV' : 'Markdown'}.`);
      return;
    }
    // Untitled: the user decides whether and where to save it.
    const doc = await vscode.workspace.openTextDocument({ content: text, language: format === 'csv' ? 'csv' : 'markdown' });
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  /** A change of experiment.json's size, time or inode (an atomic rewrite) schedules a read; lstat only, never followed. */
  private async poll(file: string): Promise<void> {
    if (!this.ready) return;
    const st = await fs.promises.lstat(file).catch(() => undefined);
    const stamp = st ? `${st.size}:${st.mtimeMs}:${st.ino}` : '-';
    if (this.fileStamp !== undefined && stamp !== this.fileStamp) this.schedule();
    this.fileStamp = stamp;
  }

  /** Debounced: the first change starts the timer, later ones within it ride along. */
  private schedule(): void {
    if (this.timer || this.isDisposed) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.refreshNow();
      },
      Math.max(REFRESH_MS, READ_SHARE * this.lastReadMs),
    );
  }

  /** One read at a time; a change during a read reads once more after it. */
  private refreshNow(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    const started = Date.now();
    guarded(
      this.deps.log,
      `experiment panel ${this.experimentId}: reading`,
      async () => {
        try {
          await this.send();
        } finally {
          this.reading = false;
          this.lastReadMs = Date.now() - started;
          if (this.readAgain) {
            this.readAgain = false;
            this.schedule();
          }
        }
      },
      (e) => this.post({ type: 'empty', message: `The experiment could not be read: ${errorText(e)}` }),
    );
  }

  private async send(): Promise<void> {
    const { manager } = this.deps;
    const loaded = await loadExperiment(this.root, this.experimentId, (runId) => (manager.isLive(runId) ? manager.getRecord(runId)?.state : undefined));
    if (this.isDisposed) return;
    if (!loaded.ok) {
      this.runIds = new Set();
      this.post({ type: 'empty', message: `Experiment ${this.experimentId} cannot be shown: ${loaded.reason}.` });
      this._onDidRefresh.fire();
      return;
    }
    const { view, rows } = buildExperimentView(loaded.record, loaded.runs, !vscode.workspace.isTrusted);
    this.runIds = new Set(loaded.record.runs.map((r) => r.runId).filter((id): id is string => !!id));
    this.rows = rows;
    this.name = view.name;
    this.panel.title = `${view.name} (${view.done}/${view.total})`;
    this.post({ type: 'experiment', experimentId: this.experimentId, view });
    this._onDidRefresh.fire();
  }
}
