/**
 * The long-lived objects the commands work with, constructed once in `activate`.
 */
import type * as vscode from 'vscode';
import type { EventLoopMonitor } from './eventLoopMonitor';
import type { RunManager } from './runManager';
import type { RunsViewProvider } from './runsView';
import type { TrainingPanels } from './trainingPanel';
import type { WorkspaceRuns } from './workspaceRuns';

export interface HostServices {
  readonly extensionUri: vscode.Uri;
  readonly manager: RunManager;
  readonly log: vscode.LogOutputChannel;
  readonly workspaceRuns: WorkspaceRuns;
  readonly panels: TrainingPanels;
  readonly runsView: RunsViewProvider;
  readonly loopMonitor: EventLoopMonitor;
}
