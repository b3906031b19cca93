/**
 * End to end, as a person: reload the window while a run trains, find the run interrupted in its
 * reopened panel, resume it from there, and queue a second file behind it. Read from the rendered
 * workbench, with the run folder as the record of what happened.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { readRunHistory, type RunRecord } from '../../src/core/runFiles';
import { FIXTURE_FILE } from '../harness/sampleWorkspace';
import { session } from './hooks';
import { atLeast, lossPoints, panelOf, panelState, runRecord, runsDir, stopFromPanel, trainFromExplorer, until } from './runPanels';

const SECOND_FILE = 'second-text.txt';

describe('a window reloaded while a run trains, and a queue', function () {
  this.timeout(300_000);
  let first: { runId: string; panel: Frame } | undefined;
  let interruptedAt = 0;
  const run = (): { runId: string; panel: Frame } => {
    if (!first) throw new Error('no run: the first test did not get to reload the window (see its failure)');
    return first;
  };

  it('reopens the panel after the reload, showing the run interrupted at a checkpoint', async () => {
    const { driver, workspace } = session();
    const started = await trainFromExplorer(driver, workspace, FIXTURE_FILE);
    await atLeast('loss chart points before the reload', () => lossPoints(started.panel), 20);

    // "Developer: Reload Window", as a person would: the workbench saves its editor layout on the way.
    await Promise.all([driver.page.waitForEvent('load', { timeout: 60_000 }), driver.runCommand('Developer: Reload Window')]);
    await driver.ready(FIXTURE_FILE, 'Sequence Lab');

    // The worker stops at the next step, writes a checkpoint and records why it ended.
    const record = (await until(
      `run.json of ${started.runId} after the reload`,
      () => runRecord(workspace, started.runId),
      (r) => r?.state === 'interrupted',
      60_000,
    )) as RunRecord;
    assert.match(record.reason ?? '', /reloaded or closed.*Resume continues from the checkpoint at step \d+/);
    assert.ok(record.step >= 20, `trained ${record.step} steps before the reload`);
    assert.ok(
      record.checkpoints.some((c) => c.step === record.step),
      `no checkpoint at the last step ${record.step}: ${JSON.stringify(record.checkpoints)}`,
    );
    interruptedAt = record.step;

    // The panel comes back by itself, on the same run, with its history drawn.
    const panel = await panelOf(driver, started.runId);
    await until(
      "the reopened panel's state",
      () => panelState(panel),
      (s) => s === 'interrupted',
      30_000,
    );
    await atLeast('loss points restored from the run folder', () => lossPoints(panel), Math.min(interruptedAt, 20));
    assert.match(await panel.locator('.run-reason').first().innerText(), /reloaded or closed/);
    first = { runId: started.runId, panel };
  });

  it('resumes the interrupted run from its panel, continuing at the checkpoint', async () => {
    const { workspace } = session();
    const { runId, panel } = run();
    const resume = panel.locator('[data-testid="resume-run"]').first();
    assert.equal(await resume.isVisible(), true, 'the panel offers Resume training');
    await resume.click();
    await until(
      'the panel after Resume training',
      () => panelState(panel),
      (s) => s === 'training',
      60_000,
    );
    await until(
      `run ${runId} to train past its checkpoint`,
      () => runRecord(workspace, runId)?.step ?? 0,
      (step) => step > interruptedAt + 5,
      60_000,
    );
    // The metrics go on from the checkpoint: one point per step, none repeated or missing.
    const steps = readRunHistory(path.join(runsDir(workspace), runId))!.metrics.map((m) => m.step);
    assert.deepEqual(
      steps.slice(0, interruptedAt + 6),
      Array.from({ length: interruptedAt + 6 }, (_, i) => i + 1),
    );
  });

  it('queues a second file while the first trains, and trains it once the first stops', async () => {
    const { driver, workspace } = session();
    const { runId, panel } = run();
    fs.copyFileSync(path.join(workspace, FIXTURE_FILE), path.join(workspace, SECOND_FILE));
    await driver.waitForExplorerItem(SECOND_FILE);
    await driver.clearNotifications();
    // Watched from the click on: the toast hides itself after a while, and finding the new panel can take longer.
    const told = driver.waitForNotification(/queued; it starts when the run training now finishes/, 90_000);
    told.catch(() => undefined);
    const second = await trainFromExplorer(driver, workspace, SECOND_FILE);
    await told;
    await until(
      "the second run's panel",
      () => panelState(second.panel),
      (s) => s === 'queued',
      30_000,
    );
    assert.equal(runRecord(workspace, runId)?.state, 'training', 'the first run trains on');

    await stopFromPanel(panel, workspace, runId);
    await until(
      "the second run's panel once the first stopped",
      () => panelState(second.panel),
      (s) => s === 'training',
      60_000,
    );
    await atLeast("the second run's loss points", () => lossPoints(second.panel), 5);
    await stopFromPanel(second.panel, workspace, second.runId);
  });
});
