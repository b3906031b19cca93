/**
 * Untrusted workspaces: runs can be browsed, but nothing that reads the workspace's files into a worker
 * (training, sampling, inspection) starts. The refusal says why and offers to manage trust.
 */
import * as vscode from 'vscode';

const MANAGE = 'Manage Workspace Trust';

/** True when the workspace is trusted; otherwise explains the refusal (without waiting for the user). */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(
      `Sequence Lab cannot ${what} in Restricted Mode: training and sampling run code over this workspace's files. Trust the workspace to enable them; existing runs stay viewable.`,
      MANAGE,
    )
    .then((choice) => {
      if (choice === MANAGE) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}
