import * as assert from 'node:assert/strict';
import type { RunSummary } from '../../src/protocol/types';
import { formatDuration, formatRate, modelLabel, runDescription, statusBarText } from '../../src/host/views/statusText';

const summary = (patch: Partial<RunSummary> = {}): RunSummary => ({
  id: 'r1',
  name: 'timemachine.txt',
  state: 'training',
  files: ['/w/timemachine.txt'],
  cell: 'lstm',
  hidden: 128,
  layers: 1,
  level: 'char',
  step: 120,
  steps: 1000,
  createdAt: '2025-01-01T00:00:00Z',
  durationMs: 1000,
  ...patch,
});
const metric = { step: 120, loss: 1.934, gradNorm: 1, clipped: false, tokensPerSec: 4100, elapsedMs: 5000 };

describe('host: status texts', () => {
  it('writes the status bar line of a training run as the issue shows it', () => {
    assert.equal(statusBarText(summary(), metric, 0), '$(pulse) LSTM step 120/1000 · loss 1.93 · 4.1k tok/s');
    assert.equal(statusBarText(summary(), metric, 2), '$(pulse) LSTM step 120/1000 · loss 1.93 · 4.1k tok/s · 2 queued');
  });

  it('says starting (with the phase) and paused', () => {
    assert.equal(
      statusBarText(summary({ state: 'starting', step: 0 }), undefined, 0, 'Tokenizing 178,979 characters'),
      '$(sync~spin) LSTM starting: Tokenizing 178,979 characters',
    );
    assert.equal(statusBarText(summary({ state: 'paused' }), metric, 0), '$(debug-pause) LSTM paused at step 120/1000');
  });

  it('shows a diverged loss as it is rather than hiding it', () => {
    assert.match(statusBarText(summary(), { ...metric, loss: NaN }, 0), /loss NaN/);
  });

  it('formats rates, durations and model labels', () => {
    assert.equal(formatRate(950), '950');
    assert.equal(formatRate(4100), '4.1k');
    assert.equal(formatRate(79_000), '79k');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(65_000), '1m 05s');
    assert.equal(formatDuration(3_700_000), '1h 01m');
    assert.equal(modelLabel({ cell: 'gru', hidden: 256, layers: 2 }), 'GRU-256 x2');
    assert.equal(modelLabel({ cell: 'window', hidden: 64, layers: 3 }), 'Window MLP-64');
    assert.equal(runDescription(summary({ bestValLoss: 1.5 })), 'LSTM-128 · char · training · step 120/1000 · val 1.50');
  });
});
