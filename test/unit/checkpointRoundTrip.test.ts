/**
 * What a checkpoint guarantees, field by field and number by number: an exact round trip of every field,
 * the checked reader's refusals with their messages and size bounds, latest.json and its fallbacks,
 * pruning, and the order of a write's durable steps. No model is trained: the data is made by hand.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointData, loadCheckpoint, pruneCheckpoints, resolveCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { checkCheckpointJSON, checkLatestJSON, MAX_CHECKPOINT_JSON_BYTES, MAX_FLOATS_PER_FILE } from '../../src/core/checkpointFormat';
import { ConfigError, NUMBER_RULES, parseConfigStrict } from '../../src/core/config';
import type { CheckpointRef } from '../../src/protocol/types';
import { tinyConfig } from './helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CONFIG = tinyConfig({ cell: 'lstm', hidden: 8, layers: 2, batch: 2, window: 4, batching: 'sequential' });
const HASH = 'ab'.repeat(32);

function floats(n: number, start: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => start + i / 8 - 0.3 * (i % 3));
}

/** A checkpoint with every field set to a distinct value. */
function data(step: number, over: Partial<CheckpointData> = {}): CheckpointData {
  return {
    step,
    config: CONFIG,
    vocab: { tokens: ['a', 'b', 'c', '\n'] },
    weights: [
      { name: 'embed', shape: [4, 3], data: floats(12, 1) },
      { name: 'lstm/kernel', shape: [3, 2], data: floats(6, -7) },
      { name: 'bias', shape: [5], data: floats(5, 40) },
    ],
    optimizer: [
      { name: 'embed/m', shape: [4, 3], data: floats(12, 0.5) },
      { name: 'embed/v', shape: [4, 3], data: floats(12, 9) },
    ],
    batcher: { rng: [1, -2, 3, 4000000000], offset: 3, position: 8 },
    sampleRng: [-5, 6, 7, 8],
    carriedState: [
      { shape: [2, 3], h: floats(6, 100), c: floats(6, 200) },
      { shape: [2, 3], h: floats(6, 300), c: floats(6, 400) },
    ],
    textHash: HASH,
    startLoss: 1.375,
    bestValLoss: 0.25,
    lastLoss: 0.5,
    lastEval: { step, valLoss: 0.75 },
    elapsedMs: 1234.5,
    ...over,
  };
}

/** The problems parseConfigStrict lists for `config`. */
function configProblems(config: unknown): string[] {
  try {
    parseConfigStrict(config as Record<string, unknown>);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
  }
  throw new Error('no problems');
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-roundtrip-'));
}

function readJSON(dir: string): Json {
  return JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as Json;
}

/** The checkpoint.json a save writes, as parsed JSON. */
function goodJSON(over: Partial<CheckpointData> = {}): Json {
  const dir = tmpDir();
  saveCheckpoint(dir, data(12, over));
  return readJSON(path.join(dir, 'step-0000012'));
}

function refusal(json: unknown, message: string | RegExp): void {
  assert.throws(
    () => checkCheckpointJSON(json),
    (e: Error) => {
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      // A plain Error, not the reader's internal class.
      assert.equal(Object.getPrototypeOf(e), Error.prototype);
      return true;
    },
  );
}

