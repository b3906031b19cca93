/**
 * The walkthrough's sample text: an excerpt of *The Time Machine* shipped in media/walkthrough, copied
 * into the workspace folder (runs train on workspace files) and opened, so "Train on the Open File"
 * has something to train on.
 *   sequenceLab.openSampleText() -> Promise<string | undefined>: the path of the opened file
 */
import * as vscode from 'vscode';
import type { HostServices } from '../base/services';

export const SAMPLE_TEXT = 'timemachine-excerpt.txt';

export function registerSampleTextCommand(s: HostServices): vscode.Disposable {
  return vscode.commands.registerCommand('sequenceLab.openSampleText', async () => {
    const source = vscode.Uri.joinPath(s.extensionUri, 'media', 'walkthrough', SAMPLE_TEXT);
    const folder = s.workspaceRuns.folderFor();
    // Without a folder there is nowhere to keep runs: show the bundled text, read-only.
    const target = folder ? vscode.Uri.joinPath(folder.uri, SAMPLE_TEXT) : source;
    if (folder) {
      const exists = await vscode.workspace.fs.stat(target).then(
        () => true,
        () => false,
      );
      // A file of that name is the user's: opened as it is, never overwritten.
      if (!exists) await vscode.workspace.fs.copy(source, target);
    }
    await vscode.window.showTextDocument(target, { preview: false });
    return target.fsPath;
  });
}
