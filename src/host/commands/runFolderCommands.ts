/**
 * Commands that act on a run's folder, which may have come with the repository (untrusted):
 *   sequenceLab.resumeRun(runId?, { allowOutsideFiles?, allowChangedText? }?)
 *                                                 -> Promise<string | undefined> (a run naming files outside the
 *                                                    workspace asks first; allowOutsideFiles answers for tests;
 *                                                    allowChangedText continues a run whose text changed since
 *                                                    its checkpoint as fine-tuning, which otherwise is asked)
 *   sequenceLab.deleteRun(runId?, { confirm? }?)  -> Promise<boolean> (asks first when picked in the UI or confirm: true);
 *                                                    runId may be an unreadable folder's key (see runStore.unreadableRuns)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isRecord } from '../../protocol/validate';
import type { HostServices } from '../base/services';
import { maxFileSizeBytes } from '../base/settings';
import { requireTrust } from '../base/trust';
import { checkInputFiles, describeInputProblem } from '../runs/inputFiles';
import { runDirProblem } from '../runs/runPaths';
import { checkpointFolder, latestCheckpoint } from '../runs/runStore';
import { deleteUnreadable, findUnreadable, readRunFolderAsync, type UnreadableRun } from '../runs/runListing';
import { commandErrorText, refuse, RESUMABLE, validId } from './commandArgs';
import { pickRun } from './runPicker';

export function registerRunFolderCommands(s: HostServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('sequenceLab.resumeRun', async (runId?: unknown, options?: unknown) => {
      if (!requireTrust('resume training')) return undefined;
      const id =
        validId(runId) ??
        (await pickRun(s.manager, {
          placeHolder: 'Resume which run?',
          filter: (r) => RESUMABLE.includes(r.state) && !s.manager.isLive(r.id),
          none: 'No stopped, interrupted or failed run to resume.',
        }));
      if (!id) return undefined;
      const record = s.manager.getRecord(id);
      if (!record) {
        const bad = findUnreadable(id);
        return refuse(bad ? `cannot resume ${bad.name}: it is unreadable (${bad.reason}).` : `run ${id} was not found.`);
      }
      const dir = s.manager.getRunDir(id);
      const contained = dir ? runDirProblem(dir) : undefined;
      if (contained) return refuse(`cannot resume ${record.name}: ${contained}`);
      // Its logs are read again on resume: one that fails the checks makes the run unreadable (and listed so).
      const history = dir ? await readRunFolderAsync(dir) : undefined;
      if (history && !history.ok) return refuse(`cannot resume ${record.name}: it is unreadable (${history.reason}).`);
      // Its latest checkpoint must be checkpoints/step-NNNNNNN inside the run folder, not a link out of it.
      const checkpoint = latestCheckpoint(record);
      if (dir && checkpoint) {
        try {
          checkpointFolder(dir, checkpoint);
        } catch (e) {
          return refuse(`cannot resume ${record.name}: ${commandErrorText(e)}`);
        }
      }
      // run.json names the files a run reads, and a run folder can come from anyone: outside the workspace, ask first.
      const outside = filesOutsideWorkspace(record.files);
      if (outside.length) {
        const given = isRecord(options) && typeof options.allowOutsideFiles === 'boolean' ? options.allowOutsideFiles : undefined;
        const allowed =
          given ??
          (await vscode.window.showWarningMessage(
            `Run "${record.name}" reads ${outside.length === 1 ? 'a file' : `${outside.length} files`} outside this workspace: ${outside.slice(0, 3).join(', ')}${outside.length > 3 ? ', ...' : ''}. Read ${outside.length === 1 ? 'it' : 'them'} to resume?`,
            {
              modal: true,
              detail:
                'A run folder lists the files it trains on in its run.json, and a run folder that came with a repository can list any file on your disk. Continue only if you made this run.',
            },
            'Read and Resume',
          )) === 'Read and Resume';
        if (!allowed) return refuse(`did not resume ${record.name}: it reads files outside the workspace (${outside.slice(0, 3).join(', ')}).`);
      }
      const maxBytes = maxFileSizeBytes(vscode.Uri.file(record.files[0] ?? ''));
      const check = await checkInputFiles(record.files, maxBytes);
      if (!check.ok && check.problem.kind !== 'tooLarge') return refuse(`cannot resume ${record.name}: ${describeInputProblem(check.problem)} Resuming reads the same text again.`);
      // A file above the limit was trained on its first maxBytes (the only way it could start): read it the same way.
      const truncate = !check.ok;
      try {
        const allowChangedText = isRecord(options) && options.allowChangedText === true;
        const { fromStep } = await s.manager.resume(id, { maxBytes, truncate, allowChangedText });
        s.log.info(`run ${id}: resuming from step ${fromStep}`);
      } catch (e) {
        return refuse(commandErrorText(e));
      }
      s.panels.open(id, { preserveFocus: true, viewColumn: vscode.ViewColumn.Beside });
      return id;
    }),

    vscode.commands.registerCommand('sequenceLab.deleteRun', async (runId?: unknown, options?: unknown) => {
      const given = validId(runId);
      const id = given ?? (await pickRun(s.manager, { placeHolder: 'Delete which run?', none: 'No runs to delete.', withUnreadable: true }));
      if (!id) return false;
      const confirm = isRecord(options) && typeof options.confirm === 'boolean' ? options.confirm : given === undefined;
      const record = s.manager.getRecord(id);
      const bad = record ? undefined : findUnreadable(id);
      if (bad) return deleteUnreadableRun(s, bad, confirm);
      const dir = s.manager.getRunDir(id);
      if (!dir) {
        refuse(`run ${id} was not found.`);
        return false;
      }
      // Only a real folder directly inside .seqlab/runs: never a link's target.
      const contained = runDirProblem(dir);
      if (contained) {
        refuse(`will not delete run ${id}: ${contained}`);
        return false;
      }
      if (confirm) {
        const live = s.manager.isLive(id) ? ' It is training or queued and will be stopped first.' : '';
        const choice = await vscode.window.showWarningMessage(
          `Delete run "${record?.name ?? id}"?`,
          { modal: true, detail: `This deletes the folder ${dir} and everything in it (metrics, samples and checkpoints).${live}` },
          'Delete',
        );
        if (choice !== 'Delete') return false;
      }
      try {
        await s.manager.delete(id);
        return true;
      } catch (e) {
        refuse(`could not delete run ${id}: ${commandErrorText(e)}`);
        return false;
      }
    }),
  ];
}

/** Deletes an unreadable run folder (a real folder only), after naming it exactly when `confirm`. */
async function deleteUnreadableRun(s: HostServices, bad: UnreadableRun, confirm: boolean): Promise<boolean> {
  if (!bad.deletable) {
    refuse(`will not delete ${bad.dir}: ${bad.reason}. Sequence Lab deletes only real folders inside .seqlab/runs; remove it yourself.`);
    return false;
  }
  if (confirm) {
    const choice = await vscode.window.showWarningMessage(
      `Delete the unreadable run folder "${bad.name}"?`,
      { modal: true, detail: `This deletes the folder ${bad.dir} and everything in it. It could not be read: ${bad.reason}.` },
      'Delete',
    );
    if (choice !== 'Delete') return false;
  }
  try {
    await deleteUnreadable(bad);
    s.log.info(`unreadable run folder ${bad.dir}: deleted`);
    await s.manager.refresh();
    return true;
  } catch (e) {
    refuse(`could not delete ${bad.dir}: ${commandErrorText(e)}`);
    return false;
  }
}

/** The files of `files` that are not inside a workspace folder once links are resolved (relative paths count as outside). */
function filesOutsideWorkspace(files: readonly string[]): string[] {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => real(f.uri.fsPath));
  return files.filter((file) => {
    if (!path.isAbsolute(file)) return true;
    const resolved = real(file);
    return !roots.some((root) => {
      const rel = path.relative(root, resolved);
      return rel !== '' && rel.split(path.sep)[0] !== '..' && !path.isAbsolute(rel);
    });
  });
}
