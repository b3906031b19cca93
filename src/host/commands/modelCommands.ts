/**
 * Commands that run a trained model over text:
 *   sequenceLab.sample(runId?, { prompt, length, temperature, checkpointStep?, topK?, seed? }?)
 *                                                 -> Promise<string | undefined> (the generated text)
 *   sequenceLab.inspectText(runId?, text?)        -> Promise<(InspectResult & { source }) | undefined>
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../protocol/types';
import { isRecord } from '../../protocol/validate';
import type { HostServices } from '../base/services';
import { requireTrust } from '../base/trust';
import { latestCheckpoint } from '../runs/runStore';
import { modelLabel } from '../views/statusText';
import type { InspectResult } from '../runs/workerRequests';
import { commandErrorText, refuse, validId } from './commandArgs';
import { pickRun } from './runPicker';

/** Inspection shows one row per token: more than this many characters is capped. */
const INSPECT_MAX_CHARS = 5000;
/** Sampled tokens are appended to the output channel at most this often. */
const SAMPLE_FLUSH_MS = 100;

export function registerModelCommands(s: HostServices): vscode.Disposable[] {
  let samplesChannel: vscode.OutputChannel | undefined;
  const samples = () => (samplesChannel ??= vscode.window.createOutputChannel('Sequence Lab Samples'));
  const hasCheckpoint = (r: RunSummary) => !!s.manager.getRecord(r.id)?.checkpoints.length;

  return [
    { dispose: () => samplesChannel?.dispose() },

    vscode.commands.registerCommand('sequenceLab.sample', async (runId?: unknown, options?: unknown) => {
      if (!requireTrust('sample from models')) return undefined;
      const id =
        validId(runId) ??
        (await pickRun(s.manager, {
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
      const source =
        request.checkpointStep !== undefined ? `checkpoint at step ${request.checkpointStep}` : s.manager.activeRunId === id ? 'the live model' : 'the latest checkpoint';
      channel.appendLine(
        `── ${record.name} · ${modelLabel({ cell: record.config.cell, hidden: record.config.hidden, layers: record.config.layers })} · ${source} · temperature ${request.temperature} · ${request.length} tokens`,
      );
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
        void vscode.window.showErrorMessage(`Sequence Lab: sampling failed: ${commandErrorText(e)}`);
        return undefined;
      }
    }),

    vscode.commands.registerCommand('sequenceLab.inspectText', async (runId?: unknown, text?: unknown) => {
      if (!requireTrust('inspect text with a model')) return undefined;
      const id =
        validId(runId) ??
        (await pickRun(s.manager, {
          placeHolder: "Inspect the text with which run's model?",
          filter: hasCheckpoint,
          none: 'No run has a checkpoint yet: train one first.',
          autoPickSingle: true,
        }));
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
        const result: InspectResult = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Sequence Lab: inspecting text' }, () =>
          s.manager.inspect(id, body),
        );
        await s.runsView.showInspection({ type: 'inspection', runId: id, tokens: result.tokens, meanSurprisal: result.meanSurprisal, source });
        return { ...result, source };
      } catch (e) {
        const message = commandErrorText(e);
        await s.runsView.showInspection({ type: 'inspectionError', runId: id, message });
        void vscode.window.showErrorMessage(`Sequence Lab: inspection failed: ${message}`);
        return undefined;
      }
    }),
  ];
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
      ...[...record.checkpoints].reverse().map((c) => ({
        label: `$(save) Checkpoint at step ${c.step}`,
        description: c.valLoss !== undefined ? `validation loss ${c.valLoss.toFixed(3)}` : c === latest ? 'latest' : undefined,
        step: c.step as number | undefined,
      })),
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
