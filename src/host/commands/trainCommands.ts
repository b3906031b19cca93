/**
 * The commands that start training: on a file (one click, settings as they are), with settings (a
 * quick-pick flow), and on several files or a glob. Every input problem is caught here before anything
 * starts, with a message that says what to do; the worker checks the text itself.
 *
 * Argument conventions (the integration tests drive these without UI):
 *   sequenceLab.trainOnFile(uri?: Uri | string, uris?: Uri[])              -> Promise<string | undefined>
 *   sequenceLab.trainWithSettings(uri?: Uri | string, config?: Partial<TrainConfig> | Uri[])
 *   sequenceLab.trainOnFiles(files?: (Uri | string)[] | string (a glob), config?: Partial<TrainConfig>)
 * Each resolves to the new run's id once it is queued, or undefined when nothing started.
 * Notifications are never awaited on these paths: a test (or a user) is never left waiting on one.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainConfig } from '../../protocol/types';
import { isRecord } from '../../protocol/validate';
import { checkInputFiles, describeInputProblem, formatBytes } from '../runs/inputFiles';
import { RunsFolderNotWritableError, ensureRunsDirWritable } from '../runs/runStore';
import type { HostServices } from '../base/services';
import { maxFileSizeBytes, readTrainConfig } from '../base/settings';
import { pickTrainSettings } from './trainSettingsFlow';
import { requireTrust } from '../base/trust';

type ConfigOverrides = Partial<Record<keyof TrainConfig, unknown>>;

/** Largest number of files one run may concatenate. */
const MAX_FILES = 1000;

export function registerTrainCommands(s: HostServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('sequenceLab.trainOnFile', async (uri?: unknown, uris?: unknown) => {
      const files = await targetFiles(uri, uris);
      return files ? startTraining(s, files, {}) : undefined;
    }),
    vscode.commands.registerCommand('sequenceLab.trainWithSettings', async (uri?: unknown, second?: unknown) => {
      // From the explorer the second argument is the selection; from a test, the configuration.
      const given = isRecord(second) && !(second instanceof vscode.Uri) ? (second as ConfigOverrides) : undefined;
      const files = await targetFiles(uri, Array.isArray(second) ? second : undefined);
      if (!files) return undefined;
      if (!requireTrust('train models')) return undefined;
      let overrides = given;
      if (!overrides) {
        const current = readTrainConfig(files[0]).config;
        overrides = await pickTrainSettings(current, files.length === 1 ? path.basename(files[0].fsPath) : `${files.length} files`);
        if (!overrides) return undefined;
      }
      return startTraining(s, files, overrides);
    }),
    vscode.commands.registerCommand('sequenceLab.trainOnFiles', async (arg?: unknown, config?: unknown) => {
      const files = await filesForMany(arg);
      if (!files) return undefined;
      return startTraining(s, files, isRecord(config) ? (config as ConfigOverrides) : {});
    }),
  ];
}

// ---------------------------------------------------------------- which files

export function toUri(value: unknown): vscode.Uri | undefined {
  if (value instanceof vscode.Uri) return value;
  if (typeof value === 'string' && value) return path.isAbsolute(value) ? vscode.Uri.file(value) : vscode.Uri.parse(value);
  // A Uri that crossed a boundary as JSON (e.g. from a test harness) keeps its parts.
  if (isRecord(value) && typeof value.scheme === 'string' && typeof value.path === 'string') return vscode.Uri.from(value as { scheme: string; path: string });
  return undefined;
}

/** The file(s) the user means: the explorer selection, the given uri, the active editor, or a dialog. */
export async function targetFiles(uri: unknown, uris: unknown): Promise<vscode.Uri[] | undefined> {
  const selection = Array.isArray(uris) ? uris.map(toUri).filter((u): u is vscode.Uri => !!u) : [];
  if (selection.length > 1) return selection;
  const given = toUri(uri);
  if (given) return [given];
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (editor) return [editor.document.uri];
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Train on This File',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { 'Text files': ['txt', 'md', 'text', 'csv', 'json', 'js', 'ts', 'py', '*'] },
  });
  return picked?.length ? picked : undefined;
}

