import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkInputFiles, describeInputProblem, megabytesToBytes } from '../../src/host/inputFiles';
import { RunsFolderNotWritableError, ensureRunsDirWritable } from '../../src/host/runStore';

describe('host: input checks before training', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-input-'))));
  afterEach(() => {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts readable files within the limit', async () => {
    const a = path.join(dir, 'a.txt');
    fs.writeFileSync(a, 'hello world\n');
    assert.deepEqual(await checkInputFiles([a], 100), { ok: true, totalBytes: 12 });
  });

  it('names a missing file and a folder', async () => {
    const missing = await checkInputFiles([path.join(dir, 'gone.txt')], 100);
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? describeInputProblem(missing.problem) : '', /gone\.txt does not exist/);
    const folder = await checkInputFiles([dir], 100);
    assert.equal(!folder.ok && folder.problem.kind, 'notAFile');
  });

  it('reports files above the per-file limit with their sizes', async () => {
    const big = path.join(dir, 'big.txt');
    fs.writeFileSync(big, Buffer.alloc(3 * 1024 * 1024, 'a'));
    const check = await checkInputFiles([big], megabytesToBytes(2));
    assert.equal(check.ok, false);
    if (check.ok) return;
    assert.equal(check.problem.kind, 'tooLarge');
    assert.equal(describeInputProblem(check.problem), 'big.txt is 3.0 MB, above the limit of 2.0 MB per file (setting sequenceLab.maxFileSizeMB).');
  });

  it('turns a fractional MB setting into whole bytes', () => {
    assert.equal(megabytesToBytes(50), 52_428_800);
    assert.equal(megabytesToBytes(0.5), 524_288);
    assert.ok(Number.isInteger(megabytesToBytes(0.0001)));
  });

  it('says the runs folder cannot be created in a read-only folder', async function () {
    if (process.getuid?.() === 0) {
      // root ignores permission bits; a read-only bind mount would be needed. Check the error path with a file in the way instead.
      fs.writeFileSync(path.join(dir, '.seqlab'), 'not a folder');
      await assert.rejects(ensureRunsDirWritable(path.join(dir, '.seqlab', 'runs')), (e: unknown) => e instanceof RunsFolderNotWritableError && /Cannot create/.test((e as Error).message));
      return;
    }
    fs.chmodSync(dir, 0o555);
    await assert.rejects(ensureRunsDirWritable(path.join(dir, '.seqlab', 'runs')), (e: unknown) => e instanceof RunsFolderNotWritableError && /permission denied/.test((e as Error).message));
  });

  it('creates a writable runs folder', async () => {
    await ensureRunsDirWritable(path.join(dir, '.seqlab', 'runs'));
    assert.ok(fs.statSync(path.join(dir, '.seqlab', 'runs')).isDirectory());
    assert.deepEqual(fs.readdirSync(path.join(dir, '.seqlab', 'runs')), [], 'the probe file is removed');
    assert.match(fs.readFileSync(path.join(dir, '.seqlab', '.gitignore'), 'utf8'), /^\*$/m, 'a new .seqlab keeps itself out of git');
  });

  it('leaves an existing .seqlab (and its .gitignore choice) alone', async () => {
    fs.mkdirSync(path.join(dir, '.seqlab'));
    await ensureRunsDirWritable(path.join(dir, '.seqlab', 'runs'));
    assert.ok(!fs.existsSync(path.join(dir, '.seqlab', '.gitignore')));
  });
});
