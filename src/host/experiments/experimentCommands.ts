/**
 * The experiment commands. Argument conventions (the panel, the sidebar and the tests drive these
 * without UI; without arguments each asks):
 *   sequenceLab.runExperiment(uri?, { preset?: id, vary?: 'NAME=V1,V2' | [two of them], settings?: Partial<TrainConfig> }?)
 *   sequenceLab.runExperimentOnFile(uri, selection?)            (the explorer's "Run an Experiment on File…")
 *   sequenceLab.varyRun(runId?, { vary?: 'NAME=V1,V2' }?)       (same files and configuration as that run)
 *       -> Promise<string | undefined>: the experiment's id once experiment.json is written
 *   sequenceLab.cancelExperiment(id?), sequenceLab.resumeExperiment(id?)   -> Promise<boolean>
 *   sequenceLab.deleteExperiment(id?, { confirm?: boolean }?)   -> Promise<boolean> (asks first from the UI)
 * `settings` act as the user's settings for this experiment (tests shrink presets with them). Every value
 * is checked before anything trains; a refusal says which value and why. After starting or resuming,
 * the experiment panel opens (`sequenceLab.showExperiment`, the panel's own command).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ConfigError, validateConfig } from '../../core/config';
import { parseVary, type ExperimentSpec } from '../../core/experiments/experimentPlan';
import { presetById } from '../../core/experiments/presets';
import type { TrainConfig } from '../../protocol/types';
import { isRecord, isRunId, isString } from '../../protocol/validate';
import { errorText } from '../base/guarded';
import type { HostServices } from '../base/services';
import { maxFileSizeBytes, readTrainConfig } from '../base/settings';
import { requireTrust } from '../base/trust';
import { refuse, validId } from '../commands/commandArgs';
import { pickRun } from '../commands/runPicker';
import { targetFiles } from '../commands/trainCommands';
import { checkInputFiles, describeInputProblem } from '../runs/inputFiles';
import { ContainmentError } from '../runs/runPaths';
import { ensureRunsDirWritable, RunsFolderNotWritableError } from '../runs/runStore';
import { pickExperiment, type ExperimentChoice } from './experimentFlow';
import { experimentQuestion, FINISHED } from './experimentListing';
import type { ExperimentState } from '../../core/experiments/experimentRecord';
import { deleteExperimentFolder } from './experimentPaths';
import type { ExperimentRunner } from './experimentRunner';
import { registerSampleTextCommand } from './sampleText';
import type { WorkspaceExperiments } from './workspaceExperiments';

interface Given {
  preset?: string;
  vary?: string[];
  settings?: Record<string, unknown>;
}

/** The options object of runExperiment / varyRun, when one was passed. */
function given(options: unknown): Given | undefined {
  if (!isRecord(options) || options instanceof vscode.Uri) return undefined;
  const vary = typeof options.vary === 'string' ? [options.vary] : Array.isArray(options.vary) ? options.vary.filter((v): v is string => isString(v, 2000)) : undefined;
  return {
    preset: isString(options.preset, 80) ? options.preset : undefined,
    vary: vary?.length ? vary : undefined,
    settings: isRecord(options.settings) ? options.settings : undefined,
  };
}