/** Files for trainOnFiles: given uris, a glob string, or the user's choice of either. */
async function filesForMany(arg: unknown): Promise<vscode.Uri[] | undefined> {
  if (Array.isArray(arg)) {
    const uris = arg.map(toUri).filter((u): u is vscode.Uri => !!u);
    return uris.length ? uris : undefined;
  }
  if (typeof arg === 'string') return findGlob(arg);
  const how = await vscode.window.showQuickPick(
    [
      { label: '$(files) Select files...', value: 'select' as const },
      { label: '$(search) Glob pattern in the workspace...', description: 'e.g. data/**/*.txt', value: 'glob' as const },
    ],
    { placeHolder: 'Train one model on several files, concatenated in order' },
  );
  if (!how) return undefined;
  if (how.value === 'select') {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: 'Train on These Files', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
    return picked?.length ? picked.sort((a, b) => a.fsPath.localeCompare(b.fsPath)) : undefined;
  }
  const glob = await vscode.window.showInputBox({ prompt: 'Files to train on (a glob relative to the workspace)', placeHolder: '**/*.txt', ignoreFocusOut: true });
  return glob ? findGlob(glob) : undefined;
}

async function findGlob(glob: string): Promise<vscode.Uri[] | undefined> {
  const found = await vscode.workspace.findFiles(glob, '**/{node_modules,.git,.seqlab}/**', MAX_FILES + 1);
  if (found.length === 0) {
    void vscode.window.showErrorMessage(`Sequence Lab: no files in the workspace match ${glob}.`);
    return undefined;
  }
  if (found.length > MAX_FILES) {
    void vscode.window.showErrorMessage(`Sequence Lab: more than ${MAX_FILES} files match ${glob}; narrow the pattern.`);
    return undefined;
  }
  // A stable order, so the same glob gives the same text.
  return found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

// ---------------------------------------------------------------- the checks, then the queue

function refuse(message: string): undefined {
  void vscode.window.showErrorMessage(`Sequence Lab: ${message}`);
  return undefined;
}

/**
 * Checks everything a user can fix before training, then queues the run and opens its panel.
 * `truncate`: the user agreed to train on the first sequenceLab.maxFileSizeMB of a larger file.
 */
export async function startTraining(s: HostServices, files: vscode.Uri[], overrides: ConfigOverrides, truncate = false): Promise<string | undefined> {
  if (!requireTrust('train models')) return undefined;
  if (files.length === 0) return refuse('no file to train on.');
  for (const file of files) {
    if (file.scheme === 'untitled') return refuse(`${file.path} is not saved yet. Save it to a file, then train on it.`);
    if (file.scheme !== 'file') return refuse(`${file.toString(true)} is not a file on disk (scheme "${file.scheme}"). Sequence Lab trains on local files.`);
  }
  const folder = s.workspaceRuns.folderFor(files[0]);
  const runsDir = s.workspaceRuns.runsDirFor(files[0]);
  if (!folder || !runsDir) return refuse('open a folder first: runs are saved in the folder, under .seqlab/runs.');

  const { config, problems } = readTrainConfig(folder.uri, overrides);
  if (problems.length) {
    s.log.warn(`settings: ${problems.join(' ')}`);
    void vscode.window.showWarningMessage(`Sequence Lab: some settings were out of range and their defaults are used instead: ${problems.join(' ')}`);
  }

  const paths = files.map((f) => f.fsPath);
  const maxBytes = maxFileSizeBytes(folder.uri);
  const check = await checkInputFiles(paths, maxBytes);
  if (!check.ok) {
    const problem = check.problem;
    if (problem.kind !== 'tooLarge') return refuse(describeInputProblem(problem));
    if (!truncate) {
      const action = `Train on the First ${formatBytes(maxBytes)}`;
      void vscode.window.showWarningMessage(`Sequence Lab: ${describeInputProblem(problem)}`, action, 'Open Settings').then((choice) => {
        if (choice === action) void startTraining(s, files, overrides, true);
        else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'sequenceLab.maxFileSizeMB');
      });
      return undefined;
    }
  }

  try {
    await ensureRunsDirWritable(runsDir);
  } catch (e) {
    if (e instanceof RunsFolderNotWritableError) {
      return refuse(
        `cannot save runs in ${folder.name}: ${e.message} Sequence Lab keeps each run (settings, metrics, checkpoints) in .seqlab/runs inside the workspace folder; open a folder you can write to.`,
      );
    }
    throw e;
  }

  const wasBusy = s.manager.activeRunId !== undefined;
  const runId = await s.manager.train({ runsDir, files: paths, config, maxBytes, truncate: !check.ok });
  if (wasBusy) {
    const ahead = s.manager.queuedRunIds.length - 1;
    void vscode.window.showInformationMessage(
      `Sequence Lab: queued; it starts when the run training now${ahead > 0 ? ` and ${ahead} more` : ''} finish${ahead > 0 ? '' : 'es'}. One run trains at a time.`,
    );
  }
  s.panels.open(runId, { preserveFocus: true, viewColumn: vscode.ViewColumn.Beside });
  return runId;
}
