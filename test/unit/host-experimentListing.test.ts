/**
 * The experiments folder as the host reads it: only real folders directly inside
 * `.seqlab/experiments`, with an experiment.json the checked reader accepts and whose id is the folder's
 * name; links refused for listing and for deletion; the sidebar's messages about experiments checked.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { EXPERIMENT_FORMAT, EXPERIMENT_VERSION, writeExperiment, type ExperimentRecord } from '../../src/core/experiments/experimentRecord';
import { experimentEntry, findExperiment, listExperiments } from '../../src/host/experiments/experimentListing';
import { containExperimentDir, deleteExperimentFolder, experimentsDirOf } from '../../src/host/experiments/experimentPaths';
import { isSidebarToHost } from '../../src/protocol/sidebar';

function record(id: string, patch: Partial<ExperimentRecord> = {}): ExperimentRecord {
  return {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    id,
    name: `exp ${id}`,
    createdAt: '2026-11-29T17:00:00.000Z',
    files: ['/tmp/a.txt'],
    presetId: 'lstm-gru',
    base: { ...DEFAULT_CONFIG },
    vary: [
      {
        name: 'cell',
        values: [
          { label: 'RNN', patch: { cell: 'rnn' } },
          { label: 'LSTM', patch: { cell: 'lstm' } },
        ],
      },
    ],
    runs: [
      { label: 'RNN', values: { cell: 'RNN' }, runId: 'r1', state: 'completed' },
      { label: 'LSTM', values: { cell: 'LSTM' }, runId: 'r2', state: 'diverged' },
      { label: 'GRU', values: { cell: 'GRU' }, runId: 'r3', state: 'stopped' },
    ],
    state: 'cancelled',
    ...patch,
  };
}

describe('host: experiment folders and the sidebar list', () => {
  let root: string;
  let dir: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-explist-'));
    dir = experimentsDirOf(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('lists readable experiments newest first, skipping broken, foreign and misnamed ones', () => {
    writeExperiment(path.join(dir, 'a1'), record('a1', { createdAt: '2026-11-29T17:00:00.000Z' }));
    writeExperiment(path.join(dir, 'b2'), record('b2', { createdAt: '2026-11-29T18:00:00.000Z', presetId: undefined, state: 'running' }));
    writeExperiment(path.join(dir, 'c3'), record('other-id'));
    fs.mkdirSync(path.join(dir, 'd4'));
    fs.writeFileSync(path.join(dir, 'd4', 'experiment.json'), '{"format": "something else"}');
    fs.writeFileSync(path.join(dir, 'e5'), 'a file, not a folder');
    assert.deepEqual(
      listExperiments([dir]).map((f) => f.record.id),
      ['b2', 'a1'],
    );
    assert.equal(findExperiment([dir], 'a1')?.record.name, 'exp a1');
    assert.equal(findExperiment([dir], 'c3'), undefined);
    assert.equal(findExperiment([dir], '../a1'), undefined);
    assert.deepEqual(experimentEntry(listExperiments([dir])[1].record), {
      id: 'a1',
      name: 'exp a1',
      question: 'Why LSTM and GRU?',
      state: 'cancelled',
      done: 2,
      total: 3,
      createdAt: '2026-11-29T17:00:00.000Z',
    });
    assert.equal(experimentEntry(listExperiments([dir])[0].record).question, 'Varying cell');
  });

  it('refuses links: a linked experiments folder lists nothing, a linked experiment is neither listed nor deleted', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-outside-'));
    try {
      writeExperiment(path.join(outside, 'x1'), record('x1'));
      fs.mkdirSync(dir, { recursive: true });
      fs.symlinkSync(path.join(outside, 'x1'), path.join(dir, 'x1'));
      assert.deepEqual(listExperiments([dir]), []);
      await assert.rejects(deleteExperimentFolder(path.join(dir, 'x1')), /symbolic link/);
      assert.ok(fs.existsSync(path.join(outside, 'x1', 'experiment.json')), 'the target is untouched');
      fs.rmSync(dir, { recursive: true });
      fs.symlinkSync(outside, dir);
      assert.deepEqual(listExperiments([dir]), []);
      assert.throws(() => containExperimentDir(path.join(dir, 'x1')), /symbolic link/);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('deletes a real experiment folder', async () => {
    writeExperiment(path.join(dir, 'a1'), record('a1'));
    await deleteExperimentFolder(path.join(dir, 'a1'));
    assert.equal(fs.existsSync(path.join(dir, 'a1')), false);
    assert.ok(fs.existsSync(dir));
  });

  it('checks the sidebar’s experiment messages', () => {
    for (const action of ['open', 'cancel', 'resume', 'delete']) assert.equal(isSidebarToHost({ type: 'experiment', action, experimentId: 'a1' }), true, action);
    assert.equal(isSidebarToHost({ type: 'experiment', action: 'rm', experimentId: 'a1' }), false);
    assert.equal(isSidebarToHost({ type: 'experiment', action: 'delete', experimentId: '../a1' }), false);
    assert.equal(isSidebarToHost({ type: 'experiment', action: 'delete' }), false);
  });
});
