/**
 * Turns the run manager's notices (a crash, an input error, a divergence) into notifications with
 * actions. Never awaited by the code that raised them: a notification may stay open indefinitely.
 */
import * as vscode from 'vscode';
import { Disposable } from '../base/dispose';
import { guarded } from '../base/guarded';
import type { NoticeAction, RunManager, RunNotice } from '../runs/runManager';

const LABELS: Record<NoticeAction, string> = {
  resume: 'Resume',
  showLog: 'Show Log',
  openPanel: 'Open Panel',
  kill: 'Stop (kill the worker)',
  fineTune: 'Continue as Fine-Tuning',
};

export class RunNotices extends Disposable {
  constructor(
    private readonly manager: RunManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(manager.onNotice((n) => guarded(log, 'showing a notification', () => this.show(n))));
  }

  private async show(notice: RunNotice): Promise<void> {
    const show =
      notice.severity === 'error' ? vscode.window.showErrorMessage : notice.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const labels = notice.actions.map((a) => LABELS[a]);
    const choice = await show(`Sequence Lab: ${notice.message}`, ...labels);
    const action = notice.actions.find((a) => LABELS[a] === choice);
    if (!action) return;
    if (action === 'showLog') this.log.show(true);
    else if (action === 'resume') await vscode.commands.executeCommand('sequenceLab.resumeRun', notice.runId);
    else if (action === 'openPanel') await vscode.commands.executeCommand('sequenceLab.openPanel', notice.runId);
    else if (action === 'kill' && notice.runId) await this.manager.killWorker(notice.runId);
    else if (action === 'fineTune') await vscode.commands.executeCommand('sequenceLab.resumeRun', notice.runId, { allowChangedText: true });
  }
}
