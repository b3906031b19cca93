import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkInputFiles, describeInputProblem, megabytesToBytes } from '../../src/host/runs/inputFiles';
import { RunsFolderNotWritableError, ensureRunsDirWritable } from '../../src/host/runs/runStore';

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

  it('refuses an empty, a whitespace-only, a binary and a non-UTF-8 file before a run exists, saying what is wrong', async () => {
    const cases: [string, Uint8Array | string, RegExp][] = [
      ['empty.txt', '', /^empty\.txt is empty\. Train on a file with some text/],
      ['blank.txt', ' \n\t\r\n', /^blank\.txt contains only whitespace/],
      ['image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), /^image\.png looks binary: it contains a NUL byte at offset 8\. .*plain text/],
      ['latin1.txt', Buffer.from('caf\xe9 au lait', 'latin1'), /^latin1\.txt is not valid UTF-8 \(first bad byte at offset 3\)\. Convert it to UTF-8/],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      const check = await checkInputFiles([file], 1000);
      assert.equal(!check.ok && check.problem.kind, 'notText', name);
      assert.match(!check.ok ? describeInputProblem(check.problem) : '', message);
    }
  });

  it('reads only the head of a large file: valid text whose 64 KB cut splits a character passes', async () => {
    const file = path.join(dir, 'long.txt');
    // 'é' is two bytes; 65,535 ASCII bytes put one across the 64 KB boundary.
    fs.writeFileSync(file, 'a'.repeat(65_535) + 'é'.repeat(1000));
    assert.equal((await checkInputFiles([file], 10_000_000)).ok, true);
    // A NUL past the head is left to the worker, which reads everything.
    fs.appendFileSync(file, Buffer.from([0]));
    assert.equal((await checkInputFiles([file], 10_000_000)).ok, true);
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
      await assert.rejects(
        ensureRunsDirWritable(path.join(dir, '.seqlab', 'runs')),
        (e: unknown) => e instanceof RunsFolderNotWritableError && /Cannot write to .*a file stands where a folder is needed/.test((e as Error).message),
      );
      return;
    }
    fs.chmodSync(dir, 0o555);
    await assert.rejects(
      ensureRunsDirWritable(path.join(dir, '.seqlab', 'runs')),
      (e: unknown) => e instanceof RunsFolderNotWritableError && /Cannot write to .*permission denied/.test((e as Error).message),
    );
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
