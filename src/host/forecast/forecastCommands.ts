/**
 * The forecasting commands: "Forecast Columns…" on a CSV, TSV or JSON-lines file in the explorer,
 * "Forecast a Generated Series…" and "Open Forecast Run…" in the palette. A forecast trains in its own
 * worker process and lands in the run store (the Runs sidebar lists it); its panel shows it live.
 * Every bad input is refused with its own message before anything is created.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SeqLabError } from '../../core/errors';
import { readRunFolder, listRuns } from '../../core/runFiles';
import { readForecastRecord } from '../../core/series/forecastRecord';
import { peekTable } from '../../core/series/table';
import { FORECAST_MODEL_NAMES, GENERATOR_NAMES, type ForecastJob, type ForecastPanelState, type ForecastWorkerToHost } from '../../protocol/forecast';
import type { BackendChoice } from '../../protocol/types';
import { isRecord } from '../../protocol/validate';
import { errorText, guarded } from '../base/guarded';
import type { HostServices } from '../base/services';
import { maxFileSizeBytes } from '../base/settings';
import { requireTrust } from '../base/trust';
import { containRunDir } from '../runs/runPaths';
import { workerSpawner } from '../runs/workerProcess';
import { askGeneratedJob, askTableJob } from './forecastFlow';
import { ForecastPanel } from './forecastPanel';
import { ForecastWorkerClient } from './forecastWorkerClient';

export type ForecastOutcome = { runId: string; runDir: string; testMse: Record<string, number> } | { error: string; code?: string; created: boolean };

const INTERPOLATE = 'Interpolate Missing Values';

function backendSetting(): BackendChoice {
  const b = vscode.workspace.getConfiguration('sequenceLab').get<string>('backend', 'auto');
  return (['auto', 'tensorflow', 'wasm', 'cpu'] as const).find((x) => x === b) ?? 'auto';
}

/** Settings a test (or another extension) passes instead of answering the questions; unknown keys and bad values are dropped. */
function jobOverrides(v: unknown): Partial<ForecastJob> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Partial<ForecastJob> = {};
  if (FORECAST_MODEL_NAMES.includes(v.model as never)) out.model = v.model as ForecastJob['model'];
  if (GENERATOR_NAMES.includes(v.generate as never)) out.generate = v.generate as ForecastJob['generate'];
  if (Array.isArray(v.columns) && v.columns.every((c) => typeof c === 'string')) out.columns = v.columns as string[];
  if (typeof v.timeColumn === 'string') out.timeColumn = v.timeColumn;
  if (typeof v.interpolate === 'boolean') out.interpolate = v.interpolate;
  if (v.head === 'mse' || v.head === 'gaussian') out.head = v.head;
  for (const k of ['tau', 'trainFraction', 'hidden', 'window', 'steps', 'seed', 'period', 'maxBytes'] as const)
    if (typeof v[k] === 'number' && Number.isFinite(v[k])) out[k] = v[k];
  return out;
}

class ForecastLauncher {
  private readonly spawn;

  constructor(private readonly s: HostServices) {
    this.spawn = workerSpawner(vscode.Uri.joinPath(s.extensionUri, 'dist', 'forecastWorker.js').fsPath);
  }

  /** Runs one job to its end; refusals are shown (with Interpolate for missing values) and returned. */
  run(runsDir: string, job: ForecastJob, quiet: boolean): Promise<ForecastOutcome> {
    return new Promise<ForecastOutcome>((resolve) => {
      let panel: ForecastPanel | undefined;
      const client = new ForecastWorkerClient(this.spawn, this.s.log, runsDir, job, (msg: ForecastWorkerToHost) =>
        guarded(this.s.log, `forecast message ${msg.type}`, async () => {
          switch (msg.type) {
            case 'created':
              panel = new ForecastPanel(this.s.extensionUri, this.s.log, msg.runId, titleOf(job));
              panel.onStop = () => client.stop();
              panel.onDidDispose(() => client.stop());
              return;
            case 'step':
              return panel?.addProgress({ losses: [[msg.step, msg.loss]] });
            case 'eval':
              return panel?.addProgress({ evals: [[msg.step, msg.testMse]] });
            case 'gradmap':
              return panel?.addProgress({ gradMap: { step: msg.step, total: msg.total, last: msg.last } });
            case 'done': {
              client.dispose();
              const record = await readForecastRecord(containRunDir(msg.runDir));
              panel?.setState('completed', `one-step test MSE ${msg.testMse['1']?.toPrecision(4) ?? '-'}`, record);
              resolve({ runId: msg.runId, runDir: msg.runDir, testMse: msg.testMse });
              return;
            }
            case 'error': {
              client.dispose();
              panel?.setState('failed', msg.message);
              this.s.log.warn(`[forecast] ${msg.message}`);
              resolve({ error: msg.message, ...(msg.code ? { code: msg.code } : {}), created: msg.created });
              if (quiet) return;
              const text = `${msg.message}${msg.hint ? ` ${msg.hint}` : ''}`;
              if (msg.code === 'TABLE_MISSING' && !job.interpolate) {
                const choice = await vscode.window.showErrorMessage(text, INTERPOLATE);
                if (choice === INTERPOLATE) await this.run(runsDir, { ...job, interpolate: true }, quiet);
              } else void vscode.window.showErrorMessage(text);
            }
          }
        }),
      );
    });
  }
}

