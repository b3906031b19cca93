/**
 * End to end, as a person: forecast a generated series from the palette and a CSV's column from the
 * explorer, answering the quick picks; see the forecast panel draw (predictions, the error table,
 * the state), the run folder appear as a forecast run; right-click a header-only table and read why.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { session } from './hooks';
import { runIds, runRecord, until } from './runPanels';

const FORECAST_ITEM = 'Forecast Columns…';

/** Types into the open quick pick and accepts its first match (Enter alone accepts the default). */
async function answer(text: string): Promise<void> {
  const { driver } = session();
  const input = driver.page.locator('.quick-input-widget input');
  // Between two steps the previous pick may still be fading out: wait for the next one to stay up.
  const deadline = Date.now() + 90_000;
  // An empty answer keeps the step's default: nothing is typed.
  if (!text) await input.waitFor({ state: 'visible', timeout: 90_000 });
  while (text) {
    await input.waitFor({ state: 'visible', timeout: Math.max(1, deadline - Date.now()) });
    const filled = await input.fill(text, { timeout: 5_000 }).then(
      () => true,
      (e: unknown) => {
        if (Date.now() > deadline) throw e;
        return false;
      },
    );
    if (filled) break;
  }
  await driver.page.waitForTimeout(300);
  await driver.page.keyboard.press('Enter');
  await driver.page.waitForTimeout(300);
}

/** The newest forecast panel showing `state`, its error table filled. */
async function forecastPanel(state: RegExp, exclude: readonly Frame[] = []): Promise<Frame> {
  const { driver } = session();
  return driver.waitForFrame(
    `a forecast panel ${state}`,
    async (frame) => {
      if (exclude.includes(frame)) return false;
      const text = await frame.textContent('[data-testid="forecast-state"]').catch(() => null);
      return !!text && state.test(text) && (await frame.$$('[data-testid="forecast-table"] tr')).length >= 4;
    },
    180_000,
  );
}

async function tableText(frame: Frame): Promise<string[]> {
  return frame.$$eval('[data-testid="forecast-table"] tr', (rows) => rows.map((r) => [...r.children].map((c) => (c.textContent ?? '').trim()).join('|')));
}

describe('forecasting in the workbench', function () {
  this.timeout(300_000);

  beforeEach(async () => {
    await session().driver.clearNotifications();
  });

  let first: Frame | undefined;

  it('Forecast a Generated Series…: the sine with linear AR, its panel with predictions and the error against k', async () => {
    const { driver, workspace } = session();
    const before = new Set(runIds(workspace));
    await driver.runCommand('Sequence Lab: Forecast a Generated Series…');
    await answer('sine');
    await answer('linear');
    first = await forecastPanel(/^completed/);
    const rows = await tableText(first);
    assert.match(rows[0], /k.*model.*last value/);
    assert.deepEqual(
      rows.slice(1, 5).map((r) => r.split('|')[0]),
      ['1', '4', '16', '64'],
    );
    assert.ok((await first.$$('[data-testid="forecast-series"] canvas')).length > 0, 'the series chart is drawn');
    const runId = runIds(workspace).find((id) => !before.has(id));
    assert.ok(runId, 'a run folder');
    const record = runRecord(workspace, runId) as unknown as { kind?: string; state: string };
    assert.equal(record.kind, 'forecast');
  });

  it('Forecast Columns… on a CSV in the explorer: columns, time column, split, an MLP, tau; the panel completes', async () => {
    const { driver, workspace } = session();
    const name = 'wave.csv';
    const rows = Array.from({ length: 400 }, (_, t) => `${t},${(Math.sin(t / 6) + 0.05 * Math.sin(t * 12.9)).toFixed(4)}`);
    fs.writeFileSync(path.join(workspace, name), `t,v\n${rows.join('\n')}\n`);
    await driver.waitForExplorerItem(name);
    await driver.explorerContextMenu(name, FORECAST_ITEM);
    await answer(''); // columns: v is picked
    await answer('t'); // the time column
    await answer(''); // 0.6
    await answer('mlp');
    await answer(''); // tau 4
    const panel = await forecastPanel(/^completed/, first ? [first] : []);
    const text = await tableText(panel);
    assert.ok(
      text.some((r) => r.startsWith('free run')),
      text.join(' | '),
    );
  });

  it('a header-only CSV is refused with its reason, and no run is created', async () => {
    const { driver, workspace } = session();
    fs.writeFileSync(path.join(workspace, 'header-only.csv'), 't,v\n');
    const before = runIds(workspace).length;
    await driver.waitForExplorerItem('header-only.csv');
    await driver.explorerContextMenu('header-only.csv', FORECAST_ITEM);
    await driver.waitForNotification(/header-only\.csv has a header but no data rows/);
    await until(
      'no new run',
      () => runIds(workspace).length,
      (n) => n === before,
      3000,
    ).catch(() => undefined);
    assert.equal(runIds(workspace).length, before);
  });
});
