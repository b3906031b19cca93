/**
 * Inside the model, through the commands in a real extension host: a small LSTM trained on the
 * fixture, then Inspect Hidden Units (a selection, a large file bounded, a text the vocabulary does not
 * fit, nothing selected), Generate Text (sampling and beam search into a new editor) and Export Model
 * (a new folder, then a non-empty one: refused without consent, written with it).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../src/core/runFiles';
import { eventually, runsDir, workspaceFolder } from './support';

const FIXTURE = 'timemachine-excerpt.txt';
const QUICK: Record<string, unknown> = {
  cell: 'lstm',
  hidden: 16,
  batch: 8,
  window: 16,
  steps: 30,
  seed: 2,
  evalInterval: 10,
  evalTokens: 1000,
  checkpointInterval: 10,
  sampleInterval: 0,
};

interface InspectResult {
  tokens: number;
  truncated: boolean;
  unknown: number;
  notes: string[];
  kinds: string[];
  ranking: { unit: number; score: number }[];
}

async function record(runId: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await fs.promises.readFile(path.join(runsDir(), runId, 'run.json'), 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

describe('inside the model: hidden units, generated text, export', function () {
  this.timeout(300_000);
  let runId: string;
  const fixture = () => vscode.Uri.file(path.join(workspaceFolder(), FIXTURE));

  before(async () => {
    const settings = vscode.workspace.getConfiguration('sequenceLab');
    const saved: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(QUICK)) {
      saved[key] = settings.inspect(key)?.workspaceValue;
      await settings.update(key, value, vscode.ConfigurationTarget.Workspace);
    }
    runId = (await vscode.commands.executeCommand<string>('sequenceLab.trainOnFile', fixture()))!;
    assert.ok(runId, 'no run started');
    const done = await eventually(
      () => `run ${runId} to complete`,
      async () => {
        const r = await record(runId);
        return r && ['completed', 'failed', 'stopped', 'diverged'].includes(r.state) ? r : undefined;
      },
      240_000,
    );
    assert.equal(done.state, 'completed', done.reason);
    for (const [key, value] of Object.entries(saved)) await settings.update(key, value, vscode.ConfigurationTarget.Workspace);
  });

  it('inspects the hidden units of a selection: every token traced, h, c and the LSTM gates, units ranked by quotes', async () => {
    const doc = await vscode.workspace.openTextDocument(fixture());
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(new vscode.Position(0, 0), new vscode.Position(10, 0));
    const selected = doc.getText(editor.selection);
    const result = await vscode.commands.executeCommand<InspectResult>('sequenceLab.inspectHiddenUnits', runId);
    assert.ok(result, 'no result');
    assert.equal(result.tokens, [...selected].length);
    assert.equal(result.truncated, false);
    assert.deepEqual(result.kinds, ['h', 'c', 'i', 'f', 'g', 'o']);
    assert.equal(result.ranking.length, 16, 'every unit ranked (16 units)');
    assert.ok(result.ranking.every((r) => Number.isFinite(r.score) && Math.abs(r.score) <= 1));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('bounds a large file to its first 20,000 tokens and says so', async () => {
    const big = path.join(workspaceFolder(), 'inside-large.txt');
    const chunk = fs.readFileSync(fixture().fsPath);
    fs.writeFileSync(big, Buffer.concat(Array.from({ length: Math.ceil((3 * 2 ** 20) / chunk.length) }, () => chunk)));
    try {
      const t0 = Date.now();
      const result = await vscode.commands.executeCommand<InspectResult>('sequenceLab.inspectHiddenUnits', runId, vscode.Uri.file(big));
      assert.ok(result);
      assert.equal(result.tokens, 20_000);
      assert.equal(result.truncated, true);
      assert.match(result.notes[0], /^Bounded: only the first 20,000 tokens \(20,000 characters of [\d,]+ bytes\)/);
      assert.ok(Date.now() - t0 < 120_000);
    } finally {
      fs.rmSync(big, { force: true });
    }
  });

  it('a text the vocabulary does not fit: unknown tokens counted and the misfit said; nothing to inspect is refused', async () => {
    const result = await vscode.commands.executeCommand<InspectResult>('sequenceLab.inspectHiddenUnits', runId, 'Ωμέγα και άλφα: ένα κείμενο.');
    assert.ok(result);
    assert.ok(result.unknown >= 20, `${result.unknown} unknown tokens`);
    assert.ok(
      result.notes.some((n) => /does not fit this text/.test(n)),
      result.notes.join(' | '),
    );
    assert.equal(await vscode.commands.executeCommand('sequenceLab.inspectHiddenUnits', runId, ''), undefined);
  });

  it('generates text into a new editor by sampling, and by beam search', async () => {
    const sampled = await vscode.commands.executeCommand<{ text: string; cancelled: boolean; uri: string }>('sequenceLab.generateText', runId, {
      prompt: 'The Time ',
      length: 40,
      temperature: 0.8,
      topK: 10,
    });
    assert.ok(sampled && !sampled.cancelled);
    assert.ok(sampled.text.startsWith('The Time ') && [...sampled.text].length === 9 + 40, JSON.stringify(sampled.text));
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === sampled.uri);
    assert.equal(doc?.getText(), sampled.text, 'the editor holds what was generated');
    const beam = await vscode.commands.executeCommand<{ text: string }>('sequenceLab.generateText', runId, { prompt: 'The ', length: 12, beamWidth: 3 });
    assert.ok(beam && [...beam.text].length === 4 + 12, JSON.stringify(beam?.text));
    assert.equal(
      await vscode.commands.executeCommand('sequenceLab.generateText', runId, { prompt: 'x', length: 5, beamWidth: 99 }),
      undefined,
      'a beam width past the limit is refused',
    );
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('exports to a new folder; a folder with files is written into only with consent', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-export-'));
    try {
      const first = await vscode.commands.executeCommand<{ files: string[] }>('sequenceLab.exportModel', runId, { format: 'safetensors', outDir: out });
      assert.deepEqual(first?.files, ['model.safetensors', 'vocab.json', 'config.json']);
      const before = fs.statSync(path.join(out, 'model.safetensors')).mtimeMs;
      assert.equal(await vscode.commands.executeCommand('sequenceLab.exportModel', runId, { format: 'tfjs', outDir: out }), undefined, 'refused: the folder holds files');
      assert.equal(fs.existsSync(path.join(out, 'model.json')), false);
      assert.equal(fs.statSync(path.join(out, 'model.safetensors')).mtimeMs, before);
      const second = await vscode.commands.executeCommand<{ files: string[] }>('sequenceLab.exportModel', runId, { format: 'tfjs', outDir: out, overwrite: true });
      assert.deepEqual(second?.files, ['model.json', 'weights.bin', 'vocab.json', 'config.json']);
      assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'vocab.json'), 'utf8'))[0], '<unk>');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