describe('checkpoints: exact round trips', () => {
  it('every field comes back exactly: weights, optimizer slots, carried state, text hash, scalars', () => {
    const dir = tmpDir();
    const saved = data(12);
    const ref = saveCheckpoint(dir, saved);
    const loaded = loadCheckpoint(dir);
    assert.equal(loaded.dir, path.join(dir, 'step-0000012'));
    assert.deepEqual(ref, { step: 12, path: 'checkpoints/step-0000012', valLoss: 0.75, time: loaded.createdAt });
    assert.match(loaded.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const { dir: _d, createdAt: _c, ...rest } = loaded;
    assert.deepEqual(rest, saved);
    // Float32 data, value by value, in the saved order.
    assert.deepEqual(
      loaded.weights.map((w) => [w.name, w.shape, Array.from(w.data)]),
      saved.weights.map((w) => [w.name, w.shape, Array.from(w.data)]),
    );
    assert.deepEqual(Array.from(loaded.carriedState![1].c!), Array.from(floats(6, 400)));
    // The files: 23 weights, 24 slot floats, 4 x 6 carried floats, latest.json last and exact.
    const folder = path.join(dir, 'step-0000012');
    assert.deepEqual(fs.readdirSync(folder).sort(), ['checkpoint.json', 'optimizer.bin', 'state.bin', 'weights.bin']);
    assert.deepEqual(
      ['weights.bin', 'optimizer.bin', 'state.bin'].map((f) => fs.statSync(path.join(folder, f)).size),
      [23 * 4, 24 * 4, 24 * 4],
    );
    assert.equal(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8'), '{"step":12,"path":"step-0000012"}\n');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['latest.json', 'step-0000012']);
    const json = readJSON(folder);
    assert.deepEqual(
      json.carried.map((m: Json) => [m.name, m.offset]),
      [
        ['layer0/h', 0],
        ['layer0/c', 6],
        ['layer1/h', 12],
        ['layer1/c', 18],
      ],
    );
    assert.deepEqual(
      json.weights.map((m: Json) => m.offset),
      [0, 12, 18],
    );
    assert.equal(json.version, 2);
  });

  it('a GRU state without c, no carried state, no optional scalars, no optimizer slots yet', () => {
    const dir = tmpDir();
    const gru = data(3, { carriedState: [{ shape: [2, 3], h: floats(6, 1) }] });
    saveCheckpoint(dir, gru);
    const a = loadCheckpoint(dir);
    assert.deepEqual(a.carriedState, [{ shape: [2, 3], h: floats(6, 1), c: undefined }]);

    const bare = data(4, { carriedState: undefined, textHash: undefined, startLoss: undefined, bestValLoss: undefined, lastLoss: undefined, lastEval: undefined, optimizer: [] });
    const ref = saveCheckpoint(dir, bare);
    assert.equal(ref.valLoss, undefined);
    const folder = path.join(dir, 'step-0000004');
    assert.ok(!fs.existsSync(path.join(folder, 'state.bin')), 'no state.bin without carried state');
    // An empty optimizer needs no file at all.
    fs.rmSync(path.join(folder, 'optimizer.bin'));
    const b = loadCheckpoint(dir);
    assert.equal(b.step, 4);
    assert.deepEqual(b.optimizer, []);
    assert.equal(b.carriedState, undefined);
    for (const k of ['textHash', 'startLoss', 'bestValLoss', 'lastLoss', 'lastEval'] as const) assert.equal(b[k], undefined, k);
    assert.deepEqual(b.weights, bare.weights);
    const json = readJSON(folder);
    assert.equal('carried' in json, false);
  });

  it('a carried state stored with a shape other than [batch, hidden] is refused', () => {
    const dir = tmpDir();
    saveCheckpoint(dir, data(5));
    const folder = path.join(dir, 'step-0000005');
    const json = readJSON(folder);
    json.carried[0].shape = [6];
    fs.writeFileSync(path.join(folder, 'checkpoint.json'), JSON.stringify(json));
    assert.throws(() => loadCheckpoint(folder), /layer0\/h must be \[batch, hidden\]/);
  });

  it('a version 1 checkpoint: state and history inline, read for its scalars only', () => {
    const dir = tmpDir();
    saveCheckpoint(dir, data(7, { carriedState: undefined }));
    const folder = path.join(dir, 'step-0000007');
    const json = readJSON(folder);
    json.version = 1;
    delete json.textHash;
    json.carriedState = [
      { shape: [2, 3], h: [1, 2, 3, 4, 5, 6], c: [6, 5, 4, 3, 2, 1] },
      { shape: [2, 3], h: [0, 0, 0, 0, 0, 0.5], c: null },
    ];
    json.history = {
      metrics: [
        { step: 1, loss: 4.25 },
        { step: 2, loss: 3 },
      ],
      evals: [
        { step: 1, valLoss: 3.5 },
        { step: 2, valLoss: 2.5 },
      ],
    };
    // Version 1 carried its whole history: above the version 2 bound of 16 MB, still read.
    json.history.metrics.push(...Array.from({ length: 2 }, () => ({ pad: 'x'.repeat(MAX_CHECKPOINT_JSON_BYTES / 2) })));
    fs.writeFileSync(path.join(folder, 'checkpoint.json'), JSON.stringify(json));
    const v1 = loadCheckpoint(folder);
    assert.equal(v1.startLoss, 4.25);
    assert.deepEqual(v1.lastEval, { step: 2, valLoss: 2.5 });
    assert.deepEqual(v1.carriedState, [
      { shape: [2, 3], h: Float32Array.from([1, 2, 3, 4, 5, 6]), c: Float32Array.from([6, 5, 4, 3, 2, 1]) },
      { shape: [2, 3], h: Float32Array.from([0, 0, 0, 0, 0, 0.5]), c: undefined },
    ]);
    assert.equal(v1.textHash, undefined);
    assert.equal(v1.bestValLoss, 0.25);
  });

  it('checkpoint.json of exactly 16 MB is read, one byte more is refused', () => {
    const dir = tmpDir();
    saveCheckpoint(dir, data(8));
    const folder = path.join(dir, 'step-0000008');
    const json = readJSON(folder);
    json.padding = '';
    const base = JSON.stringify(json).length;
    json.padding = 'x'.repeat(MAX_CHECKPOINT_JSON_BYTES - base);
    fs.writeFileSync(path.join(folder, 'checkpoint.json'), JSON.stringify(json));
    assert.equal(loadCheckpoint(folder).step, 8);
    json.padding += 'x';
    fs.writeFileSync(path.join(folder, 'checkpoint.json'), JSON.stringify(json));
    assert.throws(() => loadCheckpoint(folder), new RegExp(`checkpoint.json is ${MAX_CHECKPOINT_JSON_BYTES + 1} bytes, above the limit of ${MAX_CHECKPOINT_JSON_BYTES}`));
  });

  it('a refusal says where, what is wrong and what to do', () => {
    const dir = tmpDir();
    saveCheckpoint(dir, data(9));
    const folder = path.join(dir, 'step-0000009');
    fs.writeFileSync(path.join(folder, 'checkpoint.json'), '{}');
    assert.throws(
      () => loadCheckpoint(folder),
      (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'BAD_CHECKPOINT');
        assert.equal(e.message, `The checkpoint at ${folder} cannot be read: format must be "sequence-lab-checkpoint".`);
        assert.equal(e.hint, 'It may be from another version of Sequence Lab or damaged; use an earlier checkpoint of the run.');
        return true;
      },
    );
    const empty = tmpDir();
    assert.throws(
      () => resolveCheckpoint(empty),
      (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'BAD_CHECKPOINT');
        assert.equal(e.message, `No checkpoint found at ${empty}.`);
        assert.equal(e.hint, 'Point at a run folder, its checkpoints folder, or a step-NNNNNNN checkpoint folder.');
        return true;
      },
    );
  });
});

