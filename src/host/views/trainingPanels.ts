/**
 * Every training panel of the window: one per run, one for comparisons, and the serializer that
 * reopens them after a window reload from the state each page keeps (`PanelState`).
 */
import * as vscode from 'vscode';
import type { PanelState } from '../../protocol/panel';
import { isRunId } from '../../protocol/validate';
import { Disposable } from '../base/dispose';
import { TrainingPanel, type PanelDeps, type Target } from './trainingPanel';
import { webviewOptions } from './webviewHtml';

export const PANEL_VIEW_TYPE = 'sequenceLab.trainingPanel';

export class TrainingPanels extends Disposable implements vscode.WebviewPanelSerializer<PanelState> {
  private readonly panels = new Set<TrainingPanel>();

  constructor(private readonly deps: PanelDeps) {
    super();
    this._register(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, this));
    this._register({
      dispose: () => {
        for (const p of [...this.panels]) p.dispose();
      },
    });
    // A deleted run's panel has nothing left to show.
    this._register(deps.manager.onDidChangeRuns(() => this.closeDeleted()));
  }

  /** Opens (or reveals) the panel of a run. */
  open(runId: string, options: { preserveFocus?: boolean; viewColumn?: vscode.ViewColumn } = {}): TrainingPanel {
    const existing = [...this.panels].find((p) => p.runId === runId);
    if (existing) {
      existing.reveal(options.preserveFocus ?? false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Sequence Lab',
      { viewColumn: options.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: options.preserveFocus },
      webviewOptions(this.deps.extensionUri),
    );
    return this.adopt(panel, { kind: 'run', runId });
  }

  /** Opens the comparison panel (reusing it if open) on these runs. */
  openCompare(runIds: readonly string[]): TrainingPanel {
    const existing = [...this.panels].find((p) => p.isCompare);
    if (existing) {
      existing.showCompare(runIds);
      existing.reveal(false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Compare runs', vscode.ViewColumn.Active, webviewOptions(this.deps.extensionUri));
    return this.adopt(panel, { kind: 'compare', runIds });
  }

  /** The run ids with an open panel (for tests and the status bar). */
  get openRunIds(): string[] {
    return [...this.panels].map((p) => p.runId).filter((id): id is string => !!id);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PanelState | undefined): Promise<void> {
    // The state comes from the page: check it like any other message.
    const compareIds = Array.isArray(state?.compareIds) ? state.compareIds.filter(isRunId).slice(0, 8) : [];
    if (compareIds.length) {
      this.adopt(panel, { kind: 'compare', runIds: compareIds });
      return;
    }
    const runId = isRunId(state?.runId) ? state.runId : (this.deps.manager.activeRunId ?? this.deps.manager.getSummaries()[0]?.id);
    if (!runId) {
      panel.dispose();
      return;
    }
    this.adopt(panel, { kind: 'run', runId });
  }

  private adopt(panel: vscode.WebviewPanel, target: Target): TrainingPanel {
    const view = new TrainingPanel(panel, target, this.deps);
    this.panels.add(view);
    view.onDidDispose(() => this.panels.delete(view));
    return view;
  }

  private closeDeleted(): void {
    if (!this.deps.manager.hasListed) return;
    const known = new Set(this.deps.manager.getSummaries().map((s) => s.id));
    for (const p of [...this.panels]) if (p.runId && !known.has(p.runId) && !this.deps.manager.isLive(p.runId)) p.dispose();
  }
}
