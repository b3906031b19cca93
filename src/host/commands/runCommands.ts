/**
 * Commands on existing runs. Each takes the run id as its first argument (tests and the views pass it)
 * and otherwise picks a sensible run or asks with a quick pick:
 *   sequenceLab.stop(runId?)                      -> Promise<boolean>
 *   sequenceLab.pauseResume(runId?)               -> Promise<'paused' | 'training' | undefined> (the state asked for)
 *   sequenceLab.openPanel(runId?)                 -> Promise<string | undefined> (the run shown)
 *   sequenceLab.sample(runId?, { prompt, length, temperature, checkpointStep?, topK?, seed? }?)
 *                                                 -> Promise<string | undefined> (the generated text)
 *   sequenceLab.resumeRun(runId?, { allowOutsideFiles? }?)
 *                                                 -> Promise<string | undefined> (a run naming files outside the
 *                                                    workspace asks first; allowOutsideFiles answers for tests)
 *   sequenceLab.compareRuns(runIds?)              -> Promise<string[] | undefined>
 *   sequenceLab.openRunFolder(runId?)             -> Promise<string | undefined> (the folder)
 *   sequenceLab.deleteRun(runId?, { confirm? }?)  -> Promise<boolean> (asks first when picked in the UI or confirm: true);
 *                                                    runId may be an unreadable folder's key (see runStore.unreadableRuns)
 *   sequenceLab.inspectText(runId?, text?)        -> Promise<(InspectResult & { source }) | undefined>
 *   sequenceLab.getDiagnostics({ refresh? }?)     -> { eventLoop, activeRunId, queued, unreadable } (for tests and bug reports;
 *                                                    refresh: true lists the runs folders again first)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunState, RunSummary } from '../../protocol/types';
import { isRecord, isRunId } from '../../protocol/validate';
import { checkInputFiles, describeInputProblem } from '../runs/inputFiles';
import { pickRun, pickRuns } from './runPicker';
import { runDirProblem } from '../runs/runPaths';
import { checkpointFolder, deleteUnreadable, findUnreadable, latestCheckpoint, readRunFolderAsync, unreadableRuns, type UnreadableRun } from '../runs/runStore';
import type { HostServices } from '../base/services';
import { modelLabel } from '../views/statusText';
import { maxFileSizeBytes } from '../base/settings';
import { requireTrust } from '../base/trust';
import { WorkerRequestError, type InspectResult } from '../runs/workerRequests';

const LIVE: readonly RunState[] = ['queued', 'starting', 'training', 'paused'];
const RESUMABLE: readonly RunState[] = ['stopped', 'interrupted', 'failed', 'diverged'];
/** Inspection shows one row per token: more than this many characters is capped. */
const INSPECT_MAX_CHARS = 5000;
/** Sampled tokens are appended to the output channel at most this often. */
const SAMPLE_FLUSH_MS = 100;

