/** Batching: targets are the next tokens; sequential streams continue across batches; state is saved and restored. */
import * as assert from 'node:assert/strict';
import { createBatcher, evalBatches, RandomBatcher, SequentialBatcher } from '../../src/core/batches';

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
    const batcher = new SequentialBatcher(Int32Array.from({ length: 100 }, (_, i) => i), 2, 10, 0, 1);
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
