/**
 * Quick picks over the workspace's runs, for commands invoked without a run id.
 */
import * as vscode from 'vscode';
import type { RunSummary } from '../../protocol/types';
import type { RunManager } from '../runs/runManager';
import { unreadableRuns } from '../runs/runListing';
import { runDescription } from '../views/statusText';

interface RunItem extends vscode.QuickPickItem {
  id: string;
}

function item(s: RunSummary): RunItem {
  return { id: s.id, label: s.name, description: runDescription(s), detail: s.reason ? `${s.id} · ${s.reason}` : s.id };
}

/**
 * One run matching `filter`: chosen without asking when exactly one matches and `autoPickSingle`, else
 * by quick pick. Tells the user (and resolves undefined) when none matches. Unreadable run folders are
 * offered only with `withUnreadable` (Delete: the one thing to do with them), never as a run.
 */
export async function pickRun(
  manager: RunManager,
  options: { placeHolder: string; filter?: (s: RunSummary) => boolean; none: string; autoPickSingle?: boolean; withUnreadable?: boolean },
): Promise<string | undefined> {
  const runs = manager.getSummaries().filter(options.filter ?? (() => true));
  const bad: RunItem[] = options.withUnreadable
    ? unreadableRuns()
        .filter((u) => u.deletable)
        .map((u) => ({ id: u.key, label: `$(warning) ${u.name}`, description: 'unreadable', detail: `${u.dir} · ${u.reason}` }))
    : [];
  if (bad.length) {
    const picked = await vscode.window.showQuickPick([...runs.map(item), ...bad], { placeHolder: options.placeHolder, matchOnDescription: true, matchOnDetail: true });
    return picked?.id;
  }
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(options.none);
    return undefined;
  }
  if (runs.length === 1 && options.autoPickSingle) return runs[0].id;
  const picked = await vscode.window.showQuickPick(runs.map(item), { placeHolder: options.placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.id;
}

export async function pickRuns(
  manager: RunManager,
  options: { placeHolder: string; filter?: (s: RunSummary) => boolean; none: string; min: number },
): Promise<string[] | undefined> {
  const runs = manager.getSummaries().filter(options.filter ?? (() => true));
  if (runs.length < options.min) {
    void vscode.window.showInformationMessage(options.none);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(runs.map(item), { placeHolder: options.placeHolder, canPickMany: true, matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.length < options.min) {
    void vscode.window.showInformationMessage(`Pick at least ${options.min} runs.`);
    return undefined;
  }
  return picked.map((p) => p.id);
}
