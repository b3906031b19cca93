/**
 * The long-lived objects the commands work with, constructed once in `activate`.
 */
import type * as vscode from 'vscode';
import type { EventLoopMonitor } from './eventLoopMonitor';
import type { Logger } from './logger';
import type { RunManager } from './runManager';
import type { RunsViewProvider } from './runsView';
import type { TrainingPanels } from './trainingPanels';
import type { WorkspaceRuns } from './workspaceRuns';

export interface HostServices {
  readonly extensionUri: vscode.Uri;
  readonly manager: RunManager;
  readonly log: Logger;
  /** The "Sequence Lab" output channel itself, to show it. */
  readonly channel: vscode.LogOutputChannel;
  readonly workspaceRuns: WorkspaceRuns;
  readonly panels: TrainingPanels;
  readonly runsView: RunsViewProvider;
  readonly loopMonitor: EventLoopMonitor;
}
