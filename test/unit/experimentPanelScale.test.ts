/** The experiment panel's gradient maps on one colour scale (webview helper, pure). */
import * as assert from 'node:assert/strict';
import type { GradMap } from '../../src/protocol/types';
import { gridsOnSharedScale, sharedQuantity } from '../../src/webview/experiment/sharedScale';

const map = (step: number, last: number[], total?: number[]): GradMap => ({
  step,
  hiddenGradNorms: [last],
  ...(total ? { totalGradNorms: [total] } : {}),
  paramGradNorms: {},
  globalNorm: 1,
  clip: 0,
});

describe('experiment panel: one colour scale for every map', () => {
  it('gives every run the smallest minimum and largest maximum of log10 norms over all runs, keeping each run’s cells', () => {
    const rnn = [map(10, [1e-9, 1e-5, 1e-1], [1, 1, 1]), map(20, [1e-8, 1e-4, 1], [1, 1, 1])];
    const lstm = [map(10, [1e-2, 1e-1, 10], [1, 1, 1])];
    const grids = gridsOnSharedScale([rnn, lstm, []], 'last');
    assert.equal(grids[0].min, -9);
    assert.equal(grids[0].max, 1);
    assert.equal(grids[1].min, -9);
    assert.equal(grids[1].max, 1);
    assert.equal(grids[2].cols, 0, 'a run without maps draws nothing');
    assert.deepEqual(Array.from(grids[1].values), [-2, -1, 1]);
    assert.deepEqual(Array.from(grids[0].values), [-9, -5, -1, -8, -4, 0]);
  });

  it('shows the last prediction’s gradient unless some run’s maps lack it', () => {
    assert.equal(sharedQuantity([[map(1, [1], [1])], []]), 'last');
    // A map without totalGradNorms recorded only the whole window's gradient.
    assert.equal(sharedQuantity([[map(1, [1], [1])], [map(1, [1])]]), 'total');
  });
});
