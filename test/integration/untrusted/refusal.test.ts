/** In an untrusted workspace the extension loads in limited mode and refuses to train. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extension, manifest, runIds, sleep, workspaceFolder } from '../support';

describe('untrusted workspace', () => {
  it('opens untrusted, and the extension still activates in limited mode', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the untrusted suite must run in an untrusted workspace');
    assert.equal(manifest().capabilities?.untrustedWorkspaces?.supported, 'limited');
    await extension().activate();
    assert.equal(extension().isActive, true);
  });

  it('refuses to train on a file, and writes no run', async () => {
    const file = vscode.Uri.file(path.join(workspaceFolder(), 'timemachine-excerpt.txt'));
    await vscode.commands.executeCommand('sequenceLab.trainOnFile', file);
    // A refused run must not start late either: give a worker the time it would need to create its folder.
    await sleep(3000);
    assert.deepEqual(runIds(), []);
  });
});
