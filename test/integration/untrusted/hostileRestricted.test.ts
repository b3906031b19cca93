/**
 * Crafted run folders in Restricted Mode: listed as unreadable as in a trusted workspace; Delete (which
 * needs no trust) removes only real folders; Resume is refused for want of trust; nothing outside the
 * workspace changes, and a run left "training" is not rewritten (recovery waits for trust).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checksumTree, makeOutsideFolder, relaxHostileRuns, writeHostileRuns, type HostileWorkspace } from '../../fixtures/hostileRuns';
import { extension, runsDir, workspaceFolder } from '../support';

interface Unreadable {
  key: string;
  dir: string;
  reason: string;
  deletable: boolean;
}

describe('a hostile workspace in Restricted Mode', function () {
  this.timeout(180_000);
  let outside: string;
  let ws: HostileWorkspace;
  let outsideBefore: Record<string, string>;

  before(async () => {
    await extension().activate();
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-outside-'));
    makeOutsideFolder(outside);
    ws = writeHostileRuns(runsDir(), outside, path.join(workspaceFolder(), 'timemachine-excerpt.txt'));
    outsideBefore = checksumTree(outside);
  });

  after(() => {
    relaxHostileRuns(runsDir());
    fs.rmSync(path.join(workspaceFolder(), '.seqlab'), { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('lists every crafted folder as unreadable, refuses Resume, and deletes only real folders', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const d = await vscode.commands.executeCommand<{ unreadable: Unreadable[] }>('sequenceLab.getDiagnostics', { refresh: true });
    const mine = d.unreadable.filter((u) => path.dirname(u.dir) === runsDir());
    for (const c of ws.cases.filter((x) => x.outcome === 'list')) {
      const entry = mine.find((u) => path.basename(u.dir) === c.name);
      assert.ok(entry && c.reason!.test(entry.reason), `${c.name}: ${entry?.reason ?? 'not listed'}`);
    }
    const genuineBefore = fs.readFileSync(path.join(runsDir(), ws.genuine[0].id, 'run.json'), 'utf8');
    assert.equal(await vscode.commands.executeCommand('sequenceLab.resumeRun', 'files-outside', { allowOutsideFiles: true }), undefined, 'no resume without trust');
    let deleted = 0;
    for (const entry of mine) {
      const done = await vscode.commands.executeCommand<boolean>('sequenceLab.deleteRun', entry.key, { confirm: false });
      assert.equal(done, entry.deletable, entry.dir);
      if (done) deleted++;
    }
    assert.ok(deleted >= 30, `${deleted} deleted`);
    assert.equal(fs.readFileSync(path.join(runsDir(), ws.genuine[0].id, 'run.json'), 'utf8'), genuineBefore, 'the genuine run is untouched');
    assert.deepEqual(checksumTree(outside), outsideBefore);
  });
});
