/** The extension loads, activates, and everything its manifest promises exists at run time. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension, manifest } from './support';

describe('activation and contributions', () => {
  before(async () => {
    await extension().activate();
  });

  it('activates in a trusted workspace', () => {
    assert.equal(vscode.workspace.isTrusted, true, 'the main suite must run in a trusted workspace');
    assert.equal(extension().isActive, true);
  });

  it('registers every command its manifest contributes', async () => {
    const contributed = (manifest().contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'the manifest contributes no command');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('puts every command under the "Sequence Lab" category', () => {
    const outside = (manifest().contributes?.commands ?? []).filter((c) => c.category !== 'Sequence Lab').map((c) => c.command);
    assert.deepEqual(outside, []);
  });

  it('refers only to contributed or built-in commands from its menus', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const dangling = Object.entries(manifest().contributes?.menus ?? {}).flatMap(([menu, items]) =>
      items.filter((i) => i.command && !registered.has(i.command)).map((i) => `${menu}: ${i.command}`),
    );
    assert.deepEqual(dangling, []);
  });

  it('gives every sequenceLab setting a default that reads back', () => {
    const config = manifest().contributes?.configuration;
    const sections = Array.isArray(config) ? config : config ? [config] : [];
    const properties = Object.assign({}, ...sections.map((s) => s.properties ?? {})) as Record<string, { default?: unknown }>;
    const keys = Object.keys(properties);
    assert.ok(keys.length > 0, 'the manifest contributes no setting');
    for (const key of keys) {
      assert.ok(key.startsWith('sequenceLab.'), `setting ${key} is outside the sequenceLab section`);
      assert.notEqual(properties[key].default, undefined, `setting ${key} has no default`);
      const read = vscode.workspace.getConfiguration().inspect(key);
      assert.deepEqual(read?.defaultValue, properties[key].default, `setting ${key} does not read back its default`);
    }
  });
});
