/**
 * The Runs sidebar (webview view `sequenceLab.runs`): every run of the workspace, the selected run's
 * details, and per-token surprisal from "inspect". Speaks `protocol/sidebar.ts`; every message from
 * the page is validated before use. Actions go through the extension's commands, so the sidebar and
 * the command palette behave the same.
 */
import * as vscode from 'vscode';
import { isSidebarToHost, type ExperimentEntry, type HostToSidebar, type RunDetails, type SidebarToHost, type UnreadableRunEntry } from '../../protocol/sidebar';
import { Disposable } from '../base/dispose';
import type { Event } from '../base/event';
import type { Logger } from '../base/logger';
import type { RunManager } from '../runs/runManager';
import { unreadableRuns } from '../runs/runListing';
import { getWebviewHtml, webviewOptions } from './webviewHtml';

export const RUNS_VIEW_ID = 'sequenceLab.runs';

/** The run list is re-sent at most this often while a run trains (every step changes its summary). */
const LIST_THROTTLE_MS = 500;

/** The workspace's experiments, listed beside the runs (src/host/experiments/workspaceExperiments.ts). */
export interface ExperimentSource {
  entries(): ExperimentEntry[];
  readonly onDidChange: Event<void>;
}

type Inspection = Extract<HostToSidebar, { type: 'inspection' | 'inspectionError' }>;

