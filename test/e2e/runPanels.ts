/**
 * What the end-to-end tests do and read around a run: start one from the explorer, find its training
 * panel among the webviews, read numbers and state from the panel's DOM, and read its run folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { readRunRecord, type RunRecord } from '../../src/core/runFiles';
import { isRunId } from '../../src/protocol/validate';
import { isLive } from '../../src/webview/lib/runLabels';
import { withTimeout, type WorkbenchDriver } from './workbenchDriver';

export const TRAIN_ITEM = 'Train Language Model on File';

export function runsDir(workspace: string): string {
  return path.join(workspace, '.seqlab', 'runs');
}

/** The run folders (not the probe files the host writes to check that the folder is writable). */
export function runIds(workspace: string): string[] {
  return fs.existsSync(runsDir(workspace)) ? fs.readdirSync(runsDir(workspace)).filter(isRunId) : [];
}

export function runRecord(workspace: string, runId: string): RunRecord | undefined {
  return readRunRecord(path.join(runsDir(workspace), runId));
}

/** Polls `read` until `accept` takes its value; fails with `what` and the last value. */
export async function until<T>(what: string, read: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value: T | undefined;
  for (;;) {
    try {
      // A read of a webview frame can hang (a frame whose page never comes up answers nothing): it
      // gets what time is left, so the deadline holds.
      value = await withTimeout(Promise.resolve(read()), Math.max(1_000, deadline - Date.now()));
      if (accept(value)) return value;
    } catch {
      // Not there yet (a frame reloading, a file being replaced).
    }
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Polls until `read` is at least `min`. */
export function atLeast(what: string, read: () => Promise<number>, min: number, timeoutMs = 120_000): Promise<number> {
  return until(`${what} (want at least ${min})`, read, (v) => v >= min, timeoutMs);
}

/** A number attribute of the first element matching `selector` in `frame`. */
export async function numberAttr(frame: Frame, selector: string, name: string): Promise<number> {
  return Number(await frame.locator(selector).first().getAttribute(name, { timeout: 2_000 }));
}

/** The state the panel's header shows (`data-state`). */
export async function panelState(panel: Frame): Promise<string> {
  return (await panel.locator('[data-testid="run-header"]').first().getAttribute('data-state', { timeout: 2_000 })) ?? '';
}

/** The loss chart's number of training points. */
export function lossPoints(panel: Frame): Promise<number> {
  return numberAttr(panel, '[data-testid="loss-chart"]', 'data-points');
}

/** The training panel showing `runId` (any webview but those in `exclude`). */
export function panelOf(driver: WorkbenchDriver, runId: string, timeoutMs = 90_000, exclude: readonly Frame[] = []): Promise<Frame> {
  return driver.waitForFrame(
    `the training panel of run ${runId}`,
    async (frame) =>
      !exclude.includes(frame) &&
      (await frame.locator(`[data-testid="run-header"][data-run-id="${runId}"]`).count()) > 0 &&
      (await frame.locator('[data-testid="loss-chart"]').count()) > 0,
    timeoutMs,
  );
}

/** Right-clicks `fileName` in the explorer, picks "Train Language Model on File", and finds the new run's panel. */
export async function trainFromExplorer(driver: WorkbenchDriver, workspace: string, fileName: string): Promise<{ panel: Frame; runId: string }> {
  const earlier = new Set(runIds(workspace));
  await driver.explorerContextMenu(fileName, TRAIN_ITEM);
  let runId = '';
  const panel = await driver.waitForFrame(
    `the training panel of a new run on ${fileName}`,
    async (frame) => {
      runId = (await frame.locator('[data-testid="run-header"][data-run-id]').first().getAttribute('data-run-id', { timeout: 500 })) ?? '';
      // A new run has a folder on disk now: a panel left open on a run deleted meanwhile is not it.
      return !!runId && !earlier.has(runId) && runIds(workspace).includes(runId) && (await frame.locator('[data-testid="loss-chart"]').count()) > 0;
    },
    90_000,
  );
  return { panel, runId };
}

/** Clicks Stop in the panel and waits until the run folder says it stopped. */
export async function stopFromPanel(panel: Frame, workspace: string, runId: string): Promise<RunRecord> {
  await panel.locator('[data-testid="stop"]').first().click();
  await until(
    `the panel of ${runId} after Stop`,
    () => panelState(panel),
    (s) => s === 'stopped',
    60_000,
  );
  return until(
    `run.json of ${runId} after Stop`,
    () => runRecord(workspace, runId),
    (r) => r?.state === 'stopped',
    30_000,
  ) as Promise<RunRecord>;
}

/** Runs of the workspace still training, paused or queued, by their run.json. */
export function liveRunIds(workspace: string): string[] {
  return runIds(workspace).filter((id) => {
    const state = runRecord(workspace, id)?.state;
    return state !== undefined && isLive(state);
  });
}

/**
 * Stops every live run with "Sequence Lab: Stop Training" from the palette (Enter picks the first
 * run it offers), so that what a failed test left training does not queue the next test's runs.
 */
export async function stopLiveRuns(driver: WorkbenchDriver, workspace: string): Promise<void> {
  for (let attempt = 0; attempt < 6 && liveRunIds(workspace).length > 0; attempt++) {
    const before = liveRunIds(workspace).length;
    await driver.closeMenus();
    await driver.runCommand('Sequence Lab: Stop Training');
    // With one live run the command stops it; with several it asks which.
    if (before > 1) {
      await driver.page
        .locator('.quick-input-widget .quick-input-list [role="option"]')
        .first()
        .waitFor({ timeout: 10_000 })
        .catch(() => undefined);
      await driver.page.keyboard.press('Enter');
    }
    await until(
      'a live run to stop',
      () => liveRunIds(workspace).length,
      (n) => n < before,
      30_000,
    ).catch(() => undefined);
  }
  await driver.dismissQuickInput();
}
