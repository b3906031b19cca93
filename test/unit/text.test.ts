/** Reading text: every kind of bad input gets its own error code and a hint; good text is normalised. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SeqLabError } from '../../src/core/errors';
import { decodeText, readTextFile } from '../../src/core/text';

function tmpFile(name: string, content: string | Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-text-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SeqLabError, `expected SeqLabError, got ${e}`);
    assert.ok(e.message.length > 10 && e.hint && e.hint.length > 10, 'message and hint say what happened and what to do');
    return e.code;
  }
  assert.fail('expected an error');
}

describe('text files', () => {
  it('normalises CRLF and CR line endings and strips a BOM', () => {
    const file = tmpFile('a.txt', '\ufeffone\r\ntwo\rthree\n');
    assert.equal(readTextFile(file).text, 'one\ntwo\nthree\n');
  });

  it('refuses an empty file', () => assert.equal(errorCode(() => readTextFile(tmpFile('empty.txt', ''))), 'EMPTY'));
  it('refuses a whitespace-only file', () => assert.equal(errorCode(() => readTextFile(tmpFile('ws.txt', ' \n\t\n'))), 'EMPTY'));
  it('refuses a missing file', () => assert.equal(errorCode(() => readTextFile('/nonexistent/file.txt')), 'FILE_NOT_FOUND'));
  it('refuses a folder', () => assert.equal(errorCode(() => readTextFile(os.tmpdir())), 'NOT_A_FILE'));

  it('refuses a binary file (NUL byte) and says where', () => {
    const file = tmpFile('b.bin', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x01]));
    assert.equal(errorCode(() => readTextFile(file)), 'BINARY');
    assert.throws(() => readTextFile(file), /offset 4/);
  });

  it('refuses invalid UTF-8 (Latin-1) and points at the first bad byte', () => {
    const file = tmpFile('latin1.txt', Buffer.from('caf\xe9 au lait', 'latin1'));
    assert.equal(errorCode(() => readTextFile(file)), 'NOT_UTF8');
    assert.throws(() => readTextFile(file), /offset 3/);
  });

  it('refuses a 200 MB file by default, and reads only the first part with truncate', function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-big-'));
    const file = path.join(dir, 'big.txt');
    const chunk = Buffer.from('Ünïcödé text, over and over. '.repeat(36_000)); // ~1 MB with multi-byte chars
    const fd = fs.openSync(file, 'w');
    for (let written = 0; written < 200 * 1024 * 1024; written += chunk.length) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    try {
      assert.equal(errorCode(() => readTextFile(file)), 'TOO_LARGE');
      const t0 = Date.now();
      const cut = readTextFile(file, { maxBytes: 3_000_001, truncate: true });
      assert.ok(cut.truncated);
      assert.ok(Buffer.byteLength(cut.text) <= 3_000_001 && Buffer.byteLength(cut.text) > 2_999_990, 'cut at a character boundary');
      assert.ok(!cut.text.includes('\ufffd'), 'no broken character at the cut');
      assert.ok(Date.now() - t0 < 5000, 'reads only what it keeps');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decodes emoji and CJK', () => assert.equal(decodeText(Buffer.from('héllo 👋 世界')), 'héllo 👋 世界'));
});
