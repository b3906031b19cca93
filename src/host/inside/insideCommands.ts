/** "Inside the model" and out of it: Inspect Hidden Units, Generate Text, Export Model. */
import type * as vscode from 'vscode';
import type { HostServices } from '../base/services';
import { registerExportModel } from './exportModel';
import { registerGenerateText } from './generateText';
import { registerInspectHiddenUnits } from './inspectHiddenUnits';

export function registerInsideCommands(s: HostServices): vscode.Disposable[] {
  return [...registerInspectHiddenUnits(s), ...registerGenerateText(s), ...registerExportModel(s)];
}
