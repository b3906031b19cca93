/**
 * The status bar item while a run is queued, starting or training:
 * "$(pulse) LSTM step 120/1000 · loss 1.93 · 4.1k tok/s"; a click opens the run's panel.
 */
import * as vscode from 'vscode';
import { Disposable } from '../base/dispose';
import type { RunManager } from '../runs/runManager';
import { SECTION, showStatusBar } from '../base/settings';
import { formatDuration, modelLabel, statusBarText } from './statusText';

/** Metrics arrive every step; the item is redrawn at most this often. */
const UPDATE_MS = 500;

export class RunStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private timer: NodeJS.Timeout | undefined;
  private phase: string | undefined;

  constructor(private readonly manager: RunManager) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('sequenceLab.status', vscode.StatusBarAlignment.Left, 10));
    this.item.name = 'Sequence Lab';
    this._register(manager.onDidChangeRuns(() => this.schedule()));
    this._register(
      manager.onRunEvent((e) => {
        if (e.kind === 'progress') {
          this.phase = e.message;
          this.schedule();
        }
      }),
    );
    this._register(
      manager.onDidChangeActive(() => {
        this.phase = undefined;
        this.update();
      }),
    );
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SECTION}.showStatusBar`) && this.update()));
    this._register({ dispose: () => clearTimeout(this.timer) });
    this.update();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, UPDATE_MS);
  }

  private update(): void {
    const runId = this.manager.activeRunId;
    const summary = runId ? this.manager.getSummaries().find((s) => s.id === runId) : undefined;
    if (!runId || !summary || !showStatusBar()) {
      this.item.hide();
      return;
    }
    const last = this.manager.lastMetric(runId);
    this.item.text = statusBarText(summary, last, this.manager.queuedRunIds.length, this.phase);
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendText(`${summary.name} — ${modelLabel(summary)}, ${summary.level}-level\n`);
    tooltip.appendText(`State: ${summary.state}; step ${summary.step} of ${summary.steps}`);
    if (last) tooltip.appendText(`; ${formatDuration(last.elapsedMs)} elapsed`);
    tooltip.appendMarkdown('\n\nClick to open the training panel.');
    this.item.tooltip = tooltip;
    this.item.command = { title: 'Open Training Panel', command: 'sequenceLab.openPanel', arguments: [runId] };
    this.item.show();
  }
}
