/**
 * Every contributed command, invoked as the command palette does (no arguments): it must settle
 * without throwing once the quick picks, input boxes and file dialogs it opens are dismissed, as a
 * person pressing Escape would. Only modal dialogs are out of reach here; commands open none without
 * an argument that asks for one.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { manifest, sleep } from './support';

/** Settles `promise`, dismissing quick input in the meantime; rejects after `timeoutMs`. */
async function settleDismissing<T>(promise: Thenable<T>, timeoutMs: number): Promise<T> {
  let settled = false;
  const guarded = Promise.resolve(promise).finally(() => (settled = true));
  const deadline = Date.now() + timeoutMs;
  while (!settled) {
    if (Date.now() > deadline) throw new Error(`did not settle within ${timeoutMs / 1000} s with its prompts dismissed`);
    await sleep(300);
    if (!settled) await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  }
  return guarded;
}

describe('every contributed command', function () {
  this.timeout(120_000);
  const commands = (manifest().contributes?.commands ?? []).map((c) => c.command);

  it('has commands to run', () => assert.ok(commands.length > 0));

  for (const id of commands) {
    it(`${id} runs from the palette and settles when its prompts are dismissed`, async () => {
      await settleDismissing(vscode.commands.executeCommand(id), 60_000);
    });
  }

  after(async () => {
    // Nothing a command started may go on training into the next suite.
    const diagnostics = await vscode.commands.executeCommand<{ activeRunId?: string; queued: string[] }>('sequenceLab.getDiagnostics');
    for (const runId of [...(diagnostics?.queued ?? []), diagnostics?.activeRunId].filter(Boolean)) {
      await vscode.commands.executeCommand('sequenceLab.stop', runId);
    }
  });
});
