/**
 * The figure of issue 11: the unit of a trained model most correlated with "inside double quotes",
 * through the same code the editor uses (the utility worker's trace, the host's TraceSession).
 *   node out/test/bench/quoteUnit.js CHECKPOINT TEXT [--from-line N] [--tokens N]
 * Prints one JSON line: the unit, its Pearson correlation (8-bit states as the panel sees them, and
 * full precision), how many tokens were inside quotes, and the top five units.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { rankByCorrelation } from '../../src/core/hiddenUnits';
import { loadCheckpoint } from '../../src/core/checkpoint';
import { builtinSignal, TraceSession } from '../../src/host/inside/traceSession';
import { INSIDE_MAX_TOKENS } from '../../src/protocol/inside';
import { traceRequest } from '../../src/worker/insideRequests';
import { tokenSpans, traceStates } from '../../src/worker/traceText';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'from-line': { type: 'string' }, tokens: { type: 'string' } } });
const [checkpoint, file] = positionals;
const fromLine = Number(values['from-line'] ?? 1);
const maxTokens = Number(values.tokens ?? INSIDE_MAX_TOKENS);
const text = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .slice(fromLine - 1)
  .join('\n');

const t0 = Date.now();
const trace = traceRequest({ type: 'insideTrace', requestId: 'figure', checkpoint, text, maxTokens, layer: -1 });
const traceMs = Date.now() - t0;
const session = new TraceSession(trace);
const signal = builtinSignal('quotes', trace);
const ranked = session.rankBySignal('h', signal, 5);
// The same ranking on full-precision states, to show the 8-bit transport changes nothing that matters.
const ck = loadCheckpoint(checkpoint);
const spans = tokenSpans(text, ck.config.level, ck.vocab.tokens, maxTokens);
const full = traceStates({ config: ck.config, vocabTokens: ck.vocab.tokens, weights: ck.weights }, spans.ids, ck.config.layers - 1);
const fullRanked = rankByCorrelation(full.states.get('h')!, ck.config.hidden, Float64Array.from(signal), 5);
let nats = 0;
for (let t = 1; t < trace.surprisal.length; t++) nats += trace.surprisal[t];
process.stdout.write(
  JSON.stringify({
    checkpoint,
    step: ck.step,
    fromLine,
    tokens: session.T,
    insideQuotes: signal.reduce((a, b) => a + b, 0),
    meanSurprisal: nats / (session.T - 1),
    traceMs,
    unit: ranked[0].unit,
    correlation: ranked[0].score,
    fullPrecision: fullRanked[0],
    top5: ranked,
  }) + '\n',
);
