/** Batching: targets are the next tokens; sequential streams continue across batches; state is saved and restored. */
import * as assert from 'node:assert/strict';
import { createBatcher, evalBatches, minTokensFor, RandomBatcher, SequentialBatcher } from '../../src/core/batches';

/** ids[i] = i, so every window can be read back as positions. */
const ids = Int32Array.from({ length: 1000 }, (_, i) => i);

describe('batches', () => {
  it('random windows: y is x shifted by one, time-major, with the prefix before the window', () => {
    const b = new RandomBatcher(ids, 4, 10, 2, 0).next();
    assert.equal(b.x.length, 12 * 4);
    assert.equal(b.y.length, 10 * 4);
    assert.equal(b.continues, false);
    for (let s = 0; s < 4; s++) {
      const start = b.x[2 * 4 + s]; // first window position of sequence s
      for (let t = 0; t < 10; t++) {
        assert.equal(b.x[(2 + t) * 4 + s], start + t);
        assert.equal(b.y[t * 4 + s], start + t + 1);
      }
      assert.equal(b.x[s], start - 2, 'prefix holds the two tokens before the window');
    }
  });

  it('sequential: each stream continues exactly where the previous batch ended', () => {
    const batcher = new SequentialBatcher(ids, 3, 8, 0, 5);
    const first = batcher.next();
    const second = batcher.next();
    assert.equal(first.continues, false);
    assert.equal(second.continues, true);
    for (let s = 0; s < 3; s++) {
      assert.equal(second.x[s], first.x[7 * 3 + s] + 1);
      assert.equal(second.y[s], first.y[7 * 3 + s] + 1);
    }
    // Streams are disjoint stretches of the text.
    assert.ok(first.x[1] - first.x[0] >= 8 * 2);
  });

  it('sequential: a new epoch starts with a fresh state', () => {
    const batcher = new SequentialBatcher(
      Int32Array.from({ length: 100 }, (_, i) => i),
      2,
      10,
      0,
      1,
    );
    const flags = Array.from({ length: 12 }, () => batcher.next().continues);
    assert.ok(flags.filter((c) => !c).length >= 2, `epoch restarts: ${flags}`);
  });

  for (const mode of ['random', 'sequential'] as const) {
    it(`${mode}: restoring the saved state replays the same batches`, () => {
      const a = createBatcher(mode, ids, 4, 16, 0, 9);
      a.next();
      const saved = JSON.parse(JSON.stringify(a.state()));
      const expected = [a.next(), a.next()];
      const b = createBatcher(mode, ids, 4, 16, 0, 123);
      b.restore(saved);
      assert.deepEqual([b.next(), b.next()], expected);
    });
  }

  it('validation windows are consecutive and capped', () => {
    const batches = evalBatches(ids, 10, 0, 250, 8);
    const rows = batches.reduce((n, b) => n + b.batch, 0);
    assert.equal(rows, 25);
    assert.equal(batches[0].x[1], 10);
    assert.equal(batches[0].y[0], 1);
  });
});

