/**
 * Commands on existing runs. Each takes the run id as its first argument (tests and the views pass it)
 * and otherwise picks a sensible run or asks with a quick pick:
 *   sequenceLab.stop(runId?)                      -> Promise<boolean>
 *   sequenceLab.pauseResume(runId?)               -> Promise<'paused' | 'training' | undefined> (the state asked for)
 *   sequenceLab.openPanel(runId?)                 -> Promise<string | undefined> (the run shown)
 *   sequenceLab.compareRuns(runIds?)              -> Promise<string[] | undefined>
 *   sequenceLab.openRunFolder(runId?)             -> Promise<string | undefined> (the folder)
 *   sequenceLab.getDiagnostics({ refresh? }?)     -> { eventLoop, activeRunId, queued, unreadable } (for tests and bug reports;
 *                                                    refresh: true lists the runs folders again first)
 * Sampling and inspecting are in modelCommands.ts, resuming and deleting in runFolderCommands.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isRecord, isRunId } from '../../protocol/validate';
import type { HostServices } from '../base/services';
import { unreadableRuns } from '../runs/runListing';
import { LIVE, validId } from './commandArgs';
import { registerModelCommands } from './modelCommands';
import { registerRunFolderCommands } from './runFolderCommands';
import { pickRun, pickRuns } from './runPicker';

export function registerRunCommands(s: HostServices): vscode.Disposable[] {
  return [
    ...registerModelCommands(s),
    ...registerRunFolderCommands(s),

    vscode.commands.registerCommand('sequenceLab.stop', async (runId?: unknown) => {
      const id =
        validId(runId) ??
        (await pickRun(s.manager, { placeHolder: 'Stop which run?', filter: (r) => s.manager.isLive(r.id), none: 'No run is training or queued.', autoPickSingle: true }));
      if (!id) return false;
      await s.manager.stop(id);
      return true;
    }),

    vscode.commands.registerCommand('sequenceLab.pauseResume', async (runId?: unknown) => {
      const id = validId(runId) ?? s.manager.activeRunId;
      const state = id ? s.manager.getRecord(id)?.state : undefined;
      if (!id || id !== s.manager.activeRunId || (state !== 'training' && state !== 'paused')) {
        void vscode.window.showInformationMessage('Sequence Lab: no run is training now.');
        return undefined;
      }
      const action = state === 'paused' ? 'resume' : 'pause';
      s.manager.control(id, action);
      return action === 'pause' ? 'paused' : 'training';
    }),

    vscode.commands.registerCommand('sequenceLab.openPanel', async (runId?: unknown) => {
      const id = validId(runId) ?? s.manager.activeRunId ?? s.manager.getSummaries()[0]?.id;
      if (!id) {
        void vscode.window.showInformationMessage('Sequence Lab: no runs yet. Right-click a text file and choose "Train Language Model on File".');
        return undefined;
      }
      s.panels.open(id);
      return id;
    }),

    vscode.commands.registerCommand('sequenceLab.compareRuns', async (runIds?: unknown) => {
      const given = Array.isArray(runIds) ? runIds.filter(isRunId).slice(0, 8) : [];
      const ids = given.length
        ? given
        : await pickRuns(s.manager, {
            placeHolder: 'Pick the runs to overlay (two or more)',
            filter: (r) => r.step > 0,
            none: 'Comparing needs at least two runs that have trained.',
            min: 2,
          });
      if (!ids?.length) return undefined;
      s.panels.openCompare(ids);
      return ids;
    }),

    vscode.commands.registerCommand('sequenceLab.openRunFolder', async (runId?: unknown) => {
      const id = validId(runId) ?? (await pickRun(s.manager, { placeHolder: 'Open the folder of which run?', none: 'No runs yet.' }));
      const dir = id ? s.manager.getRunDir(id) : undefined;
      if (!dir) return undefined;
      const readme = vscode.Uri.file(path.join(dir, 'README.md'));
      await vscode.commands.executeCommand('revealInExplorer', readme);
      await vscode.window.showTextDocument(readme, { preview: true, preserveFocus: true });
      return dir;
    }),

    vscode.commands.registerCommand('sequenceLab.getDiagnostics', async (options?: unknown) => {
      // { refresh: true } (tests): list the runs folders again first, not waiting on the file watcher.
      if (isRecord(options) && options.refresh === true) await s.manager.refresh();
      return diagnostics(s);
    }),
  ];
}

function diagnostics(s: HostServices) {
  return {
    eventLoop: s.loopMonitor.snapshot(),
    activeRunId: s.manager.activeRunId,
    queued: s.manager.queuedRunIds,
    liveStates: s.manager
      .getSummaries()
      .filter((r) => LIVE.includes(r.state))
      .map((r) => ({ id: r.id, state: r.state })),
    unreadable: unreadableRuns().map((u) => ({ key: u.key, dir: u.dir, reason: u.reason, deletable: u.deletable })),
  };
}
