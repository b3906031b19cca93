/**
 * Where runs live in the open workspace: `<folder>/.seqlab/runs` for every workspace folder. New runs go
 * to the folder that contains the file (else the first folder). Watches run.json files so the sidebar
 * follows runs written by the worker, the command line or another window. In Restricted Mode nothing is
 * written into run folders (recovery waits for trust).
 */
import * as vscode from 'vscode';
import { RUNS_FOLDER } from '../../core/runFiles';
import { Disposable } from '../base/dispose';
import type { RunManager } from './runManager';
import { setRecoveryMayWrite } from './runRecovery';
import { runsDirOf } from './runStore';
import { forgetRunsDirsExcept, onDidFindUnreadable } from './runListing';

export class WorkspaceRuns extends Disposable {
  private watchers: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly manager: RunManager) {
    super();
    setRecoveryMayWrite(() => vscode.workspace.isTrusted);
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.update()));
    // Runs a reload left live are marked interrupted once the workspace is trusted.
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.manager.recoverInterrupted()));
    // A run whose history failed the checks is listed again, now as unreadable.
    this._register(onDidFindUnreadable(() => this.scheduleRefresh()));
    this._register({ dispose: () => this.disposeWatchers() });
    this._register({ dispose: () => clearTimeout(this.refreshTimer) });
  }

  /** Reads the folders and watches them; resolves once the runs are listed. */
  async update(): Promise<void> {
    this.disposeWatchers();
    const folders = this.fileFolders();
    for (const folder of folders) {
      const pattern = new vscode.RelativePattern(folder, `${RUNS_FOLDER.replace(/\\/g, '/')}/*/run.json`);
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      const schedule = () => this.scheduleRefresh();
      this.watchers.push(watcher, watcher.onDidCreate(schedule), watcher.onDidChange(schedule), watcher.onDidDelete(schedule));
    }
    const runsDirs = folders.map((f) => runsDirOf(f.uri.fsPath));
    forgetRunsDirsExcept(runsDirs);
    await this.manager.setRunsDirs(runsDirs);
  }

  get hasWorkspace(): boolean {
    return this.fileFolders().length > 0;
  }

  /** The folder whose `.seqlab/runs` receives a run on `file`: the one containing it, else the first. */
  folderFor(file?: vscode.Uri): vscode.WorkspaceFolder | undefined {
    const containing = file ? vscode.workspace.getWorkspaceFolder(file) : undefined;
    if (containing && containing.uri.scheme === 'file') return containing;
    return this.fileFolders()[0];
  }

  runsDirFor(file?: vscode.Uri): string | undefined {
    const folder = this.folderFor(file);
    return folder ? runsDirOf(folder.uri.fsPath) : undefined;
  }

  private fileFolders(): readonly vscode.WorkspaceFolder[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  }

  /** run.json changes every few steps while a run trains: coalesce the re-reads. */
  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.manager.refresh();
    }, 500);
  }

  private disposeWatchers(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
  }
}
