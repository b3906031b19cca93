/** Inside the model: the worker's plain-JavaScript trace against the model's own, the token bound, unknown tokens, patterns. */
import * as assert from 'node:assert/strict';
import { RecurrentModel } from '../../src/core/recurrentModel';
import { Rng } from '../../src/core/rng';
import type { CellType } from '../../src/protocol/types';
import { isInsideRequest, isTraceData, type TraceRequest } from '../../src/protocol/inside';
import { signalRequest, topIndices } from '../../src/worker/insideRequests';
import { quantize, stateKinds, tokenSpans, traceStates } from '../../src/worker/traceText';
import { tinyConfig, useBackend } from './helpers';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('inside: hidden units in the utility worker', () => {
  before(() => useBackend('cpu'));

  const cases: { cell: CellType; layers: number; embedding: number }[] = [
    { cell: 'lstm', layers: 2, embedding: 0 },
    { cell: 'gru', layers: 1, embedding: 5 },
    { cell: 'rnn', layers: 2, embedding: 0 },
  ];
  for (const { cell, layers, embedding } of cases) {
    it(`${cell} (${layers} layer(s), embedding ${embedding}): the same h, c and gates as RecurrentModel.trace, and the predictor's next-token log-probabilities, within 1e-5`, () => {
      const V = 9;
      const H = 7;
      const config = tinyConfig({ cell, hidden: H, layers, embedding });
      const model = new RecurrentModel(config, V, new Rng(5), 'reference');
      try {
        const ids = Int32Array.from([1, 4, 2, 8, 0, 3, 3, 7, 5, 6, 1, 2]);
        const T = ids.length;
        const reference = model.trace(ids);
        const weights = model.params.read();
        const vocabTokens = Array.from({ length: V }, (_, i) => (i === 0 ? '<unk>' : String.fromCharCode(96 + i)));
        for (let layer = 0; layer < layers; layer++) {
          const { states, logProbs } = traceStates({ config, vocabTokens, weights }, ids, layer);
          assert.deepEqual([...states.keys()].sort(), stateKinds(cell).sort());
          assert.ok(maxDiff(states.get('h')!, reference[layer].h) < 1e-5, `h of layer ${layer}`);
          if (cell === 'lstm') {
            assert.ok(maxDiff(states.get('c')!, reference[layer].c!) < 1e-5, 'c');
            // The model's gates are [T, 4H] blocks i, f, g, o.
            const gates = reference[layer].gates!;
            (['i', 'f', 'g', 'o'] as const).forEach((k, b) => {
              const mine = states.get(k)!;
              for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) assert.ok(Math.abs(mine[t * H + u] - gates[t * 4 * H + b * H + u]) < 1e-5, `${k} at ${t},${u}`);
            });
          }
          if (cell === 'gru') {
            const gates = reference[layer].gates!;
            (['z', 'r', 'n'] as const).forEach((k, b) => {
              const mine = states.get(k)!;
              for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) assert.ok(Math.abs(mine[t * H + u] - gates[t * 3 * H + b * H + u]) < 1e-5, `${k} at ${t},${u}`);
            });
          }
          const predictor = model.predictor();
          try {
            for (let t = 0; t < T; t++) assert.ok(maxDiff(logProbs.subarray(t * V, t * V + V), predictor.feed(ids[t])) < 1e-5, `log-probabilities after token ${t}`);
          } finally {
            predictor.dispose();
          }
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('bounds a 50 MB text to the first N tokens in time that does not grow with the text', () => {
    const vocab = ['<unk>', 'a', 'b', ' '];
    const big = 'ab '.repeat(Math.ceil((50 * 2 ** 20) / 3));
    const t0 = performance.now();
    const spans = tokenSpans(big, 'char', vocab, 20_000);
    const ms = performance.now() - t0;
    assert.equal(spans.ids.length, 20_000);
    assert.equal(spans.truncated, true);
    assert.equal(spans.text.length, 20_000);
    assert.ok(ms < 500, `${ms} ms`);
    assert.equal(tokenSpans('ab', 'char', vocab, 20_000).truncated, false);
  });

  it('marks tokens the vocabulary lacks (a literal "<unk>" too), with offsets into the text at both levels', () => {
    const chars = tokenSpans('a😀b\nz', 'char', ['<unk>', 'a', 'b', '\n'], 100);
    assert.deepEqual([...chars.offsets], [0, 1, 3, 4, 5]);
    assert.deepEqual(chars.unknown, [1, 4]);
    assert.deepEqual([...chars.ids], [1, 0, 2, 3, 0]);
    const words = tokenSpans('The cat, <unk> sat.\nThe end', 'word', ['<unk>', 'The', 'cat', ',', '.', '\n'], 100);
    const tokens = [...words.offsets].map((o, i) => words.text.slice(o, words.offsets[i + 1] ?? words.text.length)).map((t) => (t.trim() ? t.trimEnd() : t));
    assert.deepEqual(tokens, ['The', 'cat', ',', '<', 'unk', '>', 'sat', '.', '\n', 'The', 'end']);
    assert.deepEqual(words.unknown, [3, 4, 5, 6, 10]);
  });

  it('quantizes each unit to 8 bits on its own scale (c_t of any size stays readable)', () => {
    const T = 50;
    const H = 2;
    const x = new Float32Array(T * H);
    for (let t = 0; t < T; t++) {
      x[t * H] = Math.sin(t) * 0.01;
      x[t * H + 1] = Math.cos(t) * 40;
    }
    const { scale, q } = quantize(x, T, H);
    for (let t = 0; t < T; t++) {
      assert.ok(Math.abs(q[t * H] * scale[0] - x[t * H]) <= scale[0] / 2 + 1e-9);
      assert.ok(Math.abs(q[t * H + 1] * scale[1] - x[t * H + 1]) <= scale[1] / 2 + 1e-6);
    }
    assert.equal(Math.max(...Array.from({ length: T }, (_, t) => Math.abs(q[t * H + 1]))), 127);
  });

  it("runs the user's pattern over the text (first character of each token), and refuses one that does not compile", () => {
    const text = 'He said "go" (now)';
    const offsets = [...text].map((_, i) => i);
    const signal = signalRequest({ type: 'insideSignal', requestId: 'r', text, offsets, pattern: 'o+', flags: '' });
    assert.equal(signal.join(''), '000000000010000100');
    assert.equal(signalRequest({ type: 'insideSignal', requestId: 'r', text, offsets, pattern: '', flags: '' }).join(''), '0'.repeat(18), 'an empty match covers nothing and ends');
    assert.throws(() => signalRequest({ type: 'insideSignal', requestId: 'r', text, offsets, pattern: '(unclosed', flags: '' }), /not a regular expression/);
  });

  it('top-k in one pass equals sorting', () => {
    const rng = new Rng(2);
    const x = Float32Array.from({ length: 500 }, () => rng.normal());
    const sorted = [...x.keys()].sort((a, b) => x[b] - x[a]).slice(0, 3);
    assert.deepEqual(topIndices(x, 3), sorted);
  });

  it('the worker refuses requests beyond the bounds, and the host refuses a trace whose sizes disagree', () => {
    const ok: TraceRequest = { type: 'insideTrace', requestId: 'r', checkpoint: '/c', text: 'abc', maxTokens: 20_000, layer: -1 };
    assert.equal(isInsideRequest({ ...ok }), true);
    assert.equal(isInsideRequest({ ...ok, maxTokens: 20_001 }), false);
    assert.equal(isInsideRequest({ ...ok, text: 'x'.repeat(1_000_001) }), false);
    assert.equal(isInsideRequest({ type: 'insideSignal', requestId: 'r', text: 'a', offsets: [0], pattern: 'a', flags: 'y' }), false, 'sticky flag refused');
    assert.equal(isInsideRequest({ type: 'beam', requestId: 'r', checkpoint: '/c', prompt: '', length: 10, width: 17 }), false);
    const trace = {
      text: 'ab',
      offsets: [0, 1],
      unknown: [],
      truncated: false,
      cell: 'rnn',
      hidden: 3,
      layers: 1,
      layer: 0,
      vocab: ['<unk>', 'a', 'b'],
      states: [{ kind: 'h', scale: [1, 1, 1], data: Buffer.from(new Int8Array(6).buffer).toString('base64') }],
      surprisal: [0, 1],
      topIds: [1, 2],
      topP: [0.5, 0.5],
    };
    assert.equal(isTraceData(trace), true);
    assert.equal(isTraceData({ ...trace, hidden: 4 }), false, 'states of the wrong size');
    assert.equal(isTraceData({ ...trace, topIds: [1, 3] }), false, 'a token id outside the vocabulary');
    assert.equal(isTraceData({ ...trace, unknown: [2] }), false, 'an unknown-token index past the end');
  });
});