export function registerExperimentCommands(s: HostServices, runner: ExperimentRunner, experiments: WorkspaceExperiments): vscode.Disposable[] {
  const ctx: Context = { s, runner, experiments };
  return [
    registerSampleTextCommand(s),
    vscode.commands.registerCommand('sequenceLab.runExperiment', async (uri?: unknown, options?: unknown) => {
      if (!requireTrust('run experiments')) return undefined;
      const files = await targetFiles(uri, Array.isArray(options) ? options : undefined);
      return files ? runOnFiles(ctx, files, given(options)) : undefined;
    }),
    vscode.commands.registerCommand('sequenceLab.runExperimentOnFile', async (uri?: unknown, selection?: unknown) => {
      if (!requireTrust('run experiments')) return undefined;
      const files = await targetFiles(uri, selection);
      return files ? runOnFiles(ctx, files, given(selection)) : undefined;
    }),
    vscode.commands.registerCommand('sequenceLab.varyRun', async (runId?: unknown, options?: unknown) => {
      if (!requireTrust('run experiments')) return undefined;
      const id = validId(runId) ?? (await pickRun(s.manager, { placeHolder: 'Vary which run? Same files and settings, one setting changed.', none: 'No runs to vary yet.' }));
      const record = id ? s.manager.getRecord(id) : undefined;
      if (!id) return undefined;
      if (!record) return refuse(`run ${id} was not found.`);
      const opts = given(options);
      const choice: ExperimentChoice | undefined = opts?.vary ? varied(opts.vary) : await pickExperiment(record.config, `Vary ${record.name}`, false);
      if (!choice) return undefined;
      return start(
        ctx,
        record.files.map((f) => vscode.Uri.file(f)),
        record.config,
        choice,
        `${record.name} (varied)`,
      );
    }),
    vscode.commands.registerCommand('sequenceLab.cancelExperiment', async (id?: unknown) => {
      const target = validExperiment(id) ?? (await pick(ctx, ['running', 'interrupted'], 'Cancel which experiment? Finished runs are kept.', 'No experiment is running.'));
      if (!target) return false;
      try {
        await runner.cancel(target);
        return true;
      } catch (e) {
        refuse(errorText(e));
        return false;
      }
    }),
    vscode.commands.registerCommand('sequenceLab.resumeExperiment', async (id?: unknown) => {
      if (!requireTrust('resume experiments')) return false;
      const target = validExperiment(id) ?? (await pick(ctx, ['interrupted', 'cancelled'], 'Resume which experiment?', 'No interrupted or cancelled experiment to resume.'));
      if (!target) return false;
      const found = runner.find(target);
      try {
        await runner.resume(target, found ? maxFileSizeBytes(vscode.Uri.file(found.dir)) : undefined);
      } catch (e) {
        refuse(e instanceof ConfigError ? `cannot resume this experiment: ${e.problems.join(' ')}` : errorText(e));
        return false;
      }
      showExperiment(ctx, target);
      return true;
    }),
    vscode.commands.registerCommand('sequenceLab.deleteExperiment', async (id?: unknown, options?: unknown) => {
      const chosen = validExperiment(id);
      const target = chosen ?? (await pick(ctx, ['running', 'completed', 'cancelled', 'interrupted'], 'Delete which experiment? Its runs stay.', 'No experiments to delete.'));
      if (!target) return false;
      const found = runner.find(target);
      if (!found) {
        refuse(`experiment ${target} was not found.`);
        return false;
      }
      const confirm = isRecord(options) && typeof options.confirm === 'boolean' ? options.confirm : chosen === undefined;
      if (confirm) {
        const answer = await vscode.window.showWarningMessage(
          `Delete the experiment "${found.record.name}"?`,
          { modal: true, detail: `This removes the folder ${found.dir}. Its runs stay in .seqlab/runs.` },
          'Delete',
        );
        if (answer !== 'Delete') return false;
      }
      try {
        if (runner.isRunning(target)) await runner.cancel(target);
        await deleteExperimentFolder(found.dir);
      } catch (e) {
        refuse(`will not delete experiment ${target}: ${errorText(e)}`);
        return false;
      }
      s.log.info(`experiment ${target}: deleted (${found.dir})`);
      return true;
    }),
  ];
}

interface Context {
  s: HostServices;
  runner: ExperimentRunner;
  experiments: WorkspaceExperiments;
}

const validExperiment = (id: unknown): string | undefined => (isRunId(id) ? id : undefined);

function varied(vary: string[]): ExperimentChoice {
  const settings = vary.map(parseVary);
  return settings.length === 1 ? { vary: settings[0] } : { grid: settings };
}

/** Opens the experiment panel (the exppanel command); its absence is logged, not shown. */
function showExperiment(ctx: Context, id: string): void {
  void vscode.commands
    .executeCommand('sequenceLab.showExperiment', id)
    .then(undefined, (e: unknown) => ctx.s.log.warn(`experiment ${id}: the panel did not open: ${errorText(e)}`));
}

