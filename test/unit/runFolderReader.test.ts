/**
 * The checked reader of run folders (core/runFolderReader.ts) and the host's containment (runPaths.ts,
 * runStore.ts) against the hostile workspace of test/fixtures/hostileRuns.ts: genuine runs read back
 * exactly; every crafted folder is unreadable with its reason (or skipped); nothing outside changes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineSplitter, RUN_LIMITS, checkRunRecord, depthWithin, readLogChecked, readRunJson } from '../../src/core/runFolderReader';
import { RunWriter, readLog, readRunFolder, readRunRecord, type RunRecord } from '../../src/core/runFiles';
import { containCheckpoint, containRunDir } from '../../src/host/runs/runPaths';
import { RunRecovery, setRecoveryMayWrite } from '../../src/host/runs/runRecovery';
import { deleteRunFolder, ensureRunsDirWritable, patchRunRecord } from '../../src/host/runs/runStore';
import { deleteUnreadable, listRunsAsync, readRunFolderAsync, unreadableRuns } from '../../src/host/runs/runListing';
import { writeRunLock } from '../../src/host/runs/runLock';
import { MAX_CELLS, MAX_ROWS, heatmapGrid, layerCount } from '../../src/webview/lib/heatmapModel';
import type { GradMap } from '../../src/protocol/types';
import { checksumTree, makeOutsideFolder, relaxHostileRuns, writeHostileRuns, type HostileWorkspace } from '../fixtures/hostileRuns';

function rawLines(file: string): unknown[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
}

describe('run folders: the checked reader against a hostile workspace', () => {
  let root: string;
  let runsDir: string;
  let outside: string;
  let inputFile: string;
  let ws: HostileWorkspace;
  let outsideBefore: Record<string, string>;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-hostile-'));
    outside = path.join(root, 'outside');
    const workspace = path.join(root, 'workspace');
    runsDir = path.join(workspace, '.seqlab', 'runs');
    inputFile = path.join(workspace, 'text.txt');
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(inputFile, 'some text to train on\n');
    makeOutsideFolder(outside);
    ws = writeHostileRuns(runsDir, outside, inputFile);
    outsideBefore = checksumTree(outside);
  });

  after(() => {
    relaxHostileRuns(runsDir);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('writes at least 30 crafted folders beside 2 genuine runs', () => {
    assert.ok(ws.cases.length >= 30, `${ws.cases.length} crafted cases`);
    assert.equal(ws.genuine.length, 2);
  });

  it('reads every genuine run back exactly as the run store wrote it', () => {
    for (const g of ws.genuine) {
      const dir = path.join(runsDir, g.id);
      const history = readRunFolder(dir);
      assert.ok(history.ok, history.ok ? '' : history.reason);
      assert.deepEqual(history.record.record, JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')));
      assert.deepEqual(history.record.record, g.record);
      assert.deepEqual(history.record.metrics, rawLines(path.join(dir, 'metrics.jsonl')));
      assert.deepEqual(history.record.gradMaps, rawLines(path.join(dir, 'gradmaps.jsonl')));
      assert.deepEqual(history.record.evals, rawLines(path.join(dir, 'evals.jsonl')));
      assert.deepEqual(history.record.samples, rawLines(path.join(dir, 'samples.jsonl')));
      assert.equal(history.record.metrics.length, g.metrics);
      assert.equal(history.record.gradMaps.length, g.gradMaps);
    }
  });

  it('lists the genuine runs (and the readable crafted ones), and every crafted folder as unreadable with its reason', async () => {
    const listed = await listRunsAsync(runsDir);
    const readable = ws.cases.filter((c) => c.outcome === 'history' || c.outcome === 'asks' || c.outcome === 'refused').map((c) => c.name);
    assert.deepEqual(listed.map((r) => path.basename(r.dir)).sort(), [...ws.genuine.map((g) => g.id), ...readable].sort());
    const genuineListed = listed.filter((r) => ws.genuine.some((g) => g.id === r.record.id));
    assert.deepEqual(genuineListed.map((r) => path.basename(r.dir)).sort(), ws.genuine.map((g) => g.id).sort(), "the duplicate id does not take the genuine run's place");
    const bad = unreadableRuns([runsDir]);
    for (const c of ws.cases) {
      const entry = bad.find((u) => u.name === c.name);
      if (c.outcome === 'list') {
        assert.ok(entry, `${c.name} is listed as unreadable`);
        assert.match(entry.reason, c.reason!, `${c.name}: ${entry.reason}`);
        assert.equal(entry.deletable, c.deletable, `${c.name} deletable`);
      } else {
        assert.equal(entry, undefined, `${c.name} is not listed as unreadable (${entry?.reason})`);
      }
    }
    assert.equal(bad.length, ws.cases.filter((c) => c.outcome === 'list').length);
  });

  it('finds the bad logs when the history is read, and lists those runs as unreadable from then on', async () => {
    for (const c of ws.cases.filter((x) => x.outcome === 'history')) {
      const history = await readRunFolderAsync(path.join(runsDir, c.name));
      assert.equal(history.ok, false, c.name);
      if (!history.ok) assert.match(history.reason, c.reason!, c.name);
      const sync = readRunFolder(path.join(runsDir, c.name));
      assert.ok(!sync.ok && c.reason!.test(sync.reason), `${c.name} (sync reader)`);
    }
    const listed = await listRunsAsync(runsDir);
    assert.deepEqual(listed.map((r) => path.basename(r.dir)).sort(), [...ws.genuine.map((g) => g.id), 'files-outside', 'symlinked-checkpoint-step'].sort());
    for (const c of ws.cases.filter((x) => x.outcome === 'history')) {
      assert.match(unreadableRuns([runsDir]).find((u) => u.name === c.name)?.reason ?? '', c.reason!, c.name);
    }
  });

  it('the sync readers of the command line refuse the crafted folders too', () => {
    for (const c of ws.cases.filter((x) => x.outcome === 'list')) {
      if (c.name === 'duplicate-id') continue; // a valid run.json on its own: only the listing sees the clash
      assert.equal(readRunRecord(path.join(runsDir, c.name)), undefined, c.name);
    }
    assert.throws(() => readLog(path.join(runsDir, 'metric-infinity'), 'metrics'), /loss must be a finite number/);
  });

  it('writes nothing through links: appends, run.json rewrites, locks and checkpoint folders', () => {
    const linkedLog = path.join(runsDir, 'symlinked-log');
    const record = JSON.parse(fs.readFileSync(path.join(linkedLog, 'run.json'), 'utf8')) as RunRecord;
    const writer = new RunWriter(linkedLog, record);
    assert.throws(() => writer.append('metrics', { step: 9, loss: 1, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: 1 }), /ELOOP|symbolic/);
    assert.throws(() => new RunWriter(path.join(runsDir, 'symlinked-checkpoints'), record), /symbolic link/);
    assert.equal(patchRunRecord(path.join(runsDir, 'symlinked-run'), { state: 'interrupted' }), undefined);
    writeRunLock(path.join(runsDir, 'symlinked-run'), { hostPid: 1, since: new Date().toISOString() });
    assert.throws(() => containRunDir(path.join(runsDir, 'symlinked-run')), /symbolic link/);
    assert.throws(() => containCheckpoint(path.join(runsDir, 'symlinked-checkpoints'), { step: 10, path: 'checkpoints/step-0000010', time: '' }), /checkpoints is a symbolic link/);
    const genuineDir = path.join(runsDir, ws.genuine[0].id);
    for (const bad of ['../../outside', '/etc', 'checkpoints/../../x', 'checkpoints/step-0000010/../../..', 'weights']) {
      assert.throws(() => containCheckpoint(genuineDir, { step: 10, path: bad, time: '' }), /not checkpoints\/step-NNNNNNN/, bad);
    }
    assert.throws(
      () => containCheckpoint(path.join(runsDir, 'symlinked-checkpoint-step'), { step: 10, path: 'checkpoints/step-0000010', time: '' }),
      /step-0000010 is a symbolic link/,
    );
    assert.equal(containCheckpoint(genuineDir, { step: 10, path: 'checkpoints/step-0000010', time: '' }), path.join(fs.realpathSync(genuineDir), 'checkpoints', 'step-0000010'));
    assert.deepEqual(checksumTree(outside), outsideBefore);
  });

  it('refuses a linked .seqlab or .seqlab/runs: no listing through it, no new run folder in it', async () => {
    const other = path.join(root, 'linked-ws');
    fs.mkdirSync(other);
    fs.symlinkSync(outside, path.join(other, '.seqlab'));
    const linkedRuns = path.join(other, '.seqlab', 'runs');
    assert.deepEqual(await listRunsAsync(linkedRuns), []);
    assert.match(unreadableRuns([linkedRuns])[0].reason, /\.seqlab is a symbolic link/);
    await assert.rejects(ensureRunsDirWritable(linkedRuns), /\.seqlab is a symbolic link/);
    const third = path.join(root, 'linked-runs-ws');
    fs.mkdirSync(path.join(third, '.seqlab'), { recursive: true });
    fs.symlinkSync(path.join(outside, 'precious'), path.join(third, '.seqlab', 'runs'));
    assert.deepEqual(await listRunsAsync(path.join(third, '.seqlab', 'runs')), []);
    assert.match(unreadableRuns([path.join(third, '.seqlab', 'runs')])[0].reason, /runs is a symbolic link/);
    assert.deepEqual(checksumTree(outside), outsideBefore);
  });

  it('recovery writes nothing in Restricted Mode, and never into a linked run folder', async () => {
    const live = JSON.parse(fs.readFileSync(path.join(runsDir, ws.genuine[1].id, 'run.json'), 'utf8')) as RunRecord;
    const runs = [
      { dir: path.join(runsDir, 'symlinked-run'), record: { ...live, id: 'symlinked-run', state: 'training' as const } },
      { dir: path.join(runsDir, ws.genuine[1].id), record: { ...live, state: 'training' as const } },
    ];
    const lines: string[] = [];
    const host = {
      log: { trace() {}, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error() {} },
      refresh: async () => {},
      runs: () => runs,
      isLive: () => false,
      liveLocks: () => [],
      remember() {},
      didChangeRuns() {},
    };
    const before = fs.readFileSync(path.join(runsDir, ws.genuine[1].id, 'run.json'), 'utf8');
    const recovery = new RunRecovery(host);
    try {
      setRecoveryMayWrite(() => false);
      assert.deepEqual(await recovery.recoverInterrupted(), []);
      assert.equal(fs.readFileSync(path.join(runsDir, ws.genuine[1].id, 'run.json'), 'utf8'), before, 'restricted: run.json untouched');
      setRecoveryMayWrite(() => true);
      assert.deepEqual(await recovery.recoverInterrupted(), [ws.genuine[1].id], 'trusted: the genuine run is recovered, the linked one is not');
      assert.ok(lines.some((l) => /symlinked-run: not recovered: .*symbolic link/.test(l)));
    } finally {
      setRecoveryMayWrite(() => true);
      recovery.dispose();
    }
    assert.deepEqual(checksumTree(outside), outsideBefore);
  });

  it('deletes only real folders inside the runs folder: links are refused, their targets untouched', async () => {
    await assert.rejects(deleteRunFolder(path.join(runsDir, 'symlinked-run')), /symbolic link/);
    await assert.rejects(deleteRunFolder(path.join(runsDir, 'symlink-in')), /symbolic link/);
    await assert.rejects(deleteRunFolder(path.join(runsDir, 'not-a-folder.json')), /not a folder/);
    await listRunsAsync(runsDir);
    let deleted = 0;
    for (const entry of unreadableRuns([runsDir])) {
      if (entry.deletable) {
        await deleteUnreadable(entry);
        assert.equal(fs.existsSync(entry.dir), false, entry.name);
        deleted++;
      } else {
        await assert.rejects(deleteUnreadable(entry), /deletes only real folders/);
        assert.ok(fs.lstatSync(entry.dir).isSymbolicLink(), `${entry.name}: the link stays`);
      }
    }
    assert.ok(deleted >= 30, `${deleted} deleted`);
    for (const g of ws.genuine) assert.ok(readRunFolder(path.join(runsDir, g.id)).ok, `${g.id} is intact`);
    assert.deepEqual(checksumTree(outside), outsideBefore);
  });
});

describe('run folders: the checks one by one', () => {
  const time = '2026-01-02T03:04:05.000Z';
  const config = {
    level: 'char',
    minFreq: 1,
    maxVocab: 100,
    valFraction: 0.1,
    cell: 'gru',
    hidden: 16,
    layers: 1,
    embedding: 0,
    tau: 8,
    batch: 4,
    window: 8,
    batching: 'random',
    optimizer: 'adam',
    lr: 0.01,
    clip: 1,
    steps: 10,
    seed: 0,
    evalInterval: 5,
    evalTokens: 100,
    gradMapInterval: 5,
    sampleInterval: 5,
    sampleLength: 10,
    temperature: 1,
    checkpointInterval: 5,
    backend: 'auto',
  };
  const valid = (patch: Record<string, unknown> = {}) => ({
    id: 'r1',
    name: 'n',
    createdAt: time,
    updatedAt: time,
    files: ['/a.txt'],
    config,
    state: 'completed',
    step: 3,
    durationMs: 5,
    checkpoints: [],
    ...patch,
  });
  const reason = (value: unknown) => {
    const r = checkRunRecord(value);
    return r.ok ? 'ok' : r.reason;
  };

  it('accepts a genuine record, threads absent, and null losses as absent (JSON writes NaN as null)', () => {
    assert.equal(reason(valid()), 'ok');
    const r = checkRunRecord(valid({ lastLoss: null, bestValLoss: null, checkpoints: [{ step: 5, path: 'checkpoints/step-0000005', valLoss: null, time }] }));
    assert.ok(r.ok);
    assert.equal(r.record.lastLoss, undefined);
    assert.equal(r.record.checkpoints[0].valLoss, undefined);
  });

  it("keeps a newer version's plain top-level fields, drops nested ones", () => {
    const r = checkRunRecord(valid({ textHash: 'abc', extra: { deep: 1 } }));
    assert.ok(r.ok);
    assert.equal((r.record as unknown as Record<string, unknown>).textHash, 'abc');
    assert.equal((r.record as unknown as Record<string, unknown>).extra, undefined);
  });

  it('gives one reason per broken field', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ info: { backend: 'gpu' } }, /info\.backend must be one of tensorflow, wasm, cpu/],
      [{ info: 'x' }, /info must be an object/],
      [{ durationMs: -1 }, /durationMs must be from 0/],
      [{ reason: 5 }, /reason must be a string/],
      [{ fineTunedFrom: 'x'.repeat(5000) }, /fineTunedFrom is longer than 4096/],
      [{ checkpoints: [{ step: -1, path: 'checkpoints/step-0000005', time }] }, /checkpoints\[0\]\.step must be from 0/],
      [{ checkpoints: [{ step: 5, time }] }, /checkpoints\[0\]\.path is missing/],
      [{ checkpoints: new Array(RUN_LIMITS.checkpoints + 1).fill(0) }, /checkpoints has more than 10000 entries/],
      [{ files: new Array(RUN_LIMITS.files + 1).fill('a') }, /files has more than 10000 entries/],
      [{ config: { ...config, lr: 'fast' } }, /config\.lr must be a number/],
      [{ config: { ...config, layers: 2.5 } }, /config\.layers must be a whole number/],
      [{ config: { ...config, threads: 7 } }, /config\.threads must be from 0 to 2/],
      [{ updatedAt: 7 }, /updatedAt must be a string/],
      [{ step: 2 ** 60 }, /step must be from 0 to/],
    ];
    for (const [patch, expected] of cases) assert.match(reason(valid(patch)), expected, JSON.stringify(patch).slice(0, 80));
  });

  it('measures nesting without recursing, strings and escapes aside', () => {
    assert.equal(depthWithin('[[[]]]', 3), true);
    assert.equal(depthWithin('[[[[]]]]', 3), false);
    assert.equal(depthWithin('{"a":"[[[[[[\\"[[[["}', 1), true);
    assert.equal(depthWithin('['.repeat(1_000_000), 32), false);
  });

  it('splits lines across chunks, and drops a too-long line without holding it', () => {
    const lines: string[] = [];
    const long: number[] = [];
    const s = new LineSplitter(
      8,
      (l) => lines.push(l),
      (n) => long.push(n),
    );
    for (const chunk of ['ab', 'c\nd€', 'f\n0123456789ab', 'cdef\nlast']) s.push(Buffer.from(chunk));
    s.end();
    assert.deepEqual(lines, ['abc', 'd€f', 'last']);
    assert.deepEqual(long, [3]);
    // A multi-byte character split between chunks is decoded whole.
    const parts: string[] = [];
    const t = new LineSplitter(
      100,
      (l) => parts.push(l),
      () => undefined,
    );
    const euro = Buffer.from('x€y\n');
    t.push(euro.subarray(0, 2));
    t.push(euro.subarray(2));
    t.end();
    assert.deepEqual(parts, ['x€y']);
  });

  it('skips a torn line but refuses a line that is JSON and not an entry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-log-'));
    try {
      const m = (step: number) => JSON.stringify({ step, loss: 1, gradNorm: 1, clipped: false, tokensPerSec: 1, elapsedMs: 1 });
      fs.writeFileSync(path.join(dir, 'metrics.jsonl'), `${m(1)}\n{"step":2,"lo${m(2)}\n${m(3)}\n{"step":4,"lo`);
      const log = readLogChecked(dir, 'metrics');
      assert.ok(log.ok);
      assert.deepEqual(
        log.record.map((e) => e.step),
        [1, 3],
      );
      fs.writeFileSync(path.join(dir, 'evals.jsonl'), '{"step":1,"valLoss":2}\n{"step":2}\n');
      const evals = readLogChecked(dir, 'evals');
      assert.ok(!evals.ok && /evals\.jsonl line 2: valLoss is missing/.test(evals.reason));
      assert.deepEqual(readLogChecked(dir, 'samples'), { ok: true, record: [] }, 'no log yet is an empty log');
      assert.match((readRunJson(path.join(dir, 'nope')) as { reason: string }).reason, /the run folder is gone/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('webview: the heatmap defends itself against crafted gradient maps', () => {
  const map = (step: number, norms: unknown): GradMap => ({
    step,
    hiddenGradNorms: norms as number[][],
    totalGradNorms: norms as number[][],
    paramGradNorms: {},
    globalNorm: 1,
    clip: 1,
  });

  it('a "length: 1e12" layer allocates nothing', () => {
    const grid = heatmapGrid([map(1, [{ length: 1e12 }]), map(2, { length: 1e12 })], 0, 'last');
    assert.equal(grid.rows, 0);
    assert.equal(grid.values.length, 0);
    assert.equal(layerCount([map(1, { length: 1e12 })]), 0);
    assert.equal(layerCount([map(1, new Array(1000).fill([]))]), 8);
  });

  it('caps rows at MAX_ROWS and cells at MAX_CELLS, keeping the newest maps', () => {
    const wide = new Array(100_000).fill(0.5);
    const maps = Array.from({ length: 3000 }, (_, i) => map(i + 1, [wide]));
    const grid = heatmapGrid(maps, 0, 'last');
    assert.equal(grid.rows, MAX_ROWS);
    assert.ok(grid.cols * grid.rows <= MAX_CELLS, `${grid.cols} x ${grid.rows}`);
    assert.equal(grid.steps[grid.steps.length - 1], 3000, 'the newest map is kept');
    assert.equal(grid.cols, Math.floor(MAX_CELLS / MAX_ROWS));
  });
});
