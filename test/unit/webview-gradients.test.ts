import * as assert from 'assert';
import { chooseQuantity, mapNorms, newestWith, oldestWith, quantityText } from '../../src/webview/lib/gradQuantity';
import { gradSummary } from '../../src/webview/lib/gradSummary';
import { heatmapGrid, newestRange, stepsToFall } from '../../src/webview/lib/heatmapModel';
import { decadeTicks } from '../../src/webview/lib/scale';
import type { GradMap } from '../../src/protocol/types';

const T = 64;
/** log10 of the last prediction's norm falling `fall` decades per step back from 0 at t = T-1. */
const geometric = (fall: number, rows = T) => Array.from({ length: rows }, (_, t) => 10 ** (-fall * (rows - 1 - t)));
/** Flat near 1e-2 with the last step at half. */
const flat = (rows = T): number[] => Array.from({ length: rows }, (_, t) => (t === rows - 1 ? 0.005 : 0.01));
const current = (step: number, last: number[], total = flat(last.length)): GradMap => ({
  step,
  hiddenGradNorms: [last],
  totalGradNorms: [total],
  paramGradNorms: {},
  globalNorm: 1,
  clip: 1,
});
/** A map from the engine before both were kept: hiddenGradNorms then held the whole window's gradient. */
const legacy = (step: number, total = flat()): GradMap => ({ step, hiddenGradNorms: [total], paramGradNorms: {}, globalNorm: 1, clip: 1 });

describe('webview gradient quantity', () => {
  it('reads the last prediction from hiddenGradNorms and the whole window from totalGradNorms', () => {
    const m = current(10, [1, 2], [3, 4]);
    assert.deepStrictEqual(mapNorms(m, 'last'), [[1, 2]]);
    assert.deepStrictEqual(mapNorms(m, 'total'), [[3, 4]]);
  });

  it('reads a map without totalGradNorms as the whole window only', () => {
    const m = legacy(10, [3, 4]);
    assert.strictEqual(mapNorms(m, 'last'), undefined);
    assert.deepStrictEqual(mapNorms(m, 'total'), [[3, 4]]);
  });

  it('shows the preferred quantity when the maps carry it, else the other, and says which exist', () => {
    assert.deepStrictEqual(chooseQuantity([], 'total'), { shown: 'total', available: { last: true, total: true } });
    assert.deepStrictEqual(chooseQuantity([current(1, [1])], 'last'), { shown: 'last', available: { last: true, total: true } });
    assert.deepStrictEqual(chooseQuantity([current(1, [1])], 'total'), { shown: 'total', available: { last: true, total: true } });
    assert.deepStrictEqual(chooseQuantity([legacy(1)], 'last'), { shown: 'total', available: { last: false, total: true } });
    // A run resumed by the newer engine: the last prediction exists from its first new map on.
    const mixed = [legacy(1), legacy(2), current(3, [1]), current(4, [2])];
    assert.deepStrictEqual(chooseQuantity(mixed, 'last').shown, 'last');
    assert.strictEqual(oldestWith(mixed, 'last')?.step, 3);
    assert.strictEqual(oldestWith(mixed, 'total')?.step, 1);
    assert.strictEqual(newestWith(mixed, 'last')?.step, 4);
    assert.strictEqual(newestWith([legacy(1)], 'last'), undefined);
  });

  it('leaves the columns of maps without the quantity empty', () => {
    const grid = heatmapGrid([legacy(1, [1, 1]), current(2, [0.1, 1], [1, 1])], 0, 'last');
    assert.strictEqual(grid.cols, 2);
    assert.ok(Number.isNaN(grid.values[0]) && Number.isNaN(grid.values[1]));
    assert.deepStrictEqual([grid.values[2], grid.values[3]], [-1, 0]);
  });

  it('names the quantities for recurrent and fixed-window models', () => {
    const last = quantityText('last', false);
    assert.strictEqual(last.symbol, '‖∂ℓ_T/∂hₜ‖');
    assert.strictEqual(last.name, "gradient of the last prediction's loss");
    assert.ok(last.caption.includes("how far back the error signal of the last prediction reaches; a vanilla RNN's fades geometrically (vanishing gradients)"));
    assert.strictEqual(quantityText('total', false).symbol, '‖∂L/∂hₜ‖');
    assert.strictEqual(quantityText('last', true).symbol, '‖∂ℓ_T/∂xₖ‖');
    assert.strictEqual(quantityText('total', true).symbol, '‖∂L/∂xₖ‖');
    for (const q of ['last', 'total'] as const) assert.ok(!quantityText(q, true).caption.includes('hₜ'), 'the window model has no hidden states over time');
  });
});

