/** Reading text: every kind of bad input gets its own error code and a hint; good text is normalised. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SeqLabError } from '../../src/core/errors';
import { decodeText, DEFAULT_MAX_BYTES, normalizeLineEndings, readTextFile, SNIFF_BYTES, sniffText } from '../../src/core/text';

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

  it('refuses an empty file', () =>
    assert.equal(
      errorCode(() => readTextFile(tmpFile('empty.txt', ''))),
      'EMPTY',
    ));
  it('refuses a whitespace-only file', () =>
    assert.equal(
      errorCode(() => readTextFile(tmpFile('ws.txt', ' \n\t\n'))),
      'EMPTY',
    ));
  it('refuses a missing file', () =>
    assert.equal(
      errorCode(() => readTextFile('/nonexistent/file.txt')),
      'FILE_NOT_FOUND',
    ));
  it('refuses a folder', () =>
    assert.equal(
      errorCode(() => readTextFile(os.tmpdir())),
      'NOT_A_FILE',
    ));

  it('refuses a binary file (NUL byte) and says where', () => {
    const file = tmpFile('b.bin', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x01]));
    assert.equal(
      errorCode(() => readTextFile(file)),
      'BINARY',
    );
    assert.throws(() => readTextFile(file), /offset 4/);
  });

  it('refuses invalid UTF-8 (Latin-1) and points at the first bad byte', () => {
    const file = tmpFile('latin1.txt', Buffer.from('caf\xe9 au lait', 'latin1'));
    assert.equal(
      errorCode(() => readTextFile(file)),
      'NOT_UTF8',
    );
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
      assert.equal(
        errorCode(() => readTextFile(file)),
        'TOO_LARGE',
      );
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

describe('UTF-8, byte by byte', () => {
  const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
  /** The offset the NOT_UTF8 error names, or 'ok' with the decoded text. */
  function badOffset(b: Uint8Array, cutAtEnd = false): number | string {
    try {
      return `ok:${decodeText(b, 'x', cutAtEnd)}`;
    } catch (e) {
      assert.ok(e instanceof SeqLabError && e.code === 'NOT_UTF8', String(e));
      return Number(/offset (\d+)/.exec(e.message)![1]);
    }
  }

  it('accepts the smallest and largest code point of each sequence length', () => {
    assert.equal(badOffset(bytes(0x41, 0xc2, 0x80, 0xdf, 0xbf)), 'ok:A\u0080\u07ff');
    assert.equal(badOffset(bytes(0x41, 0xe0, 0xa0, 0x80, 0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80, 0xef, 0xbf, 0xbd)), 'ok:A\u0800\ud7ff\ue000\ufffd');
    assert.equal(badOffset(bytes(0x41, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf)), 'ok:A\u{10000}\u{10ffff}');
  });

  it('names the first bad byte: bad leads, overlong forms, surrogates, past U+10FFFF, bad or missing continuations', () => {
    const cases: [number[], number][] = [
      [[0x41, 0x80], 1], // a continuation byte with no lead
      [[0x41, 0xc1, 0xbf], 1], // overlong 2-byte form
      [[0x41, 0x42, 0xe0, 0x9f, 0xbf], 2], // overlong 3-byte form
      [[0x41, 0xed, 0xa0, 0x80], 1], // a UTF-16 surrogate
      [[0x41, 0xf0, 0x8f, 0xbf, 0xbf], 1], // overlong 4-byte form
      [[0x41, 0xf4, 0x90, 0x80, 0x80], 1], // past U+10FFFF
      [[0x41, 0xf5, 0x80, 0x80, 0x80], 1], // no such lead byte
      [[0x41, 0xff], 1],
      [[0x41, 0xe2, 0x82, 0x41], 1], // a lead whose continuation is missing
      [[0x41, 0xc3, 0xa9, 0xe2, 0x82], 3], // cut short at the end of a file read whole
      [[0x41, 0xc3, 0xa9, 0xf0, 0x9f, 0x98], 3],
    ];
    for (const [b, offset] of cases) assert.equal(badOffset(Uint8Array.from(b)), offset, b.map((x) => x.toString(16)).join(' '));
  });

  it('names the first bad byte after valid sequences at the edges of each range', () => {
    // U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+10000, U+10FFFF (21 bytes), then a bad byte
    const valid = [0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80, 0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf];
    assert.equal(badOffset(Uint8Array.from([...valid, 0xff])), 21);
    assert.equal(badOffset(Uint8Array.from([...valid, 0xe1, 0x80, 0x80, 0xf1, 0x80, 0x80, 0x80, 0xc0])), 28);
  });

  it('a NUL byte anywhere, even first, means binary', () => {
    assert.throws(
      () => decodeText(bytes(0x00, 0x61)),
      (e: SeqLabError) => e.code === 'BINARY' && /offset 0/.test(e.message),
    );
    assert.throws(() => decodeText(bytes(0x20, 0x0a)), /^SeqLabError: The text contains only whitespace/);
  });

  it('drops a character cut at the end of a partial read, and only that', () => {
    assert.equal(badOffset(bytes(0x61, 0xe0, 0xa0), true), 'ok:a');
    const euro = [0xe2, 0x82, 0xac];
    const grin = [0xf0, 0x9f, 0x98, 0x80];
    assert.equal(badOffset(bytes(0x61, ...euro), true), 'ok:a€');
    assert.equal(badOffset(bytes(0x61, ...euro.slice(0, 2)), true), 'ok:a');
    assert.equal(badOffset(bytes(0x61, ...euro.slice(0, 1)), true), 'ok:a');
    assert.equal(badOffset(bytes(0x61, ...grin), true), 'ok:a😀');
    assert.equal(badOffset(bytes(0x61, ...grin.slice(0, 3)), true), 'ok:a');
    assert.equal(badOffset(bytes(0x61, 0xc3), true), 'ok:a');
    assert.equal(badOffset(bytes(0x61, 0xc3, 0xa9), true), 'ok:aé');
    assert.equal(badOffset(bytes(0x61, 0x62), true), 'ok:ab');
    // Continuation bytes with no lead are not a cut character: still invalid.
    assert.equal(badOffset(bytes(0x80, 0x80, 0x80), true), 0);
    assert.equal(badOffset(bytes(0x61, 0x80, 0x80, 0x80, 0x80, 0x80), true), 1);
  });

  it('normalises line endings', () => {
    assert.equal(normalizeLineEndings('a\r\nb\rc\n\r\nd'), 'a\nb\nc\n\nd');
  });
});

