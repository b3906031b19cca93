/** The panel's readout series, header readouts and token-statistics helpers (pure parts of the webview). */
import * as assert from 'node:assert/strict';
import { latestReadouts, readoutSeries } from '../../src/webview/panel/readoutSeries';
import { visibleToken, zipfLine } from '../../src/webview/panel/tokenStatsModel';
import type { GradMap, TokenStatsInfo } from '../../src/protocol/types';
import { isPanelToHost } from '../../src/protocol/panel';
import { isHostToWorker, sampleRequestProblem } from '../../src/protocol/worker';

const map = (step: number, readouts?: GradMap['readouts']): GradMap => ({
  step,
  hiddenGradNorms: [[1, 1]],
  paramGradNorms: {},
  globalNorm: 1,
  clip: 1,
  ...(readouts ? { readouts } : {}),
});

describe('chapter panel: readouts and tokens', () => {
  const lstm = (step: number, measured: boolean) =>
    map(step, {
      memoryHorizon: [step / 10, step / 5],
      memoryHorizonH: [1, 2],
      clipRate: step / 100,
      ...(measured
        ? {
            gates: ['i', 'f', 'g', 'o'],
            spectralRadius: [
              [9, 9, 9, 9],
              [0.5, 1.1, 0.7, 0.2],
            ],
            sigmaMax: [
              [9, 9, 9, 9],
              [1, 2, 3, 4],
            ],
          }
        : {}),
    });

  it('series over training: per-layer horizons, the last layer per gate block, gaps where not measured', () => {
    const s = readoutSeries([map(5), lstm(10, true), lstm(20, false), lstm(30, true)]);
    assert.deepEqual(s.steps, [10, 20, 30], 'a map from before readouts is left out');
    assert.deepEqual(s.horizon, [
      [1, 2, 3],
      [2, 4, 6],
    ]);
    assert.deepEqual(s.horizonH, [
      [1, 1, 1],
      [2, 2, 2],
    ]);
    assert.deepEqual(s.clipRate, [0.1, 0.2, 0.3]);
    assert.deepEqual(s.gates, ['i', 'f', 'g', 'o']);
    assert.deepEqual(s.spectralRadius[1], [1.1, null, 1.1]);
    assert.deepEqual(s.sigmaMax[3], [4, null, 4]);
    assert.deepEqual(readoutSeries([]).steps, []);
  });

  it('header: the newest horizon of the last layer, and the gate block with the largest spectral radius', () => {
    const r = latestReadouts([lstm(10, true), lstm(20, false)])!;
    assert.equal(r.step, 20);
    assert.equal(r.horizon, 4);
    assert.equal(r.horizonH, 2);
    assert.equal(r.clipRate, 0.2);
    assert.deepEqual(r.radius, { gate: 'f', value: 1.1, sigma: 2 });
    assert.equal(latestReadouts([map(3)]), undefined);
  });

  it('tokens: whitespace shown, the fitted line over the fitted ranks only', () => {
    assert.equal(visibleToken(' a\n\t'), '␣a↵⇥');
    const stats: TokenStatsInfo = {
      distinct: 4,
      total: 100,
      top: [],
      curve: [
        [1, 50],
        [2, 25],
        [3, 15],
        [4, 10],
      ],
      zipfExponent: 1,
      zipfIntercept: Math.log(60),
      fitRanks: [2, 3],
    };
    const line = zipfLine(stats);
    assert.deepEqual([line[0], line[3]], [null, null]);
    assert.ok(Math.abs(line[1]! - 30) < 1e-9 && Math.abs(line[2]! - 20) < 1e-9, `${line}`);
  });

  it('beam search requests: a width from 1 to 16, checked from the panel and again for the worker', () => {
    const now = { type: 'sampleNow', runId: 'r1', requestId: 'q', prompt: 'The', temperature: 0, length: 50 };
    assert.ok(isPanelToHost({ ...now, beam: 4 }));
    assert.ok(isPanelToHost(now), 'no beam: sampling');
    for (const beam of [0, 17, 2.5, '4']) assert.ok(!isPanelToHost({ ...now, beam }), String(beam));
    const req = { type: 'sample', requestId: 'q', prompt: '', length: 20, temperature: 0, topK: 0, seed: 1 };
    assert.ok(isHostToWorker({ ...req, beam: 16 }));
    assert.ok(!isHostToWorker({ ...req, beam: 17 }));
    assert.equal(sampleRequestProblem({ ...req, beam: 0 }), 'The beam width must be a whole number from 1 (greedy) to 16 (got 0).');
  });
});