describe('webview gradient summary', () => {
  it('measures how far back the newest map stays within a number of decades', () => {
    const grid = heatmapGrid([current(1, geometric(0.5)), current(2, geometric(0.15))], 0, 'last');
    assert.strictEqual(stepsToFall(grid, 3), 20, '0.15 decades a step: 1,000-fold after 20 steps');
    assert.strictEqual(stepsToFall(heatmapGrid([current(1, geometric(0.01))], 0, 'last'), 3), undefined);
    const r = newestRange(heatmapGrid([current(1, [1], flat())], 0, 'total'));
    assert.deepStrictEqual(r && [r.min.toFixed(2), r.minRow, r.max, r.maxRow], ['-2.30', 63, -2, 0]);
  });

  it('reads a plain RNN as vanishing and a trained LSTM as fading', () => {
    const rnn = gradSummary(heatmapGrid([current(2760, geometric(0.15))], 0, 'last'), 'last', false, 60);
    assert.strictEqual(
      rnn,
      "Newest map (step 2.76k): the last prediction's gradient falls 1,000-fold within 20 steps back, " +
        '9.4 decades smaller at t = 0 than at t = 63: it vanishes on its way back through time.',
    );
    const lstm = gradSummary(heatmapGrid([current(5000, geometric(0.05))], 0, 'last'), 'last', false, 60);
    assert.strictEqual(
      lstm,
      "Newest map (step 5k): the last prediction's gradient falls 1,000-fold within 60 steps back, " +
        '3.2 decades smaller at t = 0 than at t = 63: it fades on its way back through time.',
    );
    const reaching = gradSummary(heatmapGrid([current(1, geometric(0.01))], 0, 'last'), 'last', false, 60);
    assert.ok(reaching.endsWith('stays within 1,000-fold for all 64 steps, 0.6 decades smaller at t = 0 than at t = 63: it reaches the start of the window.'), reaching);
    const exploding = gradSummary(heatmapGrid([current(1, geometric(-0.05))], 0, 'last'), 'last', false, 60);
    assert.ok(exploding.endsWith('gradient is 3.2 decades larger at t = 0 than at t = 63: it grows on its way back through time (exploding gradients).'), exploding);
  });

  it('reads the whole window by its spread, with rows named for the model', () => {
    const grid = heatmapGrid([current(3000, geometric(0.15))], 0, 'total');
    assert.strictEqual(gradSummary(grid, 'total', false, 60), 'Newest map (step 3k): ‖∂L/∂hₜ‖ stays within 0.3 decades across the window (5e-3 at t = 63 to 0.01 at t = 0).');
    const window = heatmapGrid([current(3000, geometric(0.06, 16), flat(16))], 0, 'total');
    assert.ok(gradSummary(window, 'total', true, 60).includes('‖∂L/∂xₖ‖ stays within 0.3 decades across the window (5e-3 at position 15 to 0.01 at position 0)'));
  });

  it('reads the window model by context position, without time steps', () => {
    const near = gradSummary(heatmapGrid([current(100, geometric(0.2, 16))], 0, 'last'), 'last', true, 60);
    assert.strictEqual(near, 'Newest map (step 100): ‖∂ℓ_T/∂xₖ‖ at the oldest context position is 3.0 decades below the newest: the last prediction leans on its nearest inputs.');
    const whole = gradSummary(heatmapGrid([current(100, geometric(0.05, 16))], 0, 'last'), 'last', true, 60);
    assert.ok(whole.endsWith('0.8 decades below the newest: the last prediction draws on its whole context.'), whole);
  });

  it('says when maps are coming or off', () => {
    const empty = heatmapGrid([], 0, 'last');
    assert.strictEqual(gradSummary(empty, 'last', false, 60), 'Gradient maps are recorded every 60 steps.');
    assert.strictEqual(gradSummary(empty, 'last', false, 0), 'Gradient maps are off for this run (gradMapInterval is 0).');
  });
});

describe('webview decade ticks', () => {
  it('labels every decade over a short range and every k-th over a long one', () => {
    assert.deepStrictEqual(decadeTicks(1e-3, 1e-1, 5), [1e-3, 1e-2, 1e-1]);
    assert.deepStrictEqual(decadeTicks(1e-12, 1, 5), [1e-12, 1e-9, 1e-6, 1e-3, 1]);
    assert.deepStrictEqual(decadeTicks(3e-7, 2, 4), [1e-6, 1e-4, 1e-2, 1]);
    assert.deepStrictEqual(decadeTicks(2, 3, 5), []);
    assert.deepStrictEqual(decadeTicks(0, 1, 5), []);
  });
});
