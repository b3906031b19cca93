import * as assert from 'assert';
import { baseName, formatCount, formatDuration, formatEta, formatLoss, formatSci } from '../../src/webview/lib/format';
import { etaMs, stepsPerSecond } from '../../src/webview/lib/progress';
import { configLine, isResumable, modelLabel } from '../../src/webview/lib/runLabels';
import type { TrainConfig } from '../../src/protocol/types';

describe('webview formatting', () => {
  it('formats durations at every scale', () => {
    assert.strictEqual(formatDuration(0), '0s');
    assert.strictEqual(formatDuration(42_900), '42s');
    assert.strictEqual(formatDuration(185_000), '3m 05s');
    assert.strictEqual(formatDuration(3_720_000), '1h 02m');
    assert.strictEqual(formatDuration(2 * 86_400_000 + 3 * 3_600_000), '2d 3h');
    assert.strictEqual(formatDuration(-1), '—');
    assert.strictEqual(formatDuration(NaN), '—');
  });

  it('formats an ETA or says it is unknown', () => {
    assert.strictEqual(formatEta(undefined), '—');
    assert.strictEqual(formatEta(Infinity), '—');
    assert.strictEqual(formatEta(400), '<1s');
    assert.strictEqual(formatEta(65_000), '1m 05s');
  });

  it('formats counts, losses and values spanning decades', () => {
    assert.strictEqual(formatCount(950), '950');
    assert.strictEqual(formatCount(12_345), '12.3k');
    assert.strictEqual(formatCount(1_254_000), '1.25M');
    assert.strictEqual(formatLoss(1.23456), '1.235');
    assert.strictEqual(formatLoss(undefined), '—');
    assert.strictEqual(formatSci(0.000321), '3.21e-4');
    assert.strictEqual(formatSci(0.5), '0.5');
    assert.strictEqual(formatSci(123456), '1.23e5');
    assert.strictEqual(formatSci(0), '0');
  });

  it('takes the base name of POSIX and Windows paths', () => {
    assert.strictEqual(baseName('/a/b/timemachine.txt'), 'timemachine.txt');
    assert.strictEqual(baseName('C:\\data\\x.txt'), 'x.txt');
  });
});

describe('webview progress estimates', () => {
  it('measures steps per second over the recent window', () => {
    const steps = [1, 2, 3, 4, 5];
    const ms = [100, 200, 300, 400, 500];
    assert.strictEqual(stepsPerSecond(steps, ms), 10);
    assert.strictEqual(stepsPerSecond([1], [100]), undefined);
    assert.strictEqual(stepsPerSecond([1, 2], [100, 100]), undefined);
  });

  it('ignores points from before a resume reset the clock', () => {
    // steps 1..3 at 1 step/s, then resumed: the clock restarts at 0 and runs at 4 steps/s
    const steps = [1, 2, 3, 4, 5, 6];
    const ms = [1000, 2000, 3000, 0, 250, 500];
    assert.strictEqual(stepsPerSecond(steps, ms), 4);
  });

  it('turns remaining steps and a rate into milliseconds', () => {
    assert.strictEqual(etaMs(500, 1000, 10), 50_000);
    assert.strictEqual(etaMs(1200, 1000, 10), 0);
    assert.strictEqual(etaMs(1, 1000, undefined), undefined);
  });
});

describe('webview run labels', () => {
  it('names models the way the sidebar lists them', () => {
    assert.strictEqual(modelLabel({ cell: 'lstm', layers: 2, hidden: 256, level: 'char' }), 'LSTM 2×256 char');
    assert.strictEqual(modelLabel({ cell: 'window', layers: 1, hidden: 128, level: 'word' }), 'Window MLP 128 word');
  });

  it('summarises a configuration on one line', () => {
    const c = {
      level: 'char',
      minFreq: 1,
      maxVocab: 200,
      valFraction: 0.1,
      cell: 'gru',
      hidden: 128,
      layers: 1,
      embedding: 0,
      tau: 8,
      batch: 32,
      window: 64,
      batching: 'random',
      optimizer: 'adam',
      lr: 0.003,
      clip: 1,
      steps: 2000,
      seed: 1,
      evalInterval: 100,
      evalTokens: 10000,
      gradMapInterval: 25,
      sampleInterval: 200,
      sampleLength: 200,
      temperature: 0.8,
      checkpointInterval: 500,
      backend: 'auto',
    } satisfies TrainConfig;
    assert.strictEqual(configLine(c), 'GRU 1×128 char · window 64 · batch 32 · adam 3e-3 · clip 1 · random');
  });

  it('paused runs, and runs that ended early with a checkpoint, resume', () => {
    assert.strictEqual(isResumable('paused', 0), true);
    assert.strictEqual(isResumable('stopped', 1), true);
    assert.strictEqual(isResumable('stopped', 0), false);
    assert.strictEqual(isResumable('training', 3), false);
    assert.strictEqual(isResumable('completed', 3), false);
  });
});
