import * as assert from 'node:assert/strict';
import { dropRewound } from '../../src/core/runFiles';

describe('run files: history after a resume', () => {
  it('drops entries a resumed run went back over, keeping step order', () => {
    const steps = (list: { step: number }[]) => list.map((e) => e.step);
    assert.deepEqual(steps(dropRewound([1, 2, 3, 4, 5, 3, 4, 5, 6].map((step) => ({ step })))), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(steps(dropRewound([10, 20, 30, 20, 30].map((step) => ({ step })))), [10, 20, 30]);
    assert.deepEqual(steps(dropRewound([1, 2, 3].map((step) => ({ step })))), [1, 2, 3]);
    assert.deepEqual(dropRewound([]), []);
  });
});
