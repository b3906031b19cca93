/**
 *   sequenceLab.generateText(runId?, { prompt, length, temperature, topK?, beamWidth? }?)
 *     -> Promise<{ text, cancelled, uri } | undefined>
 * Writes a sample into a new untitled editor: the prompt, then the model's tokens as they come
 * (sampling, from the live model or the latest checkpoint), or the best beam at once (beam width > 1:
 * core/beamSearch.ts in the utility worker). Cancel stops the writing at once; the worker's request
 * (bounded: at most 10,000 tokens, 2,000 for a beam) runs out in the background.
 */
import * as vscode from 'vscode';
import { BEAM_LIMITS, type InsideAnswer } from '../../protocol/inside';
import { SAMPLE_LIMITS, sampleRequestProblem } from '../../protocol/worker';
import type { RunSummary } from '../../protocol/types';
import { isRecord } from '../../protocol/validate';
import type { HostServices } from '../base/services';
import { requireTrust } from '../base/trust';
import { commandErrorText, refuse, validId } from '../commands/commandArgs';
import { pickRun } from '../commands/runPicker';
import { newRequestId } from '../runs/workerRequests';
import { runCheckpoint } from './runCheckpoint';

/** Streamed tokens reach the editor at most this often (one edit each). */
const FLUSH_MS = 100;

export interface GenerateOptions {
  prompt: string;
  length: number;
  temperature: number;
  topK: number;
  beamWidth: number;
}

/** Why the options cannot be used, or undefined. */
export function generateProblem(o: GenerateOptions): string | undefined {
  if (!Number.isInteger(o.beamWidth) || o.beamWidth < 1 || o.beamWidth > BEAM_LIMITS.maxWidth) return `The beam width must be a whole number from 1 to ${BEAM_LIMITS.maxWidth}.`;
  if (o.beamWidth > 1 && o.length > BEAM_LIMITS.maxLength) return `A beam search writes at most ${BEAM_LIMITS.maxLength} tokens.`;
  return sampleRequestProblem(o);
}