describe('batch bounds', () => {
  /** ids[i] = i + 1: a 0 in a batch can only come from reading past the end of the text. */
  const text = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i + 1);

  it('says how many tokens each mode needs, and a text of exactly that many is enough', () => {
    assert.equal(minTokensFor('random', 4, 10, 2), 13);
    assert.equal(minTokensFor('sequential', 4, 10, 2), 53);
    for (let seed = 0; seed < 20; seed++) {
      for (const mode of ['random', 'sequential'] as const) {
        const batcher = createBatcher(mode, text(minTokensFor(mode, 4, 10, 2)), 4, 10, 2, seed);
        assert.ok(batcher instanceof (mode === 'random' ? RandomBatcher : SequentialBatcher), mode);
        const b = batcher.next();
        assert.ok(!b.x.includes(0) && !b.y.includes(0), `${mode} seed ${seed}`);
      }
    }
  });

  it('refuses a text shorter than one window, or too short for its streams', () => {
    assert.throws(
      () => new RandomBatcher(text(12), 4, 10, 2, 0),
      (e: Error) => e instanceof RangeError && /shorter than one window/.test(e.message),
    );
    assert.throws(
      () => new SequentialBatcher(text(40), 4, 10, 2, 0),
      (e: Error) => e instanceof RangeError && /too short for sequential/.test(e.message),
    );
    // 43 tokens, prefix 2: streams of (43 - 2 - offset - 1) / 4 = 10 tokens when the offset is 0, fewer otherwise.
    const seeds = Array.from({ length: 40 }, (_, s) => s);
    const made = seeds.filter((s) => {
      try {
        return new SequentialBatcher(text(43), 4, 10, 2, s).next().x.length > 0;
      } catch {
        return false;
      }
    });
    assert.ok(made.length > 0 && made.length < seeds.length, `${made.length} of ${seeds.length} seeds`);
  });

  it('random: window starts cover the whole text and never run past it', () => {
    const ids = text(40);
    const batcher = new RandomBatcher(ids, 8, 10, 3, 1);
    const starts = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const b = batcher.next();
      assert.ok(!b.x.includes(0) && !b.y.includes(0));
      for (let s = 0; s < 8; s++) starts.add(b.x[3 * 8 + s] - 1);
    }
    // start s needs s >= prefix (3) and s + window (10) < 40
    assert.equal(Math.min(...starts), 3);
    assert.equal(Math.max(...starts), 29);
  });

  it('sequential: streams of equal length cut after a random offset, read to their end, then a new epoch', () => {
    const n = 237;
    const [batch, window, prefix] = [3, 4, 4];
    let exactFits = 0; // epochs whose streams hold a whole number of windows: the last one must still be read
    const batcher = new SequentialBatcher(text(n), batch, window, prefix, 3);
    let checkedEpochs = 0;
    let b = batcher.next();
    for (let epoch = 0; epoch < 6; epoch++) {
      assert.equal(b.continues, false);
      const first = b.x[prefix * batch] - 1; // the first stream's first window token
      const offset = first - prefix;
      assert.ok(offset >= 0 && offset < window, `offset ${offset}`);
      const streamLength = Math.floor((n - prefix - offset - 1) / batch);
      for (let s = 0; s < batch; s++) {
        assert.equal(b.x[prefix * batch + s] - 1, prefix + offset + s * streamLength, `stream ${s}`);
        assert.equal(b.x[s] - 1, offset + s * streamLength, `prefix of stream ${s}`);
      }
      let batches = 1;
      for (b = batcher.next(); b.continues; b = batcher.next()) {
        assert.ok(!b.x.includes(0) && !b.y.includes(0));
        batches++;
      }
      assert.equal(batches, Math.floor(streamLength / window), `epoch ${epoch}, offset ${offset}`);
      if (streamLength % window === 0) exactFits++;
      checkedEpochs++;
    }
    assert.equal(checkedEpochs, 6);
    assert.ok(exactFits > 0);
  });

  it('sequential: a restored state with a prefix replays the same batches, across an epoch boundary', () => {
    const ids = text(300);
    const a = createBatcher('sequential', ids, 4, 16, 3, 9);
    a.next();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const expected = Array.from({ length: 8 }, () => a.next());
    const b = createBatcher('sequential', ids, 4, 16, 3, 77);
    b.restore(saved);
    assert.deepEqual(
      Array.from({ length: 8 }, () => b.next()),
      expected,
    );
    assert.ok(
      expected.some((x) => !x.continues),
      'an epoch boundary is crossed',
    );
  });

  it('validation: as many whole windows as fit after the prefix, grouped by rows, none continuing', () => {
    // 103 tokens, prefix 3, window 10: 9 windows (a 10th would need a target at index 103).
    const batches = evalBatches(text(103), 10, 3, 1e6, 4);
    assert.deepEqual(
      batches.map((b) => b.batch),
      [4, 4, 1],
    );
    assert.ok(batches.every((b) => !b.continues && b.window === 10 && b.prefix === 3));
    const last = batches[2];
    assert.equal(last.x[3], 84); // ids[3 + 8 * 10], the 9th window's first token
    assert.equal(last.y[9], 94); // its last target, ids[102]: the last token of the text
    assert.deepEqual(
      evalBatches(text(103), 10, 3, 1e6, 3).map((b) => b.batch),
      [3, 3, 3],
    );
    // At most maxTokens targets, but always one window.
    assert.deepEqual(
      evalBatches(text(103), 10, 3, 35, 8).map((b) => b.batch),
      [3],
    );
    assert.deepEqual(
      evalBatches(text(103), 10, 3, 5, 8).map((b) => b.batch),
      [1],
    );
  });
});
