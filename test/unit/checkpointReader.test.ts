/**
 * The checked reader of checkpoint.json and latest.json: a run folder may come from any repository, so
 * each crafted field is refused with a reason (BAD_CHECKPOINT), never a crash or a giant allocation.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCheckpoint, resolveCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { MAX_CHECKPOINT_JSON_BYTES } from '../../src/core/checkpointFormat';
import { checkpointAt } from './checkpointHelpers';
import { useBackend } from './helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('checkpoints: the checked reader', () => {
  let good: string;
  let root: string;
  before(async () => {
    await useBackend('cpu');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-reader-'));
    saveCheckpoint(path.join(root, 'good'), await checkpointAt(3));
    good = path.join(root, 'good', 'step-0000003');
    assert.equal(loadCheckpoint(good).step, 3);
  });

  let n = 0;
  /** A copy of the good checkpoint with checkpoint.json changed by `edit`, or its files changed by `files`. */
  function crafted(edit: (j: Json) => void, files?: (dir: string) => void): string {
    const dir = path.join(root, `case-${n++}`, 'step-0000003');
    fs.cpSync(good, dir, { recursive: true });
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as Json;
    edit(json);
    fs.writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify(json));
    files?.(dir);
    return dir;
  }

  const cases: [string, (j: Json) => void, RegExp, ((dir: string) => void)?][] = [
    ['another format', (j) => (j.format = 'pickle'), /format must be/],
    ['a future version', (j) => (j.version = 3), /version must be/],
    ['a negative step', (j) => (j.step = -1), /step must be a whole number/],
    ['a fractional step', (j) => (j.step = 1.5), /step must be a whole number/],
    ['a string step', (j) => (j.step = '3'), /step must be a whole number/],
    ['config not an object', (j) => (j.config = [1]), /config must be an object/],
    ['config with a wrong-typed field', (j) => (j.config.hidden = 'big'), /config: hidden must be a number/],
    ['config out of range', (j) => (j.config.layers = 1000), /config: layers = 1000 is out of range/],
    ['vocabulary not a list', (j) => (j.vocab = { tokens: 'abc' }), /vocab.tokens must be a list/],
    ['vocabulary too long', (j) => (j.vocab.tokens = Array.from({ length: 60_000 }, (_, i) => `t${i}`)), /vocab.tokens must be a list of 2 to/],
    ['a vocabulary token not a string', (j) => (j.vocab.tokens[1] = 7), /every vocabulary token must be a string/],
    ['weights not a list', (j) => (j.weights = {}), /weights must be a list/],
    ['no weights', (j) => (j.weights = []), /weights must list at least one array/],
    ['a weight without a name', (j) => delete j.weights[0].name, /weights\[0\].name must be a name/],
    ['a weight named twice', (j) => (j.weights[1].name = j.weights[0].name), /names .* twice/],
    ['a zero dimension', (j) => (j.weights[0].shape = [0, 4]), /a dimension must be a whole number from 1/],
    ['a negative dimension', (j) => (j.weights[0].shape = [-2, 4]), /a dimension must be a whole number from 1/],
    ['a fractional dimension', (j) => (j.weights[0].shape = [2.5, 4]), /a dimension must be a whole number/],
    ['five dimensions', (j) => (j.weights[0].shape = [1, 1, 1, 1, 1]), /at most 4 dimensions/],
    ['a huge shape product', (j) => (j.weights[0].shape = [100_000, 100_000]), /more than \d+ floats/],
    ['a negative offset', (j) => (j.weights[0].offset = -4), /offset must be a whole number from 0/],
    ['overlapping offsets', (j) => (j.weights[1].offset = j.weights[0].offset), /overlaps or leaves a gap/],
    ['an offset past the end of weights.bin', (j) => (j.weights.at(-1).offset += 1), /overlaps or leaves a gap|weights.bin is \d+ bytes; its manifest says/],
    ['a shape larger than weights.bin', (j) => (j.weights.at(-1).shape = [...j.weights.at(-1).shape, 2]), /weights.bin is \d+ bytes; its manifest says/],
    ['an optimizer slot past the end', (j) => j.optimizer.at(-1).shape.push(3), /optimizer.bin is \d+ bytes; its manifest says/],
    ['batcher without rng', (j) => delete j.batcher.rng, /batcher.rng must be 4 integers/],
    ['batcher offset beyond the window', (j) => (j.batcher.offset = 10_000), /batcher.offset must be a whole number/],
    ['batcher position off the window grid', (j) => (j.batcher.position = 3), /multiple of the window/],
    ['sampleRng of 3 numbers', (j) => (j.sampleRng = [1, 2, 3]), /sampleRng must be 4 integers/],
    ['a textHash not hex', (j) => (j.textHash = '../../etc/passwd'), /textHash must be 64 hex digits/],
    ['NaN-like loss', (j) => (j.bestValLoss = 'NaN'), /bestValLoss must be a finite number/],
    ['no elapsed time', (j) => delete j.elapsedMs, /elapsedMs must be a finite number/],
    ['a lastEval without a loss', (j) => (j.lastEval = { step: 3 }), /lastEval.valLoss must be a finite number/],
    ['carried state past state.bin', (j) => j.carried.at(-1).shape.push(2), /state.bin is \d+ bytes; its manifest says/],
    ['weights.bin missing', () => undefined, /weights.bin is missing/, (dir) => fs.rmSync(path.join(dir, 'weights.bin'))],
    [
      'weights.bin one float short',
      () => undefined,
      /weights.bin is \d+ bytes; its manifest says/,
      (dir) => fs.truncateSync(path.join(dir, 'weights.bin'), fs.statSync(path.join(dir, 'weights.bin')).size - 4),
    ],
    ['not JSON', () => undefined, /cannot be read: .*JSON/, (dir) => fs.writeFileSync(path.join(dir, 'checkpoint.json'), '{"format": ')],
    ['JSON but an array', () => undefined, /it is not a JSON object/, (dir) => fs.writeFileSync(path.join(dir, 'checkpoint.json'), '[]')],
  ];
  for (const [what, edit, reason, files] of cases) {
    it(`refuses ${what}`, () => {
      const dir = crafted(edit, files);
      assert.throws(
        () => loadCheckpoint(dir),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'BAD_CHECKPOINT');
          assert.match(e.message, reason);
          return true;
        },
      );
    });
  }

  it(`refuses a checkpoint.json above ${MAX_CHECKPOINT_JSON_BYTES / 1024 / 1024} MB without parsing it whole into a checkpoint`, () => {
    const dir = crafted((j) => (j.padding = 'x'.repeat(MAX_CHECKPOINT_JSON_BYTES)));
    assert.throws(() => loadCheckpoint(dir), /checkpoint.json is \d+ bytes, above the limit/);
  });

  it('a broken latest.json, or one naming a path, is ignored in favour of the valid step folders', () => {
    const dir = path.join(root, 'latest-cases');
    fs.cpSync(path.join(root, 'good'), dir, { recursive: true });
    const contents = [
      '',
      'null',
      '[]',
      '{"step": 3}',
      '{"step": 3, "path": "../good/step-0000003"}',
      '{"step": 3, "path": "step-0000003/../../x"}',
      '{"step": -1, "path": "step-0000003"}',
      '{"step": 3, "path": 42}',
      'x'.repeat(10_000),
    ];
    for (const c of contents) {
      fs.writeFileSync(path.join(dir, 'latest.json'), c);
      assert.equal(resolveCheckpoint(dir), path.join(dir, 'step-0000003'), c.slice(0, 40));
    }
    // With no valid step folder left, nothing is found: the error names the location, no stack trace.
    fs.renameSync(path.join(dir, 'step-0000003'), path.join(dir, 'not-a-step'));
    fs.writeFileSync(path.join(dir, 'latest.json'), '{"step": 3, "path": "../latest-cases/not-a-step"}');
    assert.throws(() => resolveCheckpoint(dir), /No checkpoint found/);
  });

  it('a symlinked step folder outside the checkpoints folder is not taken as a checkpoint by the fallback', () => {
    const dir = path.join(root, 'linked');
    fs.mkdirSync(dir);
    fs.symlinkSync(good, path.join(dir, 'step-0000009'));
    assert.throws(() => resolveCheckpoint(dir), /No checkpoint found/);
  });
});
