/**
 * A notification with progress and Cancel while a run starts up (backend, reading, tokenizing,
 * building): from the moment its worker is spawned until it reports `started` (or ends). Cancel
 * stops the run; a worker stuck in a long phase is killed by the run manager.
 */
import * as vscode from 'vscode';
import { Disposable } from '../base/dispose';
import type { RunManager } from '../runs/runManager';

export class StartupProgress extends Disposable {
  constructor(private readonly manager: RunManager) {
    super();
    this._register(manager.onDidChangeActive((runId) => runId && this.show(runId)));
  }

  private show(runId: string): void {
    const name = this.manager.getRecord(runId)?.name ?? runId;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sequence Lab: starting ${name}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          const subscriptions: vscode.Disposable[] = [];
          const done = () => {
            for (const s of subscriptions.splice(0)) s.dispose();
            resolve();
          };
          subscriptions.push(
            this.manager.onRunEvent((e) => {
              if (e.runId !== runId) return;
              if (e.kind === 'progress') progress.report({ message: e.message });
              else if (e.kind === 'status' && this.manager.getRecord(runId)?.state !== 'starting') done();
            }),
            this.manager.onDidChangeActive((active) => active !== runId && done()),
            token.onCancellationRequested(() => {
              void this.manager.stop(runId);
              done();
            }),
          );
          // Started (or gone) before we subscribed.
          if (this.manager.activeRunId !== runId || this.manager.getRecord(runId)?.state !== 'starting') done();
        }),
    );
  }
}
