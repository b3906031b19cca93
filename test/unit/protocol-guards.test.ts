/**
 * The guards at every boundary: what a webview or the host may send passes, anything else (wrong type,
 * missing or oversized field, path-like run id, NaN) is refused. Webviews and workers are untrusted input.
 */
import * as assert from 'node:assert/strict';
import { isPanelToHost, PANEL_ACTIONS } from '../../src/protocol/panel';
import { isSidebarToHost } from '../../src/protocol/sidebar';
import { isFiniteNumber, isInteger, isOneOf, isRecord, isRunId, isString, isStringArray } from '../../src/protocol/validate';
import { isHostToWorker, rejectionOf, sampleRequestProblem, SAMPLE_LIMITS, WORKER_PROTOCOL_VERSION } from '../../src/protocol/worker';

const RUN = '20261125-160000-ab12';

/** Every value that is not a message object at all. */
const NOT_RECORDS: unknown[] = [undefined, null, 0, 1, '', 'ready', true, [], [{ type: 'ready' }], () => 0];

describe('protocol: validate helpers', () => {
  it('isRecord accepts plain objects only', () => {
    assert.equal(isRecord({}), true);
    assert.equal(isRecord({ a: 1 }), true);
    for (const v of [null, undefined, [], 'x', 3]) assert.equal(isRecord(v), false, String(v));
  });

  it('isString bounds the length', () => {
    assert.equal(isString('abc', 3), true);
    assert.equal(isString('abcd', 3), false);
    assert.equal(isString(3), false);
  });

  it('isFiniteNumber refuses NaN, infinities and numeric strings', () => {
    assert.equal(isFiniteNumber(0.5), true);
    for (const v of [NaN, Infinity, -Infinity, '1', null]) assert.equal(isFiniteNumber(v), false, String(v));
  });

  it('isInteger checks integrality and the range', () => {
    assert.equal(isInteger(5, 1, 5), true);
    assert.equal(isInteger(6, 1, 5), false);
    assert.equal(isInteger(0, 1, 5), false);
    assert.equal(isInteger(1.5), false);
    assert.equal(isInteger('3'), false);
  });

  it('isOneOf matches exact strings only', () => {
    assert.equal(isOneOf('stop', PANEL_ACTIONS), true);
    assert.equal(isOneOf('STOP', PANEL_ACTIONS), false);
    assert.equal(isOneOf(['stop'], PANEL_ACTIONS), false);
  });

  it('isStringArray bounds the count and each item', () => {
    assert.equal(isStringArray(['a', 'b']), true);
    assert.equal(isStringArray(['a', 1]), false);
    assert.equal(isStringArray(['a', 'b', 'c'], 2), false);
    assert.equal(isStringArray(['x'.repeat(10_001)]), false);
  });

  it("isRunId accepts the store's ids and refuses anything path-like", () => {
    assert.equal(isRunId(RUN), true);
    for (const bad of ['', '../etc', 'a/b', 'a\\b', '..', 'a b', 'x'.repeat(81), 42, null]) {
      assert.equal(isRunId(bad), false, String(bad));
    }
  });
});