export class RunsViewProvider extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  private ready = false;
  private selected: string | undefined;
  private lastInspection: Inspection | undefined;
  private listTimer: NodeJS.Timeout | undefined;
  /** What the page was last told about the selected run (see `detailsSignature`). */
  private detailsSent: string | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly manager: RunManager,
    private readonly hasWorkspace: () => boolean,
    private readonly log: Logger,
    private readonly experiments?: ExperimentSource,
  ) {
    super();
    this._register(vscode.window.registerWebviewViewProvider(RUNS_VIEW_ID, this));
    if (experiments) this._register(experiments.onDidChange(() => this.sendExperiments()));
    this._register(manager.onDidChangeRuns(() => this.scheduleList()));
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.sendList()));
    this._register({
      dispose: () => {
        clearTimeout(this.listTimer);
        this.disposeView();
      },
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    view.webview.options = webviewOptions(this.extensionUri);
    view.webview.html = getWebviewHtml(view.webview, this.extensionUri, { kind: 'sidebar', title: 'Sequence Lab runs' });
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((msg: unknown) => void this.onMessage(msg)),
      view.onDidChangeVisibility(() => {
        // Hidden webviews cannot receive messages; the page says `ready` again when it comes back.
        if (!view.visible) this.ready = false;
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.ready = false;
        }
      }),
    );
  }

  /** Shows per-token surprisal in the sidebar, revealing it. */
  async showInspection(inspection: Inspection): Promise<void> {
    this.lastInspection = inspection;
    this.selected = inspection.runId;
    if (!this.view?.visible) {
      // Focusing the view resolves it if needed; its `ready` then replays the inspection.
      await vscode.commands.executeCommand(`${RUNS_VIEW_ID}.focus`);
    } else {
      this.post(inspection);
    }
  }

  private post(msg: HostToSidebar): void {
    if (!this.view || !this.ready) return;
    void this.view.webview.postMessage(msg).then(undefined, (e: Error) => this.log.warn(`sidebar: postMessage failed: ${e.message}`));
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isSidebarToHost(raw)) {
      this.log.warn(`sidebar: dropped an invalid message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const msg: SidebarToHost = raw;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.sendList();
        this.sendExperiments();
        // Opening the view lists the runs folders again: a folder without run.json (unreadable) wakes no watcher.
        void this.manager.refresh();
        if (this.selected) await this.sendDetails(this.selected);
        if (this.lastInspection) this.post(this.lastInspection);
        return;
      case 'train':
        await vscode.commands.executeCommand('sequenceLab.trainOnFile');
        return;
      case 'compare':
        await vscode.commands.executeCommand('sequenceLab.compareRuns', msg.runIds);
        return;
      case 'inspect':
        await vscode.commands.executeCommand('sequenceLab.inspectText', msg.runId, msg.text);
        return;
      case 'run':
        return this.onRunAction(msg.action, msg.runId);
      case 'experiment':
        return this.onExperimentAction(msg.action, msg.experimentId);
    }
  }

  private async onExperimentAction(action: Extract<SidebarToHost, { type: 'experiment' }>['action'], id: string): Promise<void> {
    const command = { open: 'showExperiment', cancel: 'cancelExperiment', resume: 'resumeExperiment', delete: 'deleteExperiment' }[action];
    // From the UI, Delete always confirms (naming the folder).
    await vscode.commands.executeCommand(`sequenceLab.${command}`, id, ...(action === 'delete' ? [{ confirm: true }] : []));
  }

  private sendExperiments(): void {
    if (this.experiments) this.post({ type: 'experiments', experiments: this.experiments.entries() });
  }

  private async onRunAction(action: Extract<SidebarToHost, { type: 'run' }>['action'], runId: string): Promise<void> {
    switch (action) {
      case 'select':
        this.selected = runId;
        return this.sendDetails(runId);
      case 'open':
        await vscode.commands.executeCommand('sequenceLab.openPanel', runId);
        return;
      case 'resume':
        await vscode.commands.executeCommand('sequenceLab.resumeRun', runId);
        return;
      case 'stop':
        await vscode.commands.executeCommand('sequenceLab.stop', runId);
        return;
      case 'delete':
        // From the UI: always confirm.
        await vscode.commands.executeCommand('sequenceLab.deleteRun', runId, { confirm: true });
        return;
      case 'reveal':
        await vscode.commands.executeCommand('sequenceLab.openRunFolder', runId);
        return;
      case 'sample':
        await vscode.commands.executeCommand('sequenceLab.sample', runId);
        return;
    }
  }

  private scheduleList(): void {
    if (this.listTimer) return;
    this.listTimer = setTimeout(() => {
      this.listTimer = undefined;
      this.sendList();
      // The selected live run's details change with its state and checkpoints, not with every step.
      const selected = this.selected;
      const summary = selected ? this.manager.getSummaries().find((s) => s.id === selected) : undefined;
      const record = selected ? this.manager.getRecord(selected) : undefined;
      if (selected && summary && record && detailsSignature({ summary, info: record.info, checkpoints: record.checkpoints }) !== this.detailsSent) {
        void this.sendDetails(selected);
      }
    }, LIST_THROTTLE_MS);
  }

  private sendList(): void {
    const unreadable: UnreadableRunEntry[] = unreadableRuns().map((u) => ({
      key: u.key,
      name: u.name,
      folder: vscode.workspace.asRelativePath(u.dir, true),
      reason: u.reason,
      deletable: u.deletable,
    }));
    this.post({ type: 'runs', runs: this.manager.getSummaries(), trusted: vscode.workspace.isTrusted, hasWorkspace: this.hasWorkspace(), unreadable });
  }

  private async sendDetails(runId: string): Promise<void> {
    const record = this.manager.getRecord(runId);
    const dir = this.manager.getRunDir(runId);
    const summary = this.manager.getSummaries().find((s) => s.id === runId);
    if (!record || !dir || !summary) return;
    const details: RunDetails = {
      summary,
      config: record.config,
      info: record.info,
      checkpoints: [...record.checkpoints],
      folder: vscode.workspace.asRelativePath(dir, true),
    };
    this.detailsSent = detailsSignature(details);
    this.post({ type: 'details', details });
  }

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
  }
}

/** The parts of a run's details that change while it trains, apart from the step. */
function detailsSignature(d: Pick<RunDetails, 'summary' | 'info' | 'checkpoints'>): string {
  return [d.summary.id, d.summary.state, d.summary.reason ?? '', d.summary.bestValLoss ?? '', d.info?.paramCount ?? '', d.checkpoints.length].join('|');
}
