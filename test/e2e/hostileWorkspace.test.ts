/**
 * End to end, as a person who opened a repository that ships its own `.seqlab/`: 40-odd crafted run
 * folders beside two genuine runs. In the real workbench the sidebar lists each crafted folder as
 * "unreadable: reason" and every genuine run as a run, a genuine run opens in its panel, a crafted
 * folder is deleted from the sidebar after a confirmation that names it, and no file outside the
 * workspace changes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { checksumTree, makeOutsideFolder, relaxHostileRuns, writeHostileRuns, type HostileWorkspace } from '../fixtures/hostileRuns';
import { FIXTURE_FILE } from '../harness/sampleWorkspace';
import { session } from './hooks';
import { lossPoints, panelOf, runsDir, until } from './runPanels';

describe('a workspace that ships crafted run folders', function () {
  this.timeout(300_000);
  let outside: string;
  let hostile: HostileWorkspace;
  let checksums: Record<string, string>;
  let sidebar: Frame;

  before(() => {
    const { workspace } = session();
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-e2e-outside-'));
    makeOutsideFolder(outside);
    hostile = writeHostileRuns(runsDir(workspace), outside, path.join(workspace, FIXTURE_FILE));
    // After writing the crafted runs, which put a foreign run.json out there for a link to point at.
    checksums = checksumTree(outside);
  });

  after(async () => {
    // Leave the workbench and the workspace as the other tests expect them: the explorer shown, only their own runs.
    // The genuine run's panel goes too: its folder is removed below, and a later test looking for the
    // panel of the run it starts must not find this one.
    const { driver } = session();
    await driver.runCommand('View: Close All Editors').catch(() => undefined);
    await driver.showViewContainer('Explorer').catch(() => undefined);
    const dir = runsDir(session().workspace);
    relaxHostileRuns(dir);
    for (const c of hostile?.cases ?? []) fs.rmSync(path.join(dir, c.name), { recursive: true, force: true });
    for (const g of hostile?.genuine ?? []) fs.rmSync(path.join(dir, g.id), { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('lists every crafted folder as unreadable with its reason, and the genuine runs as runs', async () => {
    const { driver } = session();
    await driver.showViewContainer('Sequence Lab');
    sidebar = await driver.webviewFrame('[data-testid="run-list"]', 60_000);
    const fromListing = hostile.cases.filter((c) => c.outcome === 'list');
    // Opening the view lists the runs folders again (a folder without run.json wakes no file watcher).
    const reasons = await until(
      'the unreadable folders in the sidebar',
      () => sidebar.locator('[data-testid="unreadable-item"] .unreadable-reason').allTextContents(),
      (texts) => texts.length >= fromListing.length,
      120_000,
    );
    for (const c of fromListing) {
      assert.ok(
        reasons.some((text) => text.startsWith('unreadable: ') && c.reason!.test(text)),
        `${c.name}: no entry says ${c.reason} (entries: ${reasons.length})`,
      );
    }
    for (const g of hostile.genuine) {
      assert.equal(await sidebar.locator(`[data-testid="run-item"][data-run-id="${g.id}"]`).count(), 1, `genuine run ${g.id} is listed once`);
    }
    // A link is listed but offers no Delete: only real folders are deleted.
    const linkItem = sidebar.locator('[data-testid="unreadable-item"]', { hasText: 'the run folder is a symbolic link' }).first();
    assert.equal(await linkItem.locator('vscode-button').count(), 0, 'no Delete for a symbolic link');
  });

  it('opens a genuine run in its panel, with its loss curve', async () => {
    const { driver } = session();
    const g = hostile.genuine[0];
    await sidebar.locator(`[data-testid="run-item"][data-run-id="${g.id}"]`).click();
    await sidebar.locator('[data-testid="run-details"]:not([hidden]) vscode-button[data-action="open"]').click();
    const panel = await panelOf(driver, g.id, 60_000, [sidebar]);
    const points = await until(
      'loss points drawn',
      () => lossPoints(panel),
      (n) => n >= g.metrics,
      60_000,
    );
    assert.ok(points >= g.metrics, `${points} points for ${g.metrics} logged steps`);
  });

  it('deletes a crafted folder from the sidebar after a confirmation naming it; nothing outside the workspace changes', async () => {
    const { driver, workspace } = session();
    const victim = 'config-empty';
    const folder = path.join(runsDir(workspace), victim);
    assert.ok(fs.existsSync(folder));
    const item = sidebar.locator('[data-testid="unreadable-item"]', { hasText: victim }).first();
    await item.locator('vscode-button').click();
    const dialog = driver.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), new RegExp(folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the confirmation names the folder');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await until(
      'the folder deleted',
      () => fs.existsSync(folder),
      (exists) => !exists,
      30_000,
    );
    await until(
      'the entry gone from the sidebar',
      () => item.count(),
      (n) => n === 0,
      30_000,
    );
    assert.deepEqual(checksumTree(outside), checksums, 'files outside the workspace are unchanged');
    for (const c of hostile.cases.filter((x) => x.name.startsWith('symlink'))) {
      assert.ok(fs.lstatSync(path.join(runsDir(workspace), c.name)).isSymbolicLink() || fs.existsSync(path.join(runsDir(workspace), c.name)), `${c.name} is still there`);
    }
  });
});