describe('protocol: panel -> host', () => {
  it('accepts every well-formed message', () => {
    assert.equal(isPanelToHost({ type: 'ready' }), true);
    for (const action of PANEL_ACTIONS) assert.equal(isPanelToHost({ type: 'control', action, runId: RUN }), true, action);
    assert.equal(isPanelToHost({ type: 'sampleNow', runId: RUN, requestId: 'r1', prompt: 'The ', temperature: 0.8, length: 200 }), true);
  });

  it('refuses non-objects and unknown types', () => {
    for (const v of NOT_RECORDS) assert.equal(isPanelToHost(v), false, String(v));
    assert.equal(isPanelToHost({ type: 'eval', code: '1' }), false);
    assert.equal(isPanelToHost({}), false);
  });

  it('refuses a control with an unknown action or a bad run id', () => {
    assert.equal(isPanelToHost({ type: 'control', action: 'delete', runId: RUN }), false);
    assert.equal(isPanelToHost({ type: 'control', action: 'stop', runId: '../../x' }), false);
    assert.equal(isPanelToHost({ type: 'control', action: 'stop' }), false);
  });

  it('refuses a sample request out of range', () => {
    const ok = { type: 'sampleNow', runId: RUN, requestId: 'r1', prompt: 'a', temperature: 1, length: 10 };
    assert.equal(isPanelToHost({ ...ok, temperature: -0.1 }), false);
    assert.equal(isPanelToHost({ ...ok, temperature: 10.5 }), false);
    assert.equal(isPanelToHost({ ...ok, temperature: NaN }), false);
    assert.equal(isPanelToHost({ ...ok, length: 0 }), false);
    assert.equal(isPanelToHost({ ...ok, length: 10_001 }), false);
    assert.equal(isPanelToHost({ ...ok, length: 2.5 }), false);
    assert.equal(isPanelToHost({ ...ok, prompt: 'x'.repeat(10_001) }), false);
    assert.equal(isPanelToHost({ ...ok, requestId: 'r'.repeat(101) }), false);
    assert.equal(isPanelToHost({ ...ok, prompt: 7 }), false);
  });
});

describe('protocol: sidebar -> host', () => {
  it('accepts every well-formed message', () => {
    assert.equal(isSidebarToHost({ type: 'ready' }), true);
    assert.equal(isSidebarToHost({ type: 'train' }), true);
    for (const action of ['select', 'open', 'resume', 'stop', 'delete', 'reveal', 'sample']) {
      assert.equal(isSidebarToHost({ type: 'run', action, runId: RUN }), true, action);
    }
    assert.equal(isSidebarToHost({ type: 'compare', runIds: [RUN, `${RUN}x`] }), true);
    assert.equal(isSidebarToHost({ type: 'inspect', runId: RUN }), true);
    assert.equal(isSidebarToHost({ type: 'inspect', runId: RUN, text: 'The Time Traveller' }), true);
  });

  it('refuses non-objects, unknown types and unknown run actions', () => {
    for (const v of NOT_RECORDS) assert.equal(isSidebarToHost(v), false, String(v));
    assert.equal(isSidebarToHost({ type: 'run', action: 'rm -rf', runId: RUN }), false);
    assert.equal(isSidebarToHost({ type: 'run', action: 'delete', runId: '../..' }), false);
  });

  it('bounds a comparison to 1..8 valid run ids', () => {
    assert.equal(isSidebarToHost({ type: 'compare', runIds: [] }), false);
    assert.equal(isSidebarToHost({ type: 'compare', runIds: Array.from({ length: 9 }, (_, i) => `r${i}`) }), false);
    assert.equal(isSidebarToHost({ type: 'compare', runIds: [RUN, 'a/b'] }), false);
    assert.equal(isSidebarToHost({ type: 'compare', runIds: RUN }), false);
  });

  it('bounds the text to inspect', () => {
    assert.equal(isSidebarToHost({ type: 'inspect', runId: RUN, text: 'x'.repeat(20_001) }), false);
    assert.equal(isSidebarToHost({ type: 'inspect', runId: RUN, text: 5 }), false);
  });
});

