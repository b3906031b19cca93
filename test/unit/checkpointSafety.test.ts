/**
 * Checkpoints safe at every instant, read as untrusted input: a crash between any two steps of a write
 * leaves a complete checkpoint that resolving finds; a run folder shipped in a repository cannot make
 * pruning delete outside it, nor a crafted checkpoint.json or latest.json crash or mislead the reader.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCheckpoint, pruneCheckpoints, resolveCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { checkpointAt } from './checkpointHelpers';
import { useBackend } from './helpers';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-ckpt-'));
}

describe('checkpoints: safe at every instant', () => {
  before(() => useBackend('cpu'));

  it('a crash between setting the old folder aside and renaming the new one in leaves the old one resolvable', async () => {
    const dir = tmpDir();
    saveCheckpoint(dir, await checkpointAt(5));
    // The module object itself (an import's namespace has only getters), so the checkpoint writer sees the patch.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object, patchable
    const realFs = require('node:fs') as typeof fs;
    const original = realFs.renameSync;
    // Die at the rename that brings the new folder into place, after any deletion or move of the old one.
    realFs.renameSync = (from, to) => {
      if (path.basename(String(to)) === 'step-0000005') throw new Error('killed');
      return original(from, to);
    };
    try {
      await assert.rejects(async () => saveCheckpoint(dir, await checkpointAt(5)), /killed/);
    } finally {
      realFs.renameSync = original;
    }
    const found = loadCheckpoint(dir);
    assert.equal(found.step, 5, 'the previous checkpoint at this step is still found');
    // The next save cleans what the crash left behind.
    saveCheckpoint(dir, await checkpointAt(6));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['latest.json', 'step-0000005', 'step-0000006']);
  });

  for (const sameStep of [false, true]) {
    it(`a crash at any file operation of a ${sameStep ? 'same-step rewrite' : 'new checkpoint'} leaves a complete checkpoint, at least as new as latest.json named before`, async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object, patchable
      const realFs = require('node:fs') as Record<string, unknown>;
      const ops = ['mkdirSync', 'openSync', 'writeFileSync', 'fsyncSync', 'closeSync', 'renameSync', 'rmSync'];
      const originals = Object.fromEntries(ops.map((op) => [op, realFs[op]]));
      const first = await checkpointAt(4);
      const next = await checkpointAt(sameStep ? 4 : 5);
      let crashes = 0;
      for (let k = 1; ; k++) {
        const dir = tmpDir();
        saveCheckpoint(dir, first);
        let calls = 0;
        for (const op of ops) {
          realFs[op] = (...args: unknown[]) => {
            if (++calls === k) throw new Error('killed');
            return (originals[op] as (...a: unknown[]) => unknown)(...args);
          };
        }
        let completed = true;
        try {
          saveCheckpoint(dir, next);
        } catch (e) {
          assert.match((e as Error).message, /killed/);
          completed = false;
        } finally {
          Object.assign(realFs, originals);
        }
        const found = loadCheckpoint(dir);
        assert.ok(found.step >= 4, `crash at operation ${k}: step ${found.step}`);
        if (completed) break;
        crashes++;
        // The next save after the crash leaves only step folders and latest.json.
        saveCheckpoint(dir, await checkpointAt(6));
        assert.deepEqual(
          fs.readdirSync(dir).filter((n) => n.startsWith('.')),
          [],
          `leftovers after a crash at operation ${k}`,
        );
        assert.equal(loadCheckpoint(dir).step, 6);
      }
      assert.ok(crashes >= 10, `${crashes} crash points tried`);
    });
  }

  it('latest.json naming a missing or broken folder falls back to the newest valid checkpoint', async () => {
    const dir = tmpDir();
    saveCheckpoint(dir, await checkpointAt(3));
    saveCheckpoint(dir, await checkpointAt(4));
    saveCheckpoint(dir, await checkpointAt(7));
    // Step 7 truncated: its weights are shorter than its manifest says.
    const w = path.join(dir, 'step-0000007', 'weights.bin');
    fs.truncateSync(w, fs.statSync(w).size - 4);
    assert.equal(path.basename(resolveCheckpoint(dir)), 'step-0000004');
    fs.rmSync(path.join(dir, 'step-0000004'), { recursive: true });
    assert.equal(path.basename(resolveCheckpoint(dir)), 'step-0000003');
    fs.writeFileSync(path.join(dir, 'latest.json'), '{"step": 9, "pa');
    assert.equal(path.basename(resolveCheckpoint(dir)), 'step-0000003');
    fs.rmSync(path.join(dir, 'latest.json'));
    assert.equal(path.basename(resolveCheckpoint(dir)), 'step-0000003');
  });

  it('latest.json cannot point outside the checkpoints folder', async () => {
    const run = tmpDir();
    const dir = path.join(run, 'checkpoints');
    saveCheckpoint(dir, await checkpointAt(2));
    // A checkpoint planted in the run folder itself, which ".." would reach.
    fs.cpSync(path.join(dir, 'step-0000002'), path.join(run, 'planted'), { recursive: true });
    for (const name of ['..', '../planted', '/etc', 'step-0000002/..', 'step-12']) {
      fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ step: 2, path: name }));
      assert.equal(resolveCheckpoint(dir), path.join(dir, 'step-0000002'), name);
    }
  });

  it('pruning deletes only step folders inside the checkpoints folder; refs without a path do not throw', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'checkpoints');
    fs.mkdirSync(dir);
    const outside = path.join(root, 'outside');
    fs.mkdirSync(path.join(outside, 'step-0000001'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'step-0000002'));
    fs.symlinkSync(path.join(outside, 'step-0000001'), path.join(dir, 'step-0000001'));
    fs.mkdirSync(path.join(dir, 'notes'));
    const refs = [
      { step: 1, path: 'checkpoints/step-0000001', time: '' },
      { step: 2, path: 'checkpoints/step-0000002', time: '' },
      { step: 3, path: 'checkpoints/notes', time: '' },
      { step: 4, time: '' } as never,
      { step: 5, path: '../outside', time: '' },
      { step: 6, path: 'checkpoints/step-0000006', time: '' },
    ];
    pruneCheckpoints(dir, refs, 1);
    assert.ok(fs.existsSync(path.join(outside, 'step-0000001')), 'the symlink target survives');
    assert.ok(fs.existsSync(path.join(dir, 'notes')), 'a folder not named step-NNNNNNN survives');
    assert.ok(fs.existsSync(outside), '../outside survives');
    assert.ok(!fs.existsSync(path.join(dir, 'step-0000002')), 'a real step folder is pruned');
  });

  it('a symlinked checkpoints folder is refused for pruning and writing', async () => {
    const root = tmpDir();
    const target = path.join(root, 'elsewhere');
    fs.mkdirSync(path.join(target, 'step-0000001'), { recursive: true });
    const dir = path.join(root, 'checkpoints');
    fs.symlinkSync(target, dir);
    const refs = [1, 2].map((step) => ({ step, path: `checkpoints/step-000000${step}`, time: '' }));
    assert.throws(
      () => pruneCheckpoints(dir, refs, 1),
      (e: Error & { code?: string }) => e.name === 'SeqLabError' && /symbolic link/.test(e.message),
    );
    assert.ok(fs.existsSync(path.join(target, 'step-0000001')));
    const data = await checkpointAt(2);
    assert.throws(() => saveCheckpoint(dir, data), /symbolic link/);
    assert.deepEqual(fs.readdirSync(target), ['step-0000001'], 'nothing written through the link');
  });
});
