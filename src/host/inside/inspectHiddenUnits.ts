/**
 *   sequenceLab.inspectHiddenUnits(uri | runId?, text | uri?)
 *     -> Promise<{ tokens, truncated, unknown, notes, kinds, ranking } | undefined>
 * Traces the editor's selection (or its document, or an explorer file) through a run's latest
 * checkpoint in the utility worker, bounded to INSIDE_MAX_TOKENS tokens, and shows the hidden-units
 * panel. One panel, reused by the next inspection.
 */
import * as vscode from 'vscode';
import { INSIDE_MAX_TOKENS, type InsideAnswer, type TraceData } from '../../protocol/inside';
import type { RunSummary } from '../../protocol/types';
import type { HostServices } from '../base/services';
import { requireTrust } from '../base/trust';
import { commandErrorText, refuse, validId } from '../commands/commandArgs';
import { pickRun } from '../commands/runPicker';
import { newRequestId } from '../runs/workerRequests';
import { HiddenUnitsPanel } from './hiddenUnitsPanel';
import { insideSource } from './insideSource';
import { runCheckpoint } from './runCheckpoint';
import { traceNotes, TraceSession } from './traceSession';

export function registerInspectHiddenUnits(s: HostServices): vscode.Disposable[] {
  let panel: HiddenUnitsPanel | undefined;
  const hasCheckpoint = (r: RunSummary) => !!s.manager.getRecord(r.id)?.checkpoints.length && r.cell !== 'window';

  return [
    { dispose: () => panel?.dispose() },
    vscode.commands.registerCommand('sequenceLab.inspectHiddenUnits', async (arg?: unknown, text?: unknown) => {
      if (!requireTrust('inspect hidden units')) return undefined;
      let source;
      try {
        source = await insideSource(arg, text);
      } catch (e) {
        return refuse(commandErrorText(e));
      }
      if (!source) return refuse('the selection is empty: select some text in an editor (or open a file that is not empty) to inspect its hidden units.');
      const runId =
        validId(arg) ??
        (await pickRun(s.manager, {
          placeHolder: "Inspect the hidden units of which run's model?",
          filter: hasCheckpoint,
          none: 'No run of an RNN, GRU or LSTM has a checkpoint yet: train one first (checkpoints are written during training).',
          autoPickSingle: true,
        }));
      if (!runId) return undefined;
      const record = s.manager.getRecord(runId);
      if (!record) return refuse(`run ${runId} was not found.`);
      try {
        const checkpoint = runCheckpoint(s.manager, runId);
        const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Sequence Lab: tracing hidden units…' }, () =>
          s.manager.insideRequest<Extract<InsideAnswer, { type: 'insideTraced' }>>({
            type: 'insideTrace',
            requestId: newRequestId(),
            checkpoint,
            text: source.text,
            maxTokens: INSIDE_MAX_TOKENS,
            layer: -1,
          }),
        );
        const trace: TraceData = answer.trace;
        const session = new TraceSession(trace);
        const inspection = {
          session,
          source,
          runName: record.name,
          patternSignal: async (pattern: string) => {
            const done = await s.manager.insideRequest<Extract<InsideAnswer, { type: 'insideSignalDone' }>>({
              type: 'insideSignal',
              requestId: newRequestId(),
              text: trace.text,
              offsets: trace.offsets,
              pattern,
              flags: '',
            });
            return done.signal;
          },
        };
        if (panel && !panel.isClosed) panel.show(inspection);
        else {
          const webviewPanel = vscode.window.createWebviewPanel('sequenceLab.hiddenUnits', `Hidden units: ${record.name}`, vscode.ViewColumn.Beside, { enableFindWidget: true });
          panel = new HiddenUnitsPanel(webviewPanel, inspection, s.extensionUri, s.log);
        }
        return {
          tokens: session.T,
          truncated: trace.truncated || source.cut,
          unknown: trace.unknown.length,
          notes: traceNotes(trace, source.cut, source.size),
          kinds: session.kinds,
          ranking: panel.view.ranking?.units,
        };
      } catch (e) {
        return refuse(`inspecting hidden units failed: ${commandErrorText(e)}`);
      }
    }),
  ];
}