describe('sniffing the head of a file', () => {
  const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
  it('refuses an empty file, and a whitespace-only one it sees whole', () => {
    assert.equal(
      errorCode(() => sniffText(new Uint8Array(0), 'e.txt', 0)),
      'EMPTY',
    );
    assert.throws(() => sniffText(new Uint8Array(0), 'e.txt', 0), /e\.txt is empty/);
    assert.equal(
      errorCode(() => sniffText(utf8(' \n '), 'w.txt', 3)),
      'EMPTY',
    );
    assert.throws(() => sniffText(utf8(' \n '), 'w.txt', 3), /w\.txt contains only whitespace/);
  });

  it('accepts a head of whitespace or a character cut at its end when the file goes on', () => {
    assert.doesNotThrow(() => sniffText(utf8('   '), 'long.txt', SNIFF_BYTES * 10));
    assert.doesNotThrow(() => sniffText(Uint8Array.from([0x61, 0xe2, 0x82]), 'cut.txt', 100));
    assert.doesNotThrow(() => sniffText(Uint8Array.from([0xe2, 0x82]), 'cut.txt', 100));
    assert.equal(
      errorCode(() => sniffText(Uint8Array.from([0x61, 0xe2, 0x82]), 'whole.txt', 3)),
      'NOT_UTF8',
    );
  });

  it('refuses binary and non-UTF-8 heads, naming the file', () => {
    assert.throws(
      () => sniffText(Uint8Array.from([0x61, 0x00]), 'b.bin', 1000),
      (e: SeqLabError) => e.code === 'BINARY' && /b\.bin .*offset 1/.test(e.message),
    );
    assert.throws(
      () => sniffText(Uint8Array.from([0x61, 0xe9, 0x61]), 'l.txt', 1000),
      (e: SeqLabError) => e.code === 'NOT_UTF8' && /l\.txt .*offset 1/.test(e.message),
    );
  });
});

describe('reading a file within a size limit', () => {
  it('reads a file of exactly the limit whole, and says what it read', () => {
    const file = tmpFile('exact.txt', 'x'.repeat(1000));
    const t = readTextFile(file, { maxBytes: 1000 });
    assert.deepEqual({ ...t, text: t.text.length }, { path: file, text: 1000, bytes: 1000, truncated: false });
    assert.equal(DEFAULT_MAX_BYTES, 50 * 1024 * 1024);
  });

  it('refuses a file over the limit with both sizes in MB, or reads its first part with truncate', () => {
    const file = tmpFile('over.txt', 'ab\r\n'.repeat(393_216)); // 1.5 MB
    assert.throws(
      () => readTextFile(file, { maxBytes: 1024 * 1024 }),
      (e: SeqLabError) => e.code === 'TOO_LARGE' && /over\.txt is 1\.5 MB, above the limit of 1\.0 MB/.test(e.message) && /first 1\.0 MB/.test(e.hint ?? ''),
    );
    const t = readTextFile(file, { maxBytes: 1024 * 1024, truncate: true });
    assert.equal(t.truncated, true);
    assert.equal(t.bytes, 1.5 * 1024 * 1024);
    assert.equal(t.text, 'ab\n'.repeat(262_144));
  });

  it('names the file in each refusal', () => {
    assert.throws(() => readTextFile(tmpFile('nothing.txt', '')), /nothing\.txt is empty/);
    assert.throws(() => readTextFile('/nonexistent/gone.txt'), /gone\.txt does not exist/);
    assert.throws(() => readTextFile(tmpFile('bad.txt', Uint8Array.from([0x61, 0xff]))), /bad\.txt is not valid UTF-8/);
  });
});