describe('checkpoints: the checked reader, field by field', () => {
  let good: Json;
  before(() => {
    good = goodJSON();
  });
  const edited = (edit: (j: Json) => void): Json => {
    const j = structuredClone(good);
    edit(j);
    return j;
  };

  it('accepts what the writer wrote, and returns only the known fields', () => {
    const out = checkCheckpointJSON(edited((j) => (j.extra = 'ignored')));
    const { extra: _e, ...known } = good;
    assert.deepEqual(out, known);
  });

  it('a non-object is refused as such; other errors than a bad field pass through unchanged', () => {
    for (const v of [null, [], 'x', 42, [good]]) refusal(v, 'it is not a JSON object');
    const trap = { ...good };
    Object.defineProperty(trap, 'format', {
      get: () => {
        throw new TypeError('trap');
      },
      enumerable: true,
    });
    assert.throws(
      () => checkCheckpointJSON(trap),
      (e: Error) => e instanceof TypeError && e.message === 'trap',
    );
  });

  const cases: [string, (j: Json) => void, string | RegExp][] = [
    ['createdAt a number', (j) => (j.createdAt = 42), 'createdAt must be a short string'],
    ['createdAt of 101 characters', (j) => (j.createdAt = 'x'.repeat(101)), 'createdAt must be a short string'],
    ['step a string', (j) => (j.step = 'x'), `step must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`],
    ['version 0', (j) => (j.version = 0), 'version must be a whole number from 1 to 2'],
    [
      'config with two problems',
      (j) => Object.assign(j.config, { hidden: 'big', layers: 'many' }),
      `config: ${configProblems({ ...CONFIG, hidden: 'big', layers: 'many' }).join(' ')}`,
    ],
    ['createdAt a list', (j) => (j.createdAt = ['x']), 'createdAt must be a short string'],
    ['optimizer not a list', (j) => (j.optimizer = 'x'), 'optimizer must be a list of at most 10000 arrays'],
    ['elapsedMs a string', (j) => (j.elapsedMs = 'x'), 'elapsedMs must be a finite number'],
    ['a textHash in a list', (j) => (j.textHash = ['a'.repeat(64)]), 'textHash must be 64 hex digits'],
    ['lastEval with a string loss', (j) => (j.lastEval.valLoss = '1'), 'lastEval.valLoss must be a finite number'],
    ['vocab not an object', (j) => (j.vocab = ['a', 'b']), 'vocab.tokens must be a list of 2 to 50001 tokens'],
    ['a vocabulary of one token', (j) => (j.vocab.tokens = ['a']), 'vocab.tokens must be a list of 2 to 50001 tokens'],
    [
      'a vocabulary of 50002 tokens',
      (j) => (j.vocab.tokens = Array.from({ length: NUMBER_RULES.maxVocab.max + 2 }, (_, i) => `${i}`)),
      'vocab.tokens must be a list of 2 to 50001 tokens',
    ],
    ['a token of 1001 characters', (j) => (j.vocab.tokens[0] = 'x'.repeat(1001)), 'every vocabulary token must be a string of at most 1000 characters'],
    [
      'weights of 10001 arrays',
      (j) => (j.weights = Array.from({ length: 10_001 }, (_, i) => ({ name: `w${i}`, shape: [1], offset: i }))),
      'weights must be a list of at most 10000 arrays',
    ],
    ['a weight not an object', (j) => (j.weights[1] = 5), 'weights[1] must be an object'],
    ['a weight named ""', (j) => (j.weights[0].name = ''), 'weights[0].name must be a name of 1 to 200 characters'],
    ['a weight name of 201 characters', (j) => (j.weights[0].name = 'x'.repeat(201)), 'weights[0].name must be a name of 1 to 200 characters'],
    ['a shape not a list', (j) => (j.weights[0].shape = 12), 'weights embed: shape must have at most 4 dimensions'],
    ['one array of more than 2^29 floats', (j) => (j.weights = [{ name: 'w', shape: [MAX_FLOATS_PER_FILE, 2], offset: 0 }]), `weights w: more than ${MAX_FLOATS_PER_FILE} floats`],
    ['an array ending past 2^29 floats', (j) => (j.weights = [{ name: 'w', shape: [2], offset: MAX_FLOATS_PER_FILE - 1 }]), `weights w: more than ${MAX_FLOATS_PER_FILE} floats`],
    [
      'overlapping arrays adding to more than 2^29 floats',
      (j) =>
        (j.weights = [
          { name: 'a', shape: [2 ** 28 + 1], offset: 0 },
          { name: 'b', shape: [2 ** 28], offset: 0 },
        ]),
      `weights b: more than ${MAX_FLOATS_PER_FILE} floats`,
    ],
    [
      'overlapping arrays adding to exactly 2^29 floats',
      (j) =>
        (j.weights = [
          { name: 'a', shape: [2 ** 28], offset: 0 },
          { name: 'b', shape: [2 ** 28], offset: 0 },
        ]),
      'weights b: offset 0 overlaps or leaves a gap (expected 268435456)',
    ],
    [
      'a gap',
      (j) =>
        (j.weights = [
          { name: 'a', shape: [2], offset: 0 },
          { name: 'b', shape: [2], offset: 3 },
        ]),
      'weights b: offset 3 overlaps or leaves a gap (expected 2)',
    ],
    ['batcher not an object', (j) => (j.batcher = 3), 'batcher must be an object'],
    ['batcher offset equal to the window', (j) => (j.batcher.offset = 4), 'batcher.offset must be a whole number from 0 to 3'],
    ['batcher position off the grid', (j) => (j.batcher.position = 6), 'batcher.position must be a multiple of the window'],
    ['batcher position above 2^31', (j) => (j.batcher.position = 2 ** 31 + 4), `batcher.position must be a whole number from 0 to ${2 ** 31}`],
    ['a batcher rng above 2^32 - 1', (j) => (j.batcher.rng[2] = 2 ** 32), `batcher.rng[2] must be a whole number from ${-(2 ** 31)} to ${2 ** 32 - 1}`],
    ['a sampleRng below -2^31', (j) => (j.sampleRng[0] = -(2 ** 31) - 1), `sampleRng[0] must be a whole number from ${-(2 ** 31)} to ${2 ** 32 - 1}`],
    ['an infinite best loss', (j) => (j.bestValLoss = Infinity), 'bestValLoss must be a finite number'],
    ['a string last loss', (j) => (j.lastLoss = '1'), 'lastLoss must be a finite number'],
    ['a NaN start loss', (j) => (j.startLoss = NaN), 'startLoss must be a finite number'],
    ['elapsedMs null', (j) => (j.elapsedMs = null), 'elapsedMs must be a finite number'],
    ['no weights', (j) => (j.weights = []), 'weights must list at least one array'],
    ['carried not a list', (j) => (j.carried = 'x'), 'carried must be a list of at most 10000 arrays'],
    ['a textHash of 63 digits', (j) => (j.textHash = 'a'.repeat(63)), 'textHash must be 64 hex digits'],
    ['a textHash of 65 digits', (j) => (j.textHash = 'a'.repeat(65)), 'textHash must be 64 hex digits'],
    ['a textHash with a prefix', (j) => (j.textHash = `x${'a'.repeat(64)}`), 'textHash must be 64 hex digits'],
    ['a textHash with a suffix', (j) => (j.textHash = `${'a'.repeat(64)}x`), 'textHash must be 64 hex digits'],
    ['a textHash in capitals', (j) => (j.textHash = 'A'.repeat(64)), 'textHash must be 64 hex digits'],
    ['a textHash of other letters', (j) => (j.textHash = 'g'.repeat(64)), 'textHash must be 64 hex digits'],
    ['a textHash number', (j) => (j.textHash = 42), 'textHash must be 64 hex digits'],
    ['lastEval not an object', (j) => (j.lastEval = 3), 'lastEval must be an object'],
    ['lastEval with a fractional step', (j) => (j.lastEval.step = 1.5), `lastEval.step must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`],
  ];
  for (const [what, edit, message] of cases) it(`refuses ${what}`, () => refusal(edited(edit), message));

  it('accepts the edges of every range', () => {
    const ok = (edit: (j: Json) => void): ReturnType<typeof checkCheckpointJSON> => checkCheckpointJSON(edited(edit));
    assert.equal(ok((j) => (j.createdAt = 'x'.repeat(100))).createdAt, 'x'.repeat(100));
    assert.equal(ok((j) => (j.vocab.tokens = ['a', 'x'.repeat(1000)])).vocab.tokens.length, 2);
    assert.equal(ok((j) => (j.vocab.tokens = Array.from({ length: NUMBER_RULES.maxVocab.max + 1 }, (_, i) => `${i}`))).vocab.tokens.length, 50_001);
    assert.equal(ok((j) => (j.weights = Array.from({ length: 10_000 }, (_, i) => ({ name: `w${i}`, shape: [1], offset: i })))).weights.length, 10_000);
    assert.equal(ok((j) => (j.weights[0].name = 'x'.repeat(200))).weights[0].name.length, 200);
    assert.deepEqual(ok((j) => (j.weights = [{ name: 'w', shape: [1, 2, 1, 3], offset: 0 }])).weights, [{ name: 'w', shape: [1, 2, 1, 3], offset: 0 }]);
    assert.deepEqual(ok((j) => (j.weights = [{ name: 'w', shape: [MAX_FLOATS_PER_FILE], offset: 0 }])).weights[0].shape, [MAX_FLOATS_PER_FILE]);
    const two = [
      { name: 'a', shape: [2 ** 28], offset: 0 },
      { name: 'b', shape: [2 ** 28], offset: 2 ** 28 },
    ];
    assert.deepEqual(ok((j) => (j.weights = two)).weights, two);
    // Listed in any order, laid out back to back: the listed order is kept.
    const shuffled = [
      { name: 'c', shape: [3], offset: 6 },
      { name: 'b', shape: [2], offset: 4 },
      { name: 'a', shape: [4], offset: 0 },
    ];
    assert.deepEqual(ok((j) => (j.weights = shuffled)).weights, shuffled);
    assert.equal(ok((j) => (j.batcher.offset = 3)).batcher.offset, 3);
    assert.equal(ok((j) => (j.batcher.position = 2 ** 31)).batcher.position, 2 ** 31);
    assert.deepEqual(ok((j) => (j.sampleRng = [-(2 ** 31), 2 ** 32 - 1, 0, 1])).sampleRng, [-(2 ** 31), 2 ** 32 - 1, 0, 1]);
    const nulls = ok((j) => Object.assign(j, { bestValLoss: null, lastLoss: null, startLoss: null, lastEval: null, carried: null }));
    for (const k of ['bestValLoss', 'lastLoss', 'startLoss', 'lastEval', 'carried'] as const) assert.equal(nulls[k], undefined, k);
    assert.equal('carried' in ok((j) => delete j.carried), false);
    assert.equal(ok((j) => delete j.textHash).textHash, undefined);
    assert.equal(ok((j) => (j.textHash = '0123456789abcdef'.repeat(4))).textHash, '0123456789abcdef'.repeat(4));
    assert.deepEqual(ok((j) => (j.lastEval = { step: 0, valLoss: -1.5 })).lastEval, { step: 0, valLoss: -1.5 });
  });

  describe('version 1', () => {
    const v1 = (edit: (j: Json) => void = () => undefined): Json =>
      edited((j) => {
        j.version = 1;
        delete j.carried;
        delete j.textHash;
        j.carriedState = [
          { shape: [2, 8], h: Array(16).fill(0.5), c: Array(16).fill(-1) },
          { shape: [2, 8], h: Array(16).fill(2) },
        ];
        j.history = {
          metrics: [{ loss: 4.5 }],
          evals: [
            { step: 1, valLoss: 4 },
            { step: 5, valLoss: 3.25 },
          ],
        };
        edit(j);
      });

    it('reads the inline state, the first loss and the last evaluation', () => {
      const out = checkCheckpointJSON(v1());
      assert.equal(out.version, 1);
      assert.equal(out.startLoss, 4.5);
      assert.deepEqual(out.lastEval, { step: 5, valLoss: 3.25 });
      assert.deepEqual(out.carriedState, [
        { shape: [2, 8], h: Array(16).fill(0.5), c: Array(16).fill(-1) },
        { shape: [2, 8], h: Array(16).fill(2), c: undefined },
      ]);
      assert.equal(out.carried, undefined);
      assert.equal('history' in out, false);
      const none = checkCheckpointJSON(v1((j) => Object.assign(j, { carriedState: null, history: { metrics: 'x', evals: {} } })));
      assert.equal(none.carriedState, undefined);
      assert.equal(none.startLoss, undefined);
      assert.equal(none.lastEval, undefined);
      assert.equal(checkCheckpointJSON(v1((j) => delete j.history)).startLoss, undefined);
      assert.equal(checkCheckpointJSON(v1((j) => delete j.carriedState)).carriedState, undefined);
      assert.equal(checkCheckpointJSON(v1((j) => (j.history.metrics = [7]))).startLoss, undefined);
      assert.equal(checkCheckpointJSON(v1((j) => (j.carriedState[0].c = null))).carriedState![0].c, undefined);
      // A version 1 textHash or carried manifest is not read.
      assert.equal(checkCheckpointJSON(v1((j) => Object.assign(j, { textHash: 'x', carried: 'x' }))).textHash, undefined);
    });

    const cases: [string, (j: Json) => void, string][] = [
      ['carriedState not a list', (j) => (j.carriedState = {}), 'carriedState must hold one entry per layer'],
      ['carriedState of 3 layers in a 2-layer model', (j) => j.carriedState.push(j.carriedState[0]), 'carriedState must hold one entry per layer'],
      ['a state entry null', (j) => (j.carriedState[1] = null), 'carriedState[1].shape must be [batch, hidden]'],
      ['h a string of 16 characters', (j) => (j.carriedState[0].h = 'x'.repeat(16)), 'carriedState[0].h must hold 16 finite numbers'],
      ['a state entry not an object', (j) => (j.carriedState[1] = [2, 8]), 'carriedState[1].shape must be [batch, hidden]'],
      ['a state shape not a list', (j) => (j.carriedState[0].shape = 16), 'carriedState[0].shape must be [batch, hidden]'],
      ['a state shape of 3 numbers', (j) => (j.carriedState[0].shape = [2, 8, 1]), 'carriedState[0].shape must be [batch, hidden]'],
      ['a state batch of 0', (j) => (j.carriedState[0].shape = [0, 8]), 'carriedState batch must be a whole number from 1 to 1024'],
      ['a state hidden of 1025', (j) => (j.carriedState[0].shape = [2, 1025]), 'carriedState hidden must be a whole number from 1 to 1024'],
      ['h not a list', (j) => (j.carriedState[0].h = 'x'), 'carriedState[0].h must hold 16 finite numbers'],
      ['h one number short', (j) => j.carriedState[0].h.pop(), 'carriedState[0].h must hold 16 finite numbers'],
      ['h holding a string', (j) => (j.carriedState[0].h[3] = '1'), 'carriedState[0].h must hold 16 finite numbers'],
      ['h holding infinity', (j) => (j.carriedState[0].h[3] = Infinity), 'carriedState[0].h must hold 16 finite numbers'],
      ['c one number long', (j) => j.carriedState[0].c.push(1), 'carriedState[0].c must hold 16 finite numbers'],
      ['the last evaluation not an object', (j) => j.history.evals.push('x'), 'history.evals (last) must be an object'],
      ['the first loss a string', (j) => (j.history.metrics[0].loss = 'x'), 'history.metrics[0].loss must be a finite number'],
    ];
    for (const [what, edit, message] of cases) it(`refuses ${what}`, () => refusal(v1(edit), message));
  });

  it('latest.json: a step and a step folder name, nothing else', () => {
    assert.deepEqual(checkLatestJSON({ step: 3, path: 'step-0000003', extra: 1 }), { step: 3, path: 'step-0000003' });
    assert.deepEqual(checkLatestJSON({ step: 0, path: 'step-12345678' }), { step: 0, path: 'step-12345678' });
    for (const bad of [
      null,
      [],
      'step-0000003',
      { step: 3 },
      { path: 'step-0000003' },
      { step: 3, path: 7 },
      { step: 3, path: ['step-0000003'] },
      { step: 3, path: 'step-000003' },
      { step: 3, path: 'x/step-0000003' },
      { step: 3, path: 'step-0000003/..' },
      { step: -1, path: 'step-0000003' },
      { step: 1.5, path: 'step-0000003' },
      { step: '3', path: 'step-0000003' },
    ]) {
      assert.equal(checkLatestJSON(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('checkpoints: resolving, pruning and the order of a write', () => {
  it('latest.json is honoured over newer folders; its folder set aside is found; a step folder comes before its aside', () => {
    const run = tmpDir();
    const dir = path.join(run, 'checkpoints');
    saveCheckpoint(dir, data(3));
    saveCheckpoint(dir, data(5));
    fs.writeFileSync(path.join(dir, 'latest.json'), '{"step":3,"path":"step-0000003"}');
    assert.equal(resolveCheckpoint(dir), path.join(dir, 'step-0000003'));
    // From the run folder: its checkpoints folder.
    assert.equal(resolveCheckpoint(run), path.join(dir, 'step-0000003'));
    // The named folder was set aside by an interrupted same-step rewrite.
    fs.renameSync(path.join(dir, 'step-0000003'), path.join(dir, '.step-0000003.1-a-0.old'));
    assert.equal(resolveCheckpoint(dir), path.join(dir, '.step-0000003.1-a-0.old'));
    // Without latest.json: the newest step, its own folder before its aside.
    fs.rmSync(path.join(dir, 'latest.json'));
    fs.cpSync(path.join(dir, 'step-0000005'), path.join(dir, '.step-0000005.1-a-1.old'), { recursive: true });
    fs.cpSync(path.join(dir, 'step-0000005'), path.join(dir, '.step-0000005.1-a-2.old'), { recursive: true });
    assert.equal(resolveCheckpoint(dir), path.join(dir, 'step-0000005'));
    fs.rmSync(path.join(dir, 'step-0000005'), { recursive: true });
    assert.match(path.basename(resolveCheckpoint(dir)), /^\.step-0000005\.1-a-[12]\.old$/);
  });

  it('latest.json above 4096 bytes is not read', () => {
    const dir = tmpDir();
    saveCheckpoint(dir, data(3));
    saveCheckpoint(dir, data(5));
    fs.writeFileSync(path.join(dir, 'latest.json'), `{"step":3,"path":"step-0000003"${' '.repeat(4096)}}`);
    assert.equal(resolveCheckpoint(dir), path.join(dir, 'step-0000005'));
    fs.writeFileSync(path.join(dir, 'latest.json'), `{"step":3,"path":"step-0000003"${' '.repeat(4000)}}`);
    assert.equal(resolveCheckpoint(dir), path.join(dir, 'step-0000003'));
  });

  it('pruning keeps the newest three and the best, oldest first; crafted refs are skipped', () => {
    const dir = tmpDir();
    for (const s of [1, 2, 3, 4, 5, 6, 8]) fs.mkdirSync(path.join(dir, `step-000000${s}`));
    fs.writeFileSync(path.join(dir, 'step-0000009'), 'a file, not a checkpoint');
    const ref = (step: number, valLoss?: unknown, p = `checkpoints/step-${String(step).padStart(7, '0')}`): CheckpointRef => ({
      step,
      path: p,
      valLoss: valLoss as number,
      time: '',
    });
    const refs = [
      ref(6, 2),
      ref(1, 3, 'elsewhere/step-0000001'),
      ref(2, 1.5),
      ref(3, 1.5),
      ref(4, NaN, 'checkpoints\\step-0000004'),
      ref(5, '0.1'),
      ref(7),
      ref(8, 2.5),
      ref(9),
      ref(13),
      ref(10),
      ref(12),
      ref(11),
      null as never,
      { step: NaN, path: 'checkpoints/step-0000002' } as never,
    ];
    // Keep 4: steps 10 to 13, and step 2 (the first of the two best). Step 7's folder is already gone;
    // step 9 is a file; step 1's ref points elsewhere: none of them is deleted.
    const kept = pruneCheckpoints(dir, refs, 4);
    assert.deepEqual(
      kept.map((r) => r.step),
      [2, 10, 11, 12, 13],
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), ['step-0000001', 'step-0000002', 'step-0000009']);
    // Default: the newest three and the best.
    const dir2 = tmpDir();
    // A NaN loss first is never the best.
    const refs2 = [1, 2, 3, 4, 5, 6].map((s) => ref(s, s === 1 ? NaN : s === 2 ? 0.5 : 1));
    for (const r of refs2) fs.mkdirSync(path.join(dir2, `step-000000${r.step}`));
    assert.deepEqual(
      pruneCheckpoints(dir2, refs2).map((r) => r.step),
      [2, 4, 5, 6],
    );
    assert.deepEqual(fs.readdirSync(dir2).sort(), ['step-0000002', 'step-0000004', 'step-0000005', 'step-0000006']);
    // A file where the checkpoints folder should be is refused.
    const file = path.join(dir2, 'file');
    fs.writeFileSync(file, '');
    assert.throws(() => pruneCheckpoints(file, refs2), /is a symbolic link or not a folder/);
  });

  it('a save removes what interrupted writes left, and puts back an aside folder whose replacement never arrived', () => {
    const dir = tmpDir();
    saveCheckpoint(dir, data(2));
    fs.mkdirSync(path.join(dir, '.step-0000001.9-x-0.tmp', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.step-0000001.9-x-0.tmp', 'sub', 'weights.bin'), 'partial');
    fs.writeFileSync(path.join(dir, '.latest.json.9-x-1.tmp'), '{}');
    fs.cpSync(path.join(dir, 'step-0000002'), path.join(dir, '.step-0000002.9-x-2.old'), { recursive: true });
    fs.cpSync(path.join(dir, 'step-0000002'), path.join(dir, '.step-0000003.9-x-3.old'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.step-0000004.9-x-4.tmp'), 'a file is not a temporary folder');
    fs.mkdirSync(path.join(dir, '.latest.json.9-x-5.tmp'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), '');
    saveCheckpoint(dir, data(6));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['.latest.json.9-x-5.tmp', '.step-0000004.9-x-4.tmp', 'latest.json', 'notes.txt', 'step-0000002', 'step-0000003', 'step-0000006']);
  });

  it('a file where the checkpoints folder should be is refused for writing', () => {
    const file = path.join(tmpDir(), 'checkpoints');
    fs.writeFileSync(file, '');
    assert.throws(
      () => saveCheckpoint(file, data(1)),
      (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'BAD_CHECKPOINT');
        assert.equal(e.message, `${file} is a symbolic link or not a folder: Sequence Lab does not write or delete checkpoints through it.`);
        assert.ok(e.hint && e.hint.length > 10);
        return true;
      },
    );
  });

  describe('the order of a write', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object, patchable
    const realFs = require('node:fs') as Record<string, unknown>;
    const ops = ['mkdirSync', 'openSync', 'writeFileSync', 'fsyncSync', 'closeSync', 'renameSync', 'rmSync'];
    let originals: Record<string, unknown>;
    beforeEach(() => (originals = Object.fromEntries(ops.map((op) => [op, realFs[op]]))));
    afterEach(() => Object.assign(realFs, originals));

    /** Records each file operation with its paths relative to `root` (a descriptor as the path it opened). */
    function record(root: string, fail?: (op: string, args: unknown[]) => Error | undefined): string[] {
      const log: string[] = [];
      const fds = new Map<number, string>();
      const rel = (p: unknown): string => (typeof p === 'number' ? `fd(${fds.get(p)})` : path.relative(root, String(p)) || '.');
      for (const op of ops) {
        realFs[op] = (...args: unknown[]) => {
          const err = fail?.(op, args);
          if (err) throw err;
          const result = (originals[op] as (...a: unknown[]) => unknown)(...args);
          if (op === 'openSync') fds.set(result as number, rel(args[0]));
          log.push(`${op} ${rel(args[0])}${op === 'renameSync' ? ` ${rel(args[1])}` : ''}`);
          return result;
        };
      }
      return log;
    }

    it('temp folder, each file fsynced, the folder fsynced, renamed into place, fsynced, latest.json last', () => {
      const dir = tmpDir();
      saveCheckpoint(dir, data(4));
      const log = record(dir);
      saveCheckpoint(dir, data(4, { carriedState: undefined }));
      Object.assign(realFs, originals);
      const names = log.map((l) => l.replace(/\.(\d+)-([0-9a-z]+)-([0-9a-z]+)\./g, (_, pid) => (Number(pid) === process.pid ? '.ID.' : '.BAD.')));
      const write = (f: string): string[] => [`openSync ${f}`, `writeFileSync fd(${f})`, `fsyncSync fd(${f})`, `closeSync fd(${f})`];
      const tmp = '.step-0000004.ID.tmp';
      assert.deepEqual(names, [
        'mkdirSync .',
        `mkdirSync ${tmp}`,
        ...write(`${tmp}/weights.bin`),
        ...write(`${tmp}/optimizer.bin`),
        ...write(`${tmp}/checkpoint.json`),
        `openSync ${tmp}`,
        `fsyncSync fd(${tmp})`,
        `closeSync fd(${tmp})`,
        'renameSync step-0000004 .step-0000004.ID.old',
        `renameSync ${tmp} step-0000004`,
        'openSync .',
        'fsyncSync fd(.)',
        'closeSync fd(.)',
        ...write('.latest.json.ID.tmp'),
        'renameSync .latest.json.ID.tmp latest.json',
        'openSync .',
        'fsyncSync fd(.)',
        'closeSync fd(.)',
        'rmSync .step-0000004.ID.old',
      ]);
      // Every temporary name is distinct.
      const suffixes = log.join(' ').match(/\.\d+-[0-9a-z]+-[0-9a-z]+\./g)!;
      assert.equal(new Set(suffixes).size, 3, suffixes.join(' '));
      assert.equal(loadCheckpoint(dir).carriedState, undefined);
    });

    it('a folder that cannot be opened for fsync (Windows) is no error; any other failure is', () => {
      const dir = tmpDir();
      const isDir = (p: unknown): boolean => typeof p === 'string' && fs.existsSync(p) && fs.lstatSync(p).isDirectory();
      for (const code of ['EISDIR', 'EPERM', 'EACCES', 'EINVAL']) {
        record(dir, (op, args) => (op === 'openSync' && isDir(args[0]) ? Object.assign(new Error(code), { code }) : undefined));
        saveCheckpoint(dir, data(4));
        Object.assign(realFs, originals);
        assert.equal(loadCheckpoint(dir).step, 4, code);
      }
      record(dir, (op, args) => (op === 'openSync' && isDir(args[0]) ? Object.assign(new Error('EIO'), { code: 'EIO' }) : undefined));
      assert.throws(() => saveCheckpoint(dir, data(5)), /EIO/);
      Object.assign(realFs, originals);
      record(dir, (op, args) => (op === 'openSync' && isDir(args[0]) ? new Error('no code') : undefined));
      assert.throws(() => saveCheckpoint(dir, data(5)), /no code/);
      Object.assign(realFs, originals);
      record(dir, (op) => (op === 'fsyncSync' ? Object.assign(new Error('EIO'), { code: 'EIO' }) : undefined));
      assert.throws(() => saveCheckpoint(dir, data(6)), /EIO/);
    });

    it('reading closes every file it opens', () => {
      const dir = tmpDir();
      saveCheckpoint(dir, data(4));
      const log = record(dir);
      loadCheckpoint(dir);
      Object.assign(realFs, originals);
      const opens = log.filter((l) => l.startsWith('openSync')).length;
      assert.ok(opens >= 4, `${opens} opens`);
      assert.equal(log.filter((l) => l.startsWith('closeSync')).length, opens);
    });
  });
});
