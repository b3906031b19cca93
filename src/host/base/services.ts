/**
 * The long-lived objects the commands work with, constructed once in `activate`.
 */
import type * as vscode from 'vscode';
import type { EventLoopMonitor } from './eventLoopMonitor';
import type { Logger } from './logger';
import type { RunManager } from '../runs/runManager';
import type { RunsViewProvider } from '../views/runsView';
import type { TrainingPanels } from '../views/trainingPanels';
import type { WorkspaceRuns } from '../runs/workspaceRuns';

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