describe('protocol: host -> worker', () => {
  const start = { type: 'start', version: WORKER_PROTOCOL_VERSION, runId: RUN, runDir: '/w/.seqlab/runs/x', files: ['/w/a.txt'], config: {} };
  const sample = { type: 'sample', requestId: 's1', runId: RUN, prompt: 'The ', length: 100, temperature: 0.8, topK: 0, seed: 1 };

  it('accepts every well-formed message', () => {
    assert.equal(isHostToWorker(start), true);
    assert.equal(isHostToWorker({ ...start, resumeFrom: '/w/ck' }), true);
    assert.equal(isHostToWorker({ ...start, fineTuneFrom: '/w/ck' }), true);
    assert.equal(isHostToWorker(sample), true);
    assert.equal(isHostToWorker({ type: 'inspect', requestId: 'i1', checkpoint: '/w/ck', text: 'abc', topK: 5 }), true);
    assert.equal(isHostToWorker({ type: 'shutdown' }), true);
    for (const type of ['stop', 'pause', 'resume', 'checkpoint']) assert.equal(isHostToWorker({ type, runId: RUN }), true, type);
  });

  it('refuses non-objects and unknown types', () => {
    for (const v of NOT_RECORDS) assert.equal(isHostToWorker(v), false, String(v));
    assert.equal(isHostToWorker({ type: 'exec', runId: RUN }), false);
  });

  it('refuses a start with a missing or mistyped field', () => {
    for (const key of ['version', 'runId', 'runDir', 'files', 'config'] as const) {
      const { [key]: _dropped, ...rest } = start;
      assert.equal(isHostToWorker(rest), false, `without ${key}`);
    }
    assert.equal(isHostToWorker({ ...start, files: '/w/a.txt' }), false);
    assert.equal(isHostToWorker({ ...start, version: 1.5 }), false);
    assert.equal(isHostToWorker({ ...start, config: [] }), false);
    assert.equal(isHostToWorker({ ...start, resumeFrom: 3 }), false);
  });

  it('refuses a sample request out of range', () => {
    assert.equal(isHostToWorker({ ...sample, length: 0 }), false);
    assert.equal(isHostToWorker({ ...sample, length: 100_001 }), false);
    assert.equal(isHostToWorker({ ...sample, temperature: Infinity }), false);
    assert.equal(isHostToWorker({ ...sample, topK: -1 }), false);
    assert.equal(isHostToWorker({ ...sample, seed: 0.5 }), false);
    assert.equal(isHostToWorker({ ...sample, runId: 'a/b' }), false);
    assert.equal(isHostToWorker({ ...sample, temperature: NaN }), false);
    assert.equal(isHostToWorker({ ...sample, temperature: -0.1 }), false);
    assert.equal(isHostToWorker({ ...sample, temperature: 10.5 }), false);
    assert.equal(isHostToWorker({ ...sample, topK: 1.5 }), false);
    assert.equal(isHostToWorker({ ...sample, topK: NaN }), false);
    assert.equal(isHostToWorker({ ...sample, length: 10_001 }), false);
    assert.equal(isHostToWorker({ ...sample, prompt: 'x'.repeat(SAMPLE_LIMITS.maxPromptChars + 1) }), false);
    assert.equal(isHostToWorker({ ...sample, prompt: 'x'.repeat(SAMPLE_LIMITS.maxPromptChars), temperature: 0, topK: 40, length: 10_000 }), true);
  });

  it('says why a sample request is refused, naming the limit', () => {
    assert.equal(sampleRequestProblem(sample), undefined);
    assert.equal(sampleRequestProblem({ ...sample, prompt: 'x'.repeat(12_345) }), 'The prompt is 12345 characters long; the limit is 10000.');
    assert.match(sampleRequestProblem({ ...sample, topK: 1.5 })!, /Top-k .* \(got 1\.5\)/);
    assert.match(sampleRequestProblem({ ...sample, temperature: NaN })!, /temperature .*got NaN/);
    assert.match(sampleRequestProblem({ ...sample, length: 0 })!, /from 1 to 10000/);
  });

  it('a refused message is answered with an error scoped to its request and run', () => {
    const long = { ...sample, prompt: 'x'.repeat(20_000) };
    assert.deepEqual(rejectionOf(long), { type: 'error', requestId: 's1', code: 'BAD_REQUEST', message: 'The prompt is 20000 characters long; the limit is 10000.' });
    assert.equal(rejectionOf({ type: 'pause', runId: 'a/b', requestId: 'c1' }).requestId, 'c1');
    const unscoped = rejectionOf({ nonsense: true });
    assert.equal(unscoped.requestId, undefined);
    assert.equal(unscoped.code, 'BAD_MESSAGE');
    assert.equal(isHostToWorker({ type: 'pause', runId: RUN, requestId: 'c1' }), true);
    assert.equal(isHostToWorker({ type: 'pause', runId: RUN, requestId: 7 }), false);
  });

  it('refuses an inspection asking for too many predictions', () => {
    assert.equal(isHostToWorker({ type: 'inspect', requestId: 'i1', checkpoint: '/w/ck', text: 'abc', topK: 101 }), false);
  });
});
