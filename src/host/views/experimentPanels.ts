/**
 * Every experiment panel of the window, one per experiment, the command that opens them and the
 * serializer that reopens them after a reload:
 *   sequenceLab.showExperiment(experimentId?) -> Promise<string | undefined> (the experiment shown)
 * The id is checked ([A-Za-z0-9_-]+) and its folder contained in `<workspace folder>/.seqlab/experiments`;
 * without one, a quick pick lists the workspace's experiments.
 */
import * as vscode from 'vscode';
import { readExperiment } from '../../core/experiments/experimentRecord';
import { isExperimentId, type ExperimentPanelState } from '../../protocol/experimentPanel';
import { Disposable } from '../base/dispose';
import { ExperimentPanel, type ExperimentPanelDeps } from './experimentPanel';
import { containExperimentDir, listExperimentIds } from './experimentPanelData';
import { webviewOptions } from './webviewHtml';

export const EXPERIMENT_PANEL_VIEW_TYPE = 'sequenceLab.experimentPanel';

export class ExperimentPanels extends Disposable implements vscode.WebviewPanelSerializer<ExperimentPanelState> {
  private readonly panels = new Set<ExperimentPanel>();

  constructor(private readonly deps: ExperimentPanelDeps) {
    super();
    this._register(vscode.window.registerWebviewPanelSerializer(EXPERIMENT_PANEL_VIEW_TYPE, this));
    this._register(vscode.commands.registerCommand('sequenceLab.showExperiment', (id?: unknown) => this.show(id)));
    this._register({
      dispose: () => {
        for (const p of [...this.panels]) p.dispose();
      },
    });
  }

  /** The experiment ids with an open panel (for tests). */
  get openExperimentIds(): string[] {
    return [...this.panels].map((p) => p.experimentId);
  }

  /** The open panel of an experiment, if any. */
  panelOf(experimentId: string): ExperimentPanel | undefined {
    return [...this.panels].find((p) => p.experimentId === experimentId);
  }

  private async show(id: unknown): Promise<string | undefined> {
    if (id === undefined) id = await pickExperiment();
    if (id === undefined) return undefined;
    const root = findRoot(id);
    if (!root.ok) {
      void vscode.window.showErrorMessage(`Sequence Lab: cannot show the experiment: ${root.reason}.`);
      return undefined;
    }
    const experimentId = id as string;
    const existing = this.panelOf(experimentId);
    if (existing) {
      existing.reveal();
      return experimentId;
    }
    const panel = vscode.window.createWebviewPanel(EXPERIMENT_PANEL_VIEW_TYPE, `Experiment ${experimentId}`, vscode.ViewColumn.Active, webviewOptions(this.deps.extensionUri));
    this.adopt(panel, experimentId, root.root);
    return experimentId;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: ExperimentPanelState | undefined): Promise<void> {
    // The state comes from the page: checked like any message.
    const root = isExperimentId(state?.experimentId) ? findRoot(state.experimentId) : undefined;
    if (!root?.ok || this.panelOf(state!.experimentId!)) {
      panel.dispose();
      return;
    }
    this.adopt(panel, state!.experimentId!, root.root);
  }

  private adopt(panel: vscode.WebviewPanel, experimentId: string, root: string): ExperimentPanel {
    const view = new ExperimentPanel(panel, experimentId, root, this.deps);
    this.panels.add(view);
    view.onDidDispose(() => this.panels.delete(view));
    return view;
  }
}

function workspaceRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/** The workspace folder holding experiment `id` (contained), or why there is none. */
function findRoot(id: unknown): { ok: true; root: string } | { ok: false; reason: string } {
  if (!isExperimentId(id)) return { ok: false, reason: `${JSON.stringify(String(id).slice(0, 80))} is not an experiment id (letters, digits, _ and - only)` };
  let reason = `no workspace folder has an experiment ${id}`;
  for (const root of workspaceRoots()) {
    const contained = containExperimentDir(root, id);
    if (contained.ok) return { ok: true, root };
    if (!/does not exist$/.test(contained.reason)) reason = contained.reason;
  }
  return { ok: false, reason };
}

/** A quick pick of the workspace's experiments, newest first; undefined when dismissed or there are none. */
async function pickExperiment(): Promise<string | undefined> {
  const items: (vscode.QuickPickItem & { id: string })[] = [];
  for (const root of workspaceRoots()) {
    for (const id of listExperimentIds(root).slice(0, 200)) {
      const contained = containExperimentDir(root, id);
      const read = contained.ok ? readExperiment(contained.dir) : undefined;
      if (read?.ok) items.push({ id, label: read.record.name, description: `${read.record.state} · ${read.record.runs.length} runs`, detail: id });
    }
  }
  if (!items.length) {
    void vscode.window.showInformationMessage('Sequence Lab: no experiments in this workspace yet.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder: 'Show which experiment?' }))?.id;
}