export function registerRunCommands(s: HostServices): vscode.Disposable[] {
  let samplesChannel: vscode.OutputChannel | undefined;
  const samples = () => (samplesChannel ??= vscode.window.createOutputChannel('Sequence Lab Samples'));
  const hasCheckpoint = (r: RunSummary) => !!s.manager.getRecord(r.id)?.checkpoints.length;

  return [
    { dispose: () => samplesChannel?.dispose() },

    vscode.commands.registerCommand('sequenceLab.stop', async (runId?: unknown) => {
      const id = validId(runId) ?? (await pickRun(s.manager, { placeHolder: 'Stop which run?', filter: (r) => s.manager.isLive(r.id), none: 'No run is training or queued.', autoPickSingle: true }));
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

    vscode.commands.registerCommand('sequenceLab.sample', async (runId?: unknown, options?: unknown) => {
      if (!requireTrust('sample from models')) return undefined;
      const id = validId(runId) ?? (await pickRun(s.manager, {
        placeHolder: 'Sample from which run?',
        filter: (r) => hasCheckpoint(r) || (r.id === s.manager.activeRunId && r.state === 'training'),
        none: 'No run has a model to sample from yet: train one first (checkpoints are written during training).',
      }));
      if (!id) return undefined;
      const record = s.manager.getRecord(id);
      if (!record) return undefined;
      const given = isRecord(options) ? options : undefined;
      let request: { prompt: string; length: number; temperature: number; checkpointStep?: number; topK?: number; seed?: number };
      if (given) {
        request = {
          prompt: typeof given.prompt === 'string' ? given.prompt : '',
          length: Number.isInteger(given.length) ? (given.length as number) : record.config.sampleLength,
          temperature: typeof given.temperature === 'number' ? given.temperature : record.config.temperature,
          checkpointStep: typeof given.checkpointStep === 'number' ? given.checkpointStep : undefined,
          topK: typeof given.topK === 'number' ? given.topK : undefined,
          seed: typeof given.seed === 'number' ? given.seed : undefined,
        };
      } else {
        const asked = await askSampleOptions(s, id);
        if (!asked) return undefined;
        request = asked;
      }
      const channel = samples();
      channel.show(true);
      const source = request.checkpointStep !== undefined ? `checkpoint at step ${request.checkpointStep}` : s.manager.activeRunId === id ? 'the live model' : 'the latest checkpoint';
      channel.appendLine(`── ${record.name} · ${modelLabel({ cell: record.config.cell, hidden: record.config.hidden, layers: record.config.layers })} · ${source} · temperature ${request.temperature} · ${request.length} tokens`);
      let buffer = request.prompt;
      let timer: NodeJS.Timeout | undefined;
      const flush = () => {
        timer = undefined;
        channel.append(buffer);
        buffer = '';
      };
      try {
        const result = await s.manager.sample({ runId: id, ...request }, (token) => {
          buffer += token;
          timer ??= setTimeout(flush, SAMPLE_FLUSH_MS);
        });
        clearTimeout(timer);
        flush();
        channel.appendLine('');
        channel.appendLine('');
        return result.text;
      } catch (e) {
        clearTimeout(timer);
        flush();
        channel.appendLine(`\n[sampling failed: ${(e as Error).message}]\n`);
        void vscode.window.showErrorMessage(`Sequence Lab: sampling failed: ${errorText(e)}`);
        return undefined;
      }
    }),

    vscode.commands.registerCommand('sequenceLab.resumeRun', async (runId?: unknown, options?: unknown) => {
      if (!requireTrust('resume training')) return undefined;
      const id = validId(runId) ?? (await pickRun(s.manager, { placeHolder: 'Resume which run?', filter: (r) => RESUMABLE.includes(r.state) && !s.manager.isLive(r.id), none: 'No stopped, interrupted or failed run to resume.' }));
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
          return refuse(`cannot resume ${record.name}: ${errorText(e)}`);
        }
      }
      // run.json names the files a run reads, and a run folder can come from anyone: outside the workspace, ask first.
      const outside = filesOutsideWorkspace(record.files);
      if (outside.length) {
        const given = isRecord(options) && typeof options.allowOutsideFiles === 'boolean' ? options.allowOutsideFiles : undefined;
        const allowed = given ?? (await vscode.window.showWarningMessage(
          `Run "${record.name}" reads ${outside.length === 1 ? 'a file' : `${outside.length} files`} outside this workspace: ${outside.slice(0, 3).join(', ')}${outside.length > 3 ? ', ...' : ''}. Read ${outside.length === 1 ? 'it' : 'them'} to resume?`,
          { modal: true, detail: 'A run folder lists the files it trains on in its run.json, and a run folder that came with a repository can list any file on your disk. Continue only if you made this run.' },
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
        const { fromStep } = await s.manager.resume(id, { maxBytes, truncate });
        s.log.info(`run ${id}: resuming from step ${fromStep}`);
      } catch (e) {
        return refuse(errorText(e));
      }
      s.panels.open(id, { preserveFocus: true, viewColumn: vscode.ViewColumn.Beside });
      return id;
    }),

    vscode.commands.registerCommand('sequenceLab.compareRuns', async (runIds?: unknown) => {
      const given = Array.isArray(runIds) ? runIds.filter(isRunId).slice(0, 8) : [];
      const ids = given.length ? given : await pickRuns(s.manager, { placeHolder: 'Pick the runs to overlay (two or more)', filter: (r) => r.step > 0, none: 'Comparing needs at least two runs that have trained.', min: 2 });
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
        refuse(`could not delete run ${id}: ${errorText(e)}`);
        return false;
      }
    }),

    vscode.commands.registerCommand('sequenceLab.inspectText', async (runId?: unknown, text?: unknown) => {
      if (!requireTrust('inspect text with a model')) return undefined;
      const id = validId(runId) ?? (await pickRun(s.manager, { placeHolder: 'Inspect the text with which run\'s model?', filter: hasCheckpoint, none: 'No run has a checkpoint yet: train one first.', autoPickSingle: true }));
      if (!id) return undefined;
      const input = typeof text === 'string' && text ? { text, source: 'text from the sidebar' } : editorText();
      if (!input) return refuse('select some text in an editor (or open a file) to inspect it.');
      let body = input.text;
      let source = input.source;
      if ([...body].length > INSPECT_MAX_CHARS) {
        body = [...body].slice(0, INSPECT_MAX_CHARS).join('');
        source += ` (first ${INSPECT_MAX_CHARS.toLocaleString('en-US')} characters)`;
      }
      try {
        const result: InspectResult = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Sequence Lab: inspecting text' }, () => s.manager.inspect(id, body));
        await s.runsView.showInspection({ type: 'inspection', runId: id, tokens: result.tokens, meanSurprisal: result.meanSurprisal, source });
        return { ...result, source };
      } catch (e) {
        const message = errorText(e);
        await s.runsView.showInspection({ type: 'inspectionError', runId: id, message });
        void vscode.window.showErrorMessage(`Sequence Lab: inspection failed: ${message}`);
        return undefined;
      }
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
      liveStates: s.manager.getSummaries().filter((r) => LIVE.includes(r.state)).map((r) => ({ id: r.id, state: r.state })),
      unreadable: unreadableRuns().map((u) => ({ key: u.key, dir: u.dir, reason: u.reason, deletable: u.deletable })),
  };
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
    refuse(`could not delete ${bad.dir}: ${errorText(e)}`);
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

function validId(value: unknown): string | undefined {
  return isRunId(value) ? value : undefined;
}

function refuse(message: string): undefined {
  void vscode.window.showErrorMessage(`Sequence Lab: ${message}`);
  return undefined;
}

function errorText(e: unknown): string {
  if (e instanceof WorkerRequestError && e.hint) return `${e.message} ${e.hint}`;
  return e instanceof Error ? e.message : String(e);
}

/** The active editor's selection, or its whole document when nothing is selected. */
function editorText(): { text: string; source: string } | undefined {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) return undefined;
  const name = path.basename(editor.document.uri.fsPath || editor.document.uri.path);
  const selection = editor.selection;
  if (!selection.isEmpty) {
    // A selection ending at column 0 (whole lines selected) holds none of its end line's characters.
    // Non-empty, so such an end is on a later line than the start.
    const lastLine = selection.end.character === 0 ? selection.end.line - 1 : selection.end.line;
    return { text: editor.document.getText(selection), source: `selection in ${name}, lines ${selection.start.line + 1}-${lastLine + 1}` };
  }
  const text = editor.document.getText();
  return text ? { text, source: name } : undefined;
}

/** Prompt, length and temperature (and the model: live or a checkpoint) from input boxes. */
async function askSampleOptions(s: HostServices, runId: string): Promise<{ prompt: string; length: number; temperature: number; checkpointStep?: number } | undefined> {
  const record = s.manager.getRecord(runId)!;
  let checkpointStep: number | undefined;
  const live = s.manager.activeRunId === runId && record.state === 'training';
  if (live || record.checkpoints.length > 1) {
    const latest = latestCheckpoint(record);
    const items = [
      ...(live ? [{ label: `$(pulse) Live model (step ${record.step})`, step: undefined as number | undefined }] : []),
      ...[...record.checkpoints].reverse().map((c) => ({ label: `$(save) Checkpoint at step ${c.step}`, description: c.valLoss !== undefined ? `validation loss ${c.valLoss.toFixed(3)}` : c === latest ? 'latest' : undefined, step: c.step as number | undefined })),
    ];
    if (items.length > 1) {
      const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Sample from which model?' });
      if (!picked) return undefined;
      checkpointStep = picked.step;
    }
  }
  const prompt = await vscode.window.showInputBox({ title: 'Sample: prompt', prompt: 'Text that warms up the hidden state first (may be empty)', value: '', ignoreFocusOut: true });
  if (prompt === undefined) return undefined;
  const length = await vscode.window.showInputBox({
    title: 'Sample: length in tokens',
    value: String(record.config.sampleLength),
    ignoreFocusOut: true,
    validateInput: (v) => (Number.isInteger(Number(v)) && Number(v) >= 1 && Number(v) <= 10_000 ? undefined : 'A whole number from 1 to 10000.'),
  });
  if (length === undefined) return undefined;
  const temperature = await vscode.window.showInputBox({
    title: 'Sample: temperature',
    prompt: '0 picks the most likely token; 1 samples the model as it is; higher is more surprising',
    value: String(record.config.temperature),
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() && Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 10 ? undefined : 'A number from 0 to 10.'),
  });
  if (temperature === undefined) return undefined;
  return { prompt, length: Number(length), temperature: Number(temperature), checkpointStep };
}