function titleOf(job: ForecastJob): string {
  const what = job.file ? `${path.basename(job.file)}${job.columns ? ` (${job.columns.join(', ')})` : ''}` : `${job.generate}`;
  return `${what}, ${job.model}${job.head === 'gaussian' ? ' + Gaussian' : ''}`;
}

function refuse(e: unknown, quiet: boolean): ForecastOutcome {
  const text = e instanceof SeqLabError ? `${e.message}${e.hint ? ` ${e.hint}` : ''}` : errorText(e);
  if (!quiet) void vscode.window.showErrorMessage(text);
  return { error: text, ...(e instanceof SeqLabError ? { code: e.code } : {}), created: false };
}

/** Reopens a finished forecast run's panel from its folder (every part read through the checked readers). */
async function openForecastRun(s: HostServices, runsDir: string, runId?: string): Promise<void> {
  const runs = listRuns(runsDir).filter((r) => r.kind === 'forecast');
  let id = runId;
  if (!id) {
    if (!runs.length)
      return void vscode.window.showInformationMessage('This workspace has no forecast runs yet: right-click a CSV, TSV or JSON-lines file and choose Forecast Columns….');
    const picked = await vscode.window.showQuickPick(
      runs.map((r) => ({ label: r.name, description: r.state, detail: r.reason, id: r.id })),
      { title: 'Open Forecast Run' },
    );
    id = picked?.id;
  }
  const record = runs.find((r) => r.id === id);
  if (!record) return;
  const dir = containRunDir(path.join(runsDir, record.id));
  const history = readRunFolder(dir);
  if (!history.ok) return void vscode.window.showErrorMessage(`The forecast run cannot be read: ${history.reason}.`);
  const forecast = await readForecastRecord(dir).catch((e: Error) => {
    void vscode.window.showWarningMessage(`${record.name}: ${e.message}`);
    return undefined;
  });
  const panel = new ForecastPanel(s.extensionUri, s.log, record.id, record.name);
  const h = history.record;
  const last = h.gradMaps[h.gradMaps.length - 1];
  panel.addProgress({
    losses: h.metrics.map((m) => [m.step, m.loss]),
    evals: h.evals.map((e) => [e.step, e.valLoss]),
    ...(last ? { gradMap: { step: last.step, total: last.totalGradNorms?.[0] ?? [], last: last.hiddenGradNorms[0] ?? [] } } : {}),
  });
  const state: ForecastPanelState = (['completed', 'stopped', 'failed', 'diverged'] as const).find((x) => x === h.record.state) ?? 'stopped';
  panel.setState(state, h.record.reason, forecast);
}

export function registerForecastCommands(s: HostServices): vscode.Disposable[] {
  const launcher = new ForecastLauncher(s);
  const noFolder = () => void vscode.window.showErrorMessage('Open a folder first: forecast runs are saved in its .seqlab/runs.');
  return [
    vscode.commands.registerCommand('sequenceLab.forecastColumns', async (uri?: unknown, options?: unknown): Promise<ForecastOutcome | undefined> => {
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      if (!target || target.scheme !== 'file')
        return void vscode.window.showErrorMessage('Forecast Columns… needs a CSV, TSV or JSON-lines file: right-click one in the explorer.');
      if (!requireTrust('forecast')) return undefined;
      const runsDir = s.workspaceRuns.runsDirFor(target);
      if (!runsDir) return noFolder();
      const given = jobOverrides(options);
      const maxBytes = given?.maxBytes ?? maxFileSizeBytes(target);
      let job: ForecastJob | undefined;
      try {
        if (given) peekTable(target.fsPath, maxBytes); // the size check, before any worker reads the file
        job = given ? { model: 'linear', backend: backendSetting(), ...given, file: target.fsPath, maxBytes } : await askTableJob(target.fsPath, maxBytes, backendSetting());
      } catch (e) {
        return refuse(e, !!given);
      }
      return job && launcher.run(runsDir, job, !!given);
    }),
    vscode.commands.registerCommand('sequenceLab.forecastGenerated', async (options?: unknown): Promise<ForecastOutcome | undefined> => {
      if (!requireTrust('forecast')) return undefined;
      const runsDir = s.workspaceRuns.runsDirFor();
      if (!runsDir) return noFolder();
      const given = jobOverrides(options);
      const job = given?.generate ? { model: 'linear' as const, backend: backendSetting(), ...given } : await askGeneratedJob(backendSetting());
      return job && launcher.run(runsDir, job, !!given);
    }),
    vscode.commands.registerCommand('sequenceLab.openForecastRun', async (runId?: unknown) => {
      const runsDir = s.workspaceRuns.runsDirFor();
      if (!runsDir) return noFolder();
      await openForecastRun(s, runsDir, typeof runId === 'string' ? runId : undefined);
    }),
  ];
}
