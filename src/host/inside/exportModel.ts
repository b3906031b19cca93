/**
 *   sequenceLab.exportModel(runId?, { format, outDir, overwrite? }?) -> Promise<ExportResult | undefined>
 * Writes a run's latest checkpoint as a model other tools load (core/export/exportCheckpoint.ts does
 * the writing), into the folder the user picks. A folder that exists and holds files is written into
 * only after the user says so (a caller passing options must pass `overwrite: true`).
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { exportCheckpoint, folderHasFiles, type ExportFormat, type ExportResult } from '../../core/export/exportCheckpoint';
import { isRecord } from '../../protocol/validate';
import type { HostServices } from '../base/services';
import { commandErrorText, refuse, validId } from '../commands/commandArgs';
import { pickRun } from '../commands/runPicker';
import { runCheckpoint } from './runCheckpoint';

const FORMATS: { label: string; format: ExportFormat; detail: string }[] = [
  { label: 'TensorFlow.js Layers model', format: 'tfjs', detail: 'model.json and weights.bin, for tf.loadLayersModel (RNN and LSTM)' },
  { label: 'safetensors (PyTorch names)', format: 'safetensors', detail: 'model.safetensors with nn.LSTM/nn.GRU/nn.RNN and nn.Linear state-dict names, vocab.json, config.json' },
];

export function registerExportModel(s: HostServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('sequenceLab.exportModel', async (runArg?: unknown, options?: unknown): Promise<ExportResult | undefined> => {
      // From the sidebar's context menu the argument is the webview's context object: { runId }.
      const runId =
        validId(runArg) ??
        validId(isRecord(runArg) ? runArg.runId : undefined) ??
        (await pickRun(s.manager, {
          placeHolder: 'Export the model of which run?',
          filter: (r) => !!s.manager.getRecord(r.id)?.checkpoints.length && r.cell !== 'window',
          none: 'No run of an RNN, GRU or LSTM has a checkpoint yet: train one first.',
          autoPickSingle: true,
        }));
      if (!runId) return undefined;
      const record = s.manager.getRecord(runId);
      if (!record) return refuse(`run ${runId} was not found.`);
      const given = isRecord(options) ? options : undefined;
      let format: ExportFormat;
      let outDir: string;
      let overwrite = false;
      if (given) {
        if (given.format !== 'tfjs' && given.format !== 'safetensors') return refuse('the format must be tfjs or safetensors.');
        if (typeof given.outDir !== 'string' || !given.outDir) return refuse('name the folder to export into (outDir).');
        format = given.format;
        outDir = given.outDir;
        overwrite = given.overwrite === true;
      } else {
        const picked = await vscode.window.showQuickPick(
          FORMATS.map((f) => ({ ...f, description: f.format === 'tfjs' && record.config.cell === 'gru' ? 'not for a GRU' : undefined })),
          { placeHolder: `Export ${record.name} as…` },
        );
        if (!picked) return undefined;
        format = picked.format;
        const folder = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          canSelectMany: false,
          openLabel: 'Export Here',
          title: 'Export the model into…',
        });
        if (!folder?.[0]) return undefined;
        outDir = folder[0].fsPath;
      }
      if (!overwrite && folderHasFiles(outDir)) {
        const count = fs.readdirSync(outDir).length;
        if (given) return refuse(`${outDir} already holds ${count} item(s): choose an empty or new folder, or pass overwrite: true.`);
        const answer = await vscode.window.showWarningMessage(
          `${outDir} already holds ${count} item(s). Export into it anyway? Files of the same names (model.json, weights.bin, model.safetensors, vocab.json, config.json) are replaced; nothing else is touched.`,
          { modal: true },
          'Export Into It',
        );
        if (answer !== 'Export Into It') return undefined;
        overwrite = true;
      }
      try {
        const result = exportCheckpoint(runCheckpoint(s.manager, runId), { format, outDir, overwrite });
        s.log.info(`exported run ${runId} (step ${result.step}) as ${format} to ${result.outDir}: ${result.files.join(', ')}`);
        void vscode.window.showInformationMessage(`Sequence Lab: exported ${record.name} (step ${result.step}) to ${result.outDir}: ${result.files.join(', ')}.`);
        return result;
      } catch (e) {
        return refuse(`export failed: ${commandErrorText(e)}`);
      }
    }),
  ];
}