export function registerGenerateText(s: HostServices): vscode.Disposable[] {
  const usable = (r: RunSummary) => !!s.manager.getRecord(r.id)?.checkpoints.length || (r.id === s.manager.activeRunId && r.state === 'training');
  return [
    vscode.commands.registerCommand('sequenceLab.generateText', async (runArg?: unknown, options?: unknown) => {
      if (!requireTrust('generate text with a model')) return undefined;
      // From the sidebar's context menu the argument is the webview's context object: { runId }.
      const runId =
        validId(runArg) ??
        validId(isRecord(runArg) ? runArg.runId : undefined) ??
        (await pickRun(s.manager, { placeHolder: 'Generate text with which run?', filter: usable, none: 'No run has a model yet: train one first.', autoPickSingle: true }));
      if (!runId) return undefined;
      const record = s.manager.getRecord(runId);
      if (!record) return refuse(`run ${runId} was not found.`);
      const given = isRecord(options) ? options : undefined;
      const o: GenerateOptions | undefined = given
        ? {
            prompt: typeof given.prompt === 'string' ? given.prompt : '',
            length: typeof given.length === 'number' ? given.length : record.config.sampleLength,
            temperature: typeof given.temperature === 'number' ? given.temperature : record.config.temperature,
            topK: typeof given.topK === 'number' ? given.topK : 0,
            beamWidth: typeof given.beamWidth === 'number' ? given.beamWidth : 1,
          }
        : await askOptions(record.config.sampleLength, record.config.temperature);
      if (!o) return undefined;
      const problem = generateProblem(o);
      if (problem) return refuse(problem);

      const doc = await vscode.workspace.openTextDocument({ content: o.prompt, language: 'plaintext' });
      await vscode.window.showTextDocument(doc, { preview: false });
      let pending = '';
      let written = o.prompt;
      let chain: Thenable<unknown> = Promise.resolve();
      let cancelled = false;
      // Edits are applied one after another, each at the document's end.
      const flush = () => {
        const chunk = pending;
        pending = '';
        if (!chunk || cancelled) return;
        written += chunk;
        chain = chain.then(() => {
          const edit = new vscode.WorkspaceEdit();
          edit.insert(doc.uri, doc.positionAt(doc.getText().length), chunk);
          return vscode.workspace.applyEdit(edit);
        });
      };
      const what = o.beamWidth > 1 ? `beam search (width ${o.beamWidth})` : `sampling at temperature ${o.temperature}${o.topK ? `, top-${o.topK}` : ''}`;
      return vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Sequence Lab: generating ${o.length} tokens, ${what}`, cancellable: true },
        async (_p, token) => {
          const stop = new Promise<'cancelled'>((resolve) => token.onCancellationRequested(() => resolve('cancelled')));
          const timer = setInterval(flush, FLUSH_MS);
          try {
            const work =
              o.beamWidth > 1
                ? s.manager
                    .insideRequest<Extract<InsideAnswer, { type: 'beamDone' }>>({
                      type: 'beam',
                      requestId: newRequestId(),
                      checkpoint: runCheckpoint(s.manager, runId),
                      prompt: o.prompt,
                      length: o.length,
                      width: o.beamWidth,
                    })
                    .then((r) => void (pending += r.text))
                : s.manager.sample({ runId, prompt: o.prompt, length: o.length, temperature: o.temperature, topK: o.topK }, (t) => (pending += t)).then(() => undefined);
            const outcome = await Promise.race([work, stop]);
            if (outcome === 'cancelled') {
              cancelled = true;
              work.catch(() => undefined); // its end no longer matters
            } else flush();
            await chain;
            return { text: written, cancelled, uri: doc.uri.toString() };
          } catch (e) {
            flush();
            await chain;
            return refuse(`generating text failed: ${commandErrorText(e)}`);
          } finally {
            clearInterval(timer);
          }
        },
      );
    }),
  ];
}

async function askOptions(length: number, temperature: number): Promise<GenerateOptions | undefined> {
  const ask = (title: string, value: string, check: (v: string) => string | undefined, prompt?: string) =>
    vscode.window.showInputBox({ title: `Generate Text: ${title}`, value, prompt, ignoreFocusOut: true, validateInput: check });
  const whole = (lo: number, hi: number) => (v: string) => (Number.isInteger(Number(v)) && Number(v) >= lo && Number(v) <= hi ? undefined : `A whole number from ${lo} to ${hi}.`);
  const prompt = await ask(
    'prompt',
    '',
    (v) => (v.length <= SAMPLE_LIMITS.maxPromptChars ? undefined : 'The prompt is too long.'),
    'Text that warms up the hidden state first (may be empty)',
  );
  if (prompt === undefined) return undefined;
  const len = await ask('length in tokens', String(length), whole(1, SAMPLE_LIMITS.maxLength));
  if (len === undefined) return undefined;
  const temp = await ask(
    'temperature',
    String(temperature),
    (v) => (v.trim() && Number(v) >= 0 && Number(v) <= SAMPLE_LIMITS.maxTemperature ? undefined : 'A number from 0 to 10.'),
    '0 is greedy, 1 samples the model as it is',
  );
  if (temp === undefined) return undefined;
  const topK = await ask('top-k', '0', whole(0, 1_000_000), 'Sample among the k most likely tokens only; 0 for all');
  if (topK === undefined) return undefined;
  const beam = await ask(
    'beam width',
    '1',
    whole(1, BEAM_LIMITS.maxWidth),
    '1 samples; more searches for the likeliest text with that many beams (temperature and top-k then do not apply)',
  );
  if (beam === undefined) return undefined;
  return { prompt, length: Number(len), temperature: Number(temp), topK: Number(topK), beamWidth: Number(beam) };
}
