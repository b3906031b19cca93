/**
 * Where experiments live in the open workspace (`<folder>/.seqlab/experiments` for every workspace
 * folder), the list the sidebar shows (re-read when an experiment.json changes, whoever wrote it), and,
 * after a reload, the offer to resume an experiment the reload interrupted. In Restricted Mode nothing
 * is written: recovery waits for trust.
 */
import * as vscode from 'vscode';
import { EXPERIMENTS_FOLDER } from '../../core/experiments/experimentRecord';
import type { ExperimentEntry } from '../../protocol/sidebar';
import { Disposable } from '../base/dispose';
import { Emitter } from '../base/event';
import { guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import { experimentEntry, FINISHED } from './experimentListing';
import { experimentsDirOf } from './experimentPaths';
import type { ExperimentRunner } from './experimentRunner';

/** The list is re-read at most this often (experiment.json changes with every run state). */
const LIST_DELAY_MS = 300;

export class WorkspaceExperiments extends Disposable {
  private readonly _onDidChange = this._register(new Emitter<void>());
  /** The list of experiments changed. */
  readonly onDidChange = this._onDidChange.event;
  private watchers: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private cached: ExperimentEntry[] | undefined;

  constructor(
    private readonly runner: ExperimentRunner,
    private readonly log: Logger,
  ) {
    super();
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.update()));
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.recover()));
    this._register(runner.onDidChange(() => this.schedule()));
    this._register({ dispose: () => this.disposeWatchers() });
    this._register({ dispose: () => clearTimeout(this.timer) });
    this.update();
  }

  /** The experiments, newest first, as the sidebar lists them. */
  entries(): ExperimentEntry[] {
    this.cached ??= this.runner.list().map((f) => experimentEntry(f.record));
    return this.cached;
  }

  /** `.seqlab/experiments` of the folder holding `file` (else the first folder), or undefined without a folder. */
  experimentsDirFor(file?: vscode.Uri): string | undefined {
    const containing = file ? vscode.workspace.getWorkspaceFolder(file) : undefined;
    const folder = containing?.uri.scheme === 'file' ? containing : this.fileFolders()[0];
    return folder ? experimentsDirOf(folder.uri.fsPath) : undefined;
  }

  /**
   * After the runs are listed and recovered: experiments a reload left running are marked interrupted
   * and the user is offered to resume them. Not in Restricted Mode (nothing is written there).
   */
  recover(): void {
    if (!vscode.workspace.isTrusted) return;
    guarded(this.log, 'recovering experiments', () => {
      for (const { record } of this.runner.recoverInterrupted()) {
        const done = record.runs.filter((r) => r.state && FINISHED.includes(r.state)).length;
        this.log.info(`experiment ${record.id}: interrupted by the last reload (${done}/${record.runs.length} runs done)`);
        void vscode.window
          .showInformationMessage(`Sequence Lab: the experiment "${record.name}" was interrupted (${done} of ${record.runs.length} runs done). Resume it?`, 'Resume', 'Show')
          .then((choice) => {
            if (choice === 'Resume') void vscode.commands.executeCommand('sequenceLab.resumeExperiment', record.id);
            else if (choice === 'Show') void vscode.commands.executeCommand('sequenceLab.showExperiment', record.id);
          });
      }
      this.schedule();
    });
  }

  private update(): void {
    this.disposeWatchers();
    const folders = this.fileFolders();
    for (const folder of folders) {
      const pattern = new vscode.RelativePattern(folder, `${EXPERIMENTS_FOLDER.replace(/\\/g, '/')}/*/experiment.json`);
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      const schedule = () => this.schedule();
      this.watchers.push(watcher, watcher.onDidCreate(schedule), watcher.onDidChange(schedule), watcher.onDidDelete(schedule));
    }
    this.runner.setExperimentsDirs(folders.map((f) => experimentsDirOf(f.uri.fsPath)));
    this.schedule();
  }

  private schedule(): void {
    this.cached = undefined;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.cached = undefined;
      this._onDidChange.fire();
    }, LIST_DELAY_MS);
  }

  private fileFolders(): readonly vscode.WorkspaceFolder[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  }

  private disposeWatchers(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
  }
}
