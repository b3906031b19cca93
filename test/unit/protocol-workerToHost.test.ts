import * as assert from 'node:assert/strict';
import { isWorkerToHost } from '../../src/protocol/worker';

const info = { backend: 'wasm', backendReason: 'x', vocabSize: 65, paramCount: 100, trainTokens: 10, valTokens: 1, uniformLoss: 4.17, unigramLoss: 3.3, charsPerToken: 1 };

describe("protocol: isWorkerToHost, the host's check on worker messages", () => {
  it('accepts every well-formed message type', () => {
    const good: unknown[] = [
      { type: 'hello', version: 1, pid: 42 },
      { type: 'heartbeat' },
      { type: 'heartbeat', runId: 'r1', step: 12 },
      { type: 'progress', runId: 'r1', phase: 'tokenizing', message: 'Tokenizing' },
      { type: 'started', runId: 'r1', info, startStep: 0 },
      { type: 'metrics', runId: 'r1', point: { step: 1, loss: 4.1, gradNorm: 2, clipped: true, tokensPerSec: 4000, elapsedMs: 10 } },
      { type: 'metrics', runId: 'r1', point: { step: 2, loss: NaN, gradNorm: Infinity, clipped: true, tokensPerSec: 4000, elapsedMs: 10 } },
      { type: 'eval', runId: 'r1', point: { step: 50, valLoss: 2.1 } },
      { type: 'gradmap', runId: 'r1', map: { step: 10, hiddenGradNorms: [[0.1, 0.2]], paramGradNorms: { kernel: 1 }, globalNorm: 1, clip: 1 } },
      { type: 'gradmap', runId: 'r1', map: { step: 10, hiddenGradNorms: [[0.1, 0.2]], totalGradNorms: [[0.3, 0.2]], paramGradNorms: {}, globalNorm: 1, clip: 1 } },
      { type: 'started', runId: 'r1', info: { ...info, threads: 2 }, startStep: 10 },
      { type: 'sample', runId: 'r1', sample: { step: 100, prompt: '', text: 'the', temperature: 0.8 } },
      { type: 'checkpoint', runId: 'r1', checkpoints: [{ step: 200, path: 'checkpoints/step-0000200', time: 't', valLoss: 2 }] },
      { type: 'state', runId: 'r1', state: 'paused' },
      { type: 'finished', runId: 'r1', reason: 'completed', message: 'done', step: 1000 },
      { type: 'finished', runId: 'r1', reason: 'interrupted', message: 'reloaded', step: 40 },
      { type: 'sampleToken', requestId: 'q', token: 'a' },
      { type: 'sampleDone', requestId: 'q', text: 'abc', backend: 'cpu' },
      {
        type: 'inspected',
        requestId: 'q',
        tokens: [
          { token: 't', top: [] },
          { token: 'h', surprisal: 1.2, top: [{ token: 'h', p: 0.3 }] },
        ],
        meanSurprisal: 1.2,
      },
      { type: 'error', code: 'BINARY', message: 'binary', hint: 'pick text' },
      { type: 'error', runId: 'r1', code: 'EMPTY', message: 'empty' },
    ];
    for (const msg of good) assert.equal(isWorkerToHost(msg), true, JSON.stringify(msg));
  });

  it('rejects malformed messages', () => {
    const bad: unknown[] = [
      null,
      'metrics',
      [],
      { type: 'nope' },
      { type: 'metrics', runId: 'r1', point: { step: 'one', loss: 1, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: 1 } },
      { type: 'metrics', runId: '../escape', point: { step: 1, loss: 1, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: 1 } },
      { type: 'started', runId: 'r1', info: { ...info, backend: 'gpu' }, startStep: 0 },
      { type: 'state', runId: 'r1', state: 'completed' },
      { type: 'finished', runId: 'r1', reason: 'exploded', message: '', step: 1 },
      { type: 'gradmap', runId: 'r1', map: { step: 1, hiddenGradNorms: [['x']], paramGradNorms: {}, globalNorm: 1, clip: 1 } },
      { type: 'gradmap', runId: 'r1', map: { step: 1, hiddenGradNorms: [[1]], totalGradNorms: 'x', paramGradNorms: {}, globalNorm: 1, clip: 1 } },
      { type: 'started', runId: 'r1', info: { ...info, threads: 0.5 }, startStep: 0 },
      { type: 'sampleDone', requestId: 'q', text: 'abc' },
      { type: 'inspected', requestId: 'q', tokens: [{ token: 1 }], meanSurprisal: 1 },
      { type: 'error', message: 'no code' },
      { type: 'hello', version: '1', pid: 1 },
      { type: 'heartbeat', step: -1 },
      { type: 'heartbeat', runId: '../x' },
      { type: 'heartbeat', step: 1.5 },
      // A checkpoint message says which checkpoints remain after pruning.
      { type: 'checkpoint', runId: 'r1', checkpoint: { step: 200, path: 'checkpoints/step-0000200', time: 't' } },
      { type: 'checkpoint', runId: 'r1', checkpoints: [{ step: 'x' }] },
    ];
    for (const msg of bad) assert.equal(isWorkerToHost(msg), false, JSON.stringify(msg));
  });
});
