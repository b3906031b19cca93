/** Inside the model, host side: decoding the worker's trace, signals, rankings, the matrix, find similar, notes and checks. */
import * as assert from 'node:assert/strict';
import { isInsideToHost, MATRIX_WINDOW, type TraceData } from '../../src/protocol/inside';
import { builtinSignal, traceNotes, TraceSession } from '../../src/host/inside/traceSession';
import { quantize } from '../../src/worker/traceText';
import { activationColor } from '../../src/webview/inside/activationColor';
import { Rng } from '../../src/core/rng';

/** A char-level trace of `text` with H units: unit 2 follows "inside quotes", unit 0 the column, the rest noise. */
function fakeTrace(text: string, H = 4, unknown: number[] = []): TraceData {
  const offsets = [...text].map((_, i) => i);
  const T = offsets.length;
  const rng = new Rng(7);
  const h = new Float32Array(T * H);
  const quotes = builtinSignal('quotes', { text, offsets } as unknown as TraceData);
  const column = builtinSignal('line-position', { text, offsets } as unknown as TraceData);
  for (let t = 0; t < T; t++) {
    for (let u = 0; u < H; u++) h[t * H + u] = 0.3 * rng.normal();
    h[t * H + 2] = 0.9 * quotes[t] - 0.4 + 0.05 * rng.normal();
    h[t * H] = Math.tanh(column[t] / 20);
  }
  const { scale, q } = quantize(h, T, H);
  return {
    text,
    offsets,
    unknown,
    truncated: false,
    cell: 'rnn',
    hidden: H,
    layers: 1,
    layer: 0,
    vocab: ['<unk>', ...new Set(text)],
    states: [{ kind: 'h', scale, data: Buffer.from(q.buffer).toString('base64') }],
    surprisal: offsets.map((_, t) => (t ? 1 + (t % 3) : 0)),
    topIds: offsets.flatMap(() => [1, 2, 3]),
    topP: offsets.flatMap(() => [0.5, 0.3, 0.1]),
  };
}

const TEXT = 'He said "go on" and she said\n"no" then (maybe) "yes" and "stop".\n'.repeat(4);

describe('inside: the host side of hidden units', () => {
  it('signals: inside double quotes and brackets (marks included), the column in the line', () => {
    const text = 'a "bc" (d)\nxy';
    const trace = { text, offsets: [...text].map((_, i) => i) } as unknown as TraceData;
    assert.equal(builtinSignal('quotes', trace).join(''), '0011110000000');
    assert.equal(builtinSignal('brackets', trace).join(''), '0000000111000');
    assert.deepEqual(builtinSignal('line-position', trace).slice(9), [9, 10, 0, 1]);
    const prose = 'x "a\nb" y';
    assert.equal(
      builtinSignal('quotes', { text: prose, offsets: [...prose].map((_, i) => i) } as unknown as TraceData).join(''),
      '001111100',
      'a quotation runs over a line break',
    );
  });

  it('decodes the states and ranks the planted quote unit first, with its correlation; the column unit for line position', () => {
    const session = new TraceSession(fakeTrace(TEXT));
    const byQuotes = session.rankBySignal('h', builtinSignal('quotes', session.trace));
    assert.equal(byQuotes[0].unit, 2);
    assert.ok(byQuotes[0].score > 0.95, String(byQuotes[0].score));
    assert.equal(session.rankBySignal('h', builtinSignal('line-position', session.trace))[0].unit, 0);
    const unit = session.unitMessage('h', 2);
    assert.ok(unit.type === 'unit');
    assert.equal(unit.values.length, session.T);
    assert.ok(Math.max(...unit.values.map(Math.abs)) === 1, 'scaled to [-1, 1] by the largest magnitude');
  });

  it('the matrix view: a window of units x tokens with surprisal and next-token guesses', () => {
    const session = new TraceSession(fakeTrace(TEXT));
    const m = session.matrix('h', 5, [2, 0]);
    assert.ok(m.type === 'matrix');
    assert.equal(m.start, 5);
    assert.equal(m.tokens.length, MATRIX_WINDOW);
    assert.equal(m.tokens[3], '"');
    assert.equal(m.values.length, 2);
    assert.equal(m.values[0].length, MATRIX_WINDOW);
    assert.deepEqual(m.surprisal.slice(0, 3), [1 + (5 % 3), 1 + (6 % 3), 1 + (7 % 3)]);
    assert.equal(m.top[0].length, 3);
    const end = session.matrix('h', 10_000, [1]);
    assert.ok(end.type === 'matrix' && end.start === session.T - MATRIX_WINDOW, 'a window past the end is moved back inside');
  });

  it('find similar: the other quoted spans, as checked spans with line labels', () => {
    const session = new TraceSession(fakeTrace(TEXT));
    const first = TEXT.indexOf('"go on"');
    const sel = session.span(first + 1, first + 3)!;
    const r = session.similar('h', sel.start, sel.end, [2]);
    assert.ok(r.type === 'similar');
    assert.deepEqual(r.on, [2]);
    const quoted = [...TEXT.matchAll(/"[^"]*"/g)].length;
    assert.ok(r.matches.length >= quoted - 2, `${r.matches.length} of ${quoted} quotations`);
    for (const m of r.matches) {
      const { from, to } = session.textRange(m.start, m.end);
      assert.match(TEXT.slice(from, to), /^"?[\w ]*"?$/, 'each match lies inside a quotation');
    }
    assert.match(r.matches[0].label, /^line \d+: «/);
    assert.equal(session.span(0, session.T), undefined, 'a span past the end is refused');
    assert.equal(session.span(-1, 2), undefined);
    assert.deepEqual(session.span(4, 2), { start: 2, end: 5 });
  });

  it('says what was bounded, and when the vocabulary does not fit the text', () => {
    const trace = fakeTrace('abcdefghij', 2, [1]);
    assert.deepEqual(traceNotes(trace, false, '10 characters'), ['1 token(s) (10.0%) are unknown to the model: marked, and read as <unk>.']);
    const misfit = traceNotes(fakeTrace('abcdefghij', 2, [0, 1, 2, 3, 4]), true, '52,428,800 bytes');
    assert.match(misfit[0], /^Bounded: only the first 10 tokens \(10 characters of 52,428,800 bytes\)/);
    assert.match(misfit[1], /does not fit this text: 5 of 10 tokens \(50\.0%\) are unknown/);
  });

  it("checks the panel's messages", () => {
    assert.equal(isInsideToHost({ type: 'rank', by: 'regex', pattern: '"[^"]*"' }), true);
    assert.equal(isInsideToHost({ type: 'rank', by: 'eval' }), false);
    assert.equal(isInsideToHost({ type: 'rank', by: 'regex', pattern: 'x'.repeat(201) }), false);
    assert.equal(isInsideToHost({ type: 'reveal', start: 1.5, end: 2 }), false);
    assert.equal(isInsideToHost({ type: 'findSimilar', start: 0, end: 2, units: Array.from({ length: 17 }, (_, i) => i) }), false);
    assert.equal(isInsideToHost({ type: 'selectKind', kind: 'x' }), false);
  });

  it('colours: blue for positive, red for negative, opacity the magnitude', () => {
    assert.equal(activationColor(1), 'rgba(33, 150, 243, 0.85)');
    assert.equal(activationColor(-0.5), 'rgba(244, 67, 54, 0.43)');
    assert.equal(activationColor(0), 'rgba(33, 150, 243, 0)');
    assert.equal(activationColor(NaN), 'rgba(33, 150, 243, 0)');
  });
});
