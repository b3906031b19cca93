/**
 * package.json against the code: every TrainConfig default has a setting with the same default and
 * range, every command the host registers is declared (and the reverse), menus name real commands.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIVATIONS, BACKENDS, BATCHINGS, CELLS, DEFAULT_CONFIG, LEVELS, NUMBER_RULES, OPTIMIZERS, TRUNCATIONS } from '../../src/core/config';

const ROOT = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const props: Record<string, Record<string, unknown>> = pkg.contributes.configuration.properties;

describe('host: manifest (package.json) matches the code', () => {
  it('declares a setting for every training default, with the same default, range and choices', () => {
    const enums: Record<string, readonly string[]> = {
      level: LEVELS,
      cell: CELLS,
      batching: BATCHINGS,
      optimizer: OPTIMIZERS,
      backend: BACKENDS,
      activation: ACTIVATIONS,
      truncation: TRUNCATIONS,
    };
    for (const [key, value] of Object.entries(DEFAULT_CONFIG)) {
      const p = props[`sequenceLab.${key}`];
      assert.ok(p, `sequenceLab.${key} is declared`);
      assert.equal(p.default, value, `default of ${key}`);
      assert.ok(typeof p.markdownDescription === 'string' && p.markdownDescription.length > 10, `description of ${key}`);
      const rule = NUMBER_RULES[key];
      if (rule) {
        assert.equal(p.type, rule.integer ? 'integer' : 'number', `type of ${key}`);
        assert.equal(p.minimum, rule.min, `minimum of ${key}`);
        assert.equal(p.maximum, rule.max, `maximum of ${key}`);
      } else {
        assert.deepEqual(p.enum, [...enums[key]], `choices of ${key}`);
        assert.equal((p.enumDescriptions as string[]).length, (p.enum as string[]).length, `enumDescriptions of ${key}`);
      }
    }
    assert.equal(props['sequenceLab.backend'].scope, 'machine', 'the backend chooses native code to load: machine-scoped');
    assert.equal(props['sequenceLab.maxFileSizeMB'].default, 50);
    assert.equal(props['sequenceLab.showStatusBar'].default, true);
  });

  it('declares exactly the commands the host registers, all in the Sequence Lab category', () => {
    const hostDir = path.join(ROOT, 'src', 'host');
    const registered = new Set<string>();
    // Host modules live in folders by job (base, runs, commands, views).
    for (const file of fs.readdirSync(hostDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(hostDir, file), 'utf8');
      for (const m of text.matchAll(/registerCommand\('(sequenceLab\.[A-Za-z]+)'/g)) registered.add(m[1]);
    }
    const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
    assert.deepEqual([...registered].sort(), [...declared].sort());
    for (const c of pkg.contributes.commands) assert.equal(c.category, 'Sequence Lab', c.command);
    for (const id of [
      'trainOnFile',
      'trainWithSettings',
      'trainOnFiles',
      'stop',
      'pauseResume',
      'openPanel',
      'sample',
      'resumeRun',
      'compareRuns',
      'openRunFolder',
      'deleteRun',
      'inspectText',
    ]) {
      assert.ok(declared.has(`sequenceLab.${id}`), id);
    }
  });

  it('menus name declared commands; the explorer entry is for files only', () => {
    const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
    for (const [menu, entries] of Object.entries(pkg.contributes.menus as Record<string, { command: string; when?: string }[]>)) {
      for (const e of entries) assert.ok(declared.has(e.command), `${menu}: ${e.command}`);
    }
    const explorer = pkg.contributes.menus['explorer/context'] as { command: string; when: string }[];
    assert.ok(explorer.some((e) => e.command === 'sequenceLab.trainOnFile' && e.when.includes('!explorerResourceIsFolder')));
    // Training commands stay visible in Restricted Mode (they explain the refusal) rather than vanish.
    for (const e of pkg.contributes.menus.commandPalette as { when?: string }[]) assert.ok(!e.when?.includes('isWorkspaceTrusted'));
  });

  it('declares the views, the workspace kind and limited support for untrusted workspaces', () => {
    assert.equal(pkg.main, './dist/extension.js');
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(pkg.capabilities.untrustedWorkspaces.description.length > 20);
    assert.equal(pkg.capabilities.virtualWorkspaces.supported, false);
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:sequenceLab.trainingPanel'), 'the panel serializer needs its activation event');
    assert.deepEqual(pkg.contributes.viewsContainers.activitybar[0], { id: 'sequenceLab', title: 'Sequence Lab', icon: 'media/icon.svg' });
    assert.equal(pkg.contributes.views.sequenceLab[0].type, 'webview');
    assert.equal(pkg.contributes.views.sequenceLab[0].id, 'sequenceLab.runs');
  });
});