async function pick(ctx: Context, states: readonly ExperimentState[], placeHolder: string, none: string): Promise<string | undefined> {
  const list = ctx.runner.list().filter((f) => states.includes(f.record.state));
  if (!list.length) {
    void vscode.window.showInformationMessage(`Sequence Lab: ${none}`);
    return undefined;
  }
  const items = list.map(({ record }) => ({
    id: record.id,
    label: record.name,
    description: `${record.state}, ${record.runs.filter((r) => r.state && FINISHED.includes(r.state)).length}/${record.runs.length} runs done`,
    detail: experimentQuestion(record),
  }));
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true }))?.id;
}

/** runExperiment on files: the user's settings (with `settings` given on top, strictly), then a preset or a varied setting. */
async function runOnFiles(ctx: Context, files: vscode.Uri[], opts: Given | undefined): Promise<string | undefined> {
  const folder = ctx.s.workspaceRuns.folderFor(files[0]);
  if (!folder) return refuse('open a folder first: experiments are saved in the folder, under .seqlab/experiments.');
  const fromSettings = readTrainConfig(folder.uri);
  const strict = validateConfig(opts?.settings ?? {}, fromSettings.config);
  if (strict.problems.length) return refuse(`cannot run this experiment: ${strict.problems.join(' ')}`);
  let choice: ExperimentChoice | undefined;
  try {
    if (opts?.preset) {
      const preset = presetById(opts.preset);
      if (!preset) return refuse(`there is no experiment preset "${opts.preset}".`);
      choice = { preset };
    } else if (opts?.vary) {
      choice = varied(opts.vary);
    } else {
      choice = await pickExperiment(strict.config, `Experiment on ${path.basename(files[0].fsPath)}`);
    }
  } catch (e) {
    if (e instanceof ConfigError) return refuse(`cannot run this experiment: ${e.problems.join(' ')}`);
    throw e;
  }
  if (!choice) return undefined;
  return start(ctx, files, strict.config, choice, path.basename(files[0].fsPath));
}

/** Checks what a user can fix (files, folder), then plans and starts; opens the panel. */
async function start(ctx: Context, files: vscode.Uri[], settings: TrainConfig, choice: ExperimentChoice, fileLabel: string): Promise<string | undefined> {
  for (const file of files) {
    if (file.scheme !== 'file') return refuse(`${file.toString(true)} is not a file on disk. Save it first: experiments train on local files.`);
  }
  const folder = ctx.s.workspaceRuns.folderFor(files[0]);
  const runsDir = ctx.s.workspaceRuns.runsDirFor(files[0]);
  const experimentsDir = ctx.experiments.experimentsDirFor(files[0]);
  if (!folder || !runsDir || !experimentsDir) return refuse('open a folder first: experiments are saved in the folder, under .seqlab/experiments.');
  const paths = files.map((f) => f.fsPath);
  const maxBytes = maxFileSizeBytes(folder.uri);
  const check = await checkInputFiles(paths, maxBytes);
  if (!check.ok) return refuse(describeInputProblem(check.problem));
  try {
    await ensureRunsDirWritable(runsDir);
  } catch (e) {
    if (e instanceof RunsFolderNotWritableError) return refuse(`cannot save runs in ${folder.name}: ${e.message}`);
    throw e;
  }
  const spec: ExperimentSpec = 'preset' in choice ? choice.preset.spec : { base: {}, vary: 'vary' in choice ? [choice.vary] : choice.grid };
  const what = 'preset' in choice ? choice.preset.question : spec.vary.map((v) => v.name).join(' × ');
  try {
    const { id } = ctx.runner.start({
      experimentsDir,
      files: paths,
      settings,
      spec,
      name: `${fileLabel}: ${what}`,
      presetId: 'preset' in choice ? choice.preset.id : undefined,
      probe: 'preset' in choice ? choice.preset.probe : undefined,
      maxBytes,
    });
    showExperiment(ctx, id);
    return id;
  } catch (e) {
    if (e instanceof ConfigError) return refuse(`cannot run this experiment: ${e.problems.join(' ')}`);
    if (e instanceof ContainmentError) return refuse(e.message);
    throw e;
  }
}
