/**
 * End to end, as a person: train a small model from the explorer, stop it, then right-click the text
 * file and pick "Inspect Hidden Units". The panel must show the file's text as coloured token spans
 * (each span's colour its unit's activation, read back from the rendered page), rank units on request,
 * switch the unit shown, and refuse a broken pattern with a message. Everything is read from the
 * rendered webview, nothing from the host.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { FIXTURE_FILE } from '../harness/sampleWorkspace';
import { session } from './hooks';
import { runRecord, stopFromPanel, trainFromExplorer, until } from './runPanels';

interface SpanRead {
  text: string;
  value: number;
  colour: string;
  unknown: boolean;
}

/** Every token span of the panel: its text, its data-value and its computed background colour. */
function readSpans(frame: Frame): Promise<SpanRead[]> {
  return frame.locator('#text .tok').evaluateAll((els) =>
    els.map((el) => {
      // Runs in the webview (the Node side's tsconfig has no DOM library).
      const e = el as unknown as { textContent: string; getAttribute(n: string): string | null; classList: { contains(c: string): boolean } };
      const style = (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(el);
      return { text: e.textContent, value: Number(e.getAttribute('data-value')), colour: style.backgroundColor, unknown: e.classList.contains('unk') };
    }),
  );
}

/** rgba(r, g, b, a) -> [r, g, b, a]. */
function rgba(colour: string): number[] {
  const m = colour.match(/rgba?\(([^)]+)\)/);
  if (!m) return [];
  const parts = m[1].split(',').map((x) => Number(x.trim()));
  return parts.length === 3 ? [...parts, 1] : parts;
}

describe('hidden units in the workbench', function () {
  this.timeout(400_000);
  let panel: Frame | undefined;
  const inside = (): Frame => {
    if (!panel) throw new Error('no hidden-units panel: see the first failure');
    return panel;
  };

  it('trains a small model, then "Inspect Hidden Units" from the explorer shows the file as coloured tokens', async () => {
    const { driver, workspace } = session();
    const { panel: training, runId } = await trainFromExplorer(driver, workspace, FIXTURE_FILE);
    await until(
      `a checkpoint of ${runId}`,
      () => runRecord(workspace, runId)?.checkpoints.length ?? 0,
      (n) => n > 0,
      240_000,
    );
    await stopFromPanel(training, workspace, runId);
    await driver.explorerContextMenu(FIXTURE_FILE, 'Inspect Hidden Units');
    // With several runs the command asks which: the first offered is the newest.
    await driver.page
      .locator('.quick-input-widget')
      .waitFor({ state: 'visible', timeout: 3000 })
      .then(() => driver.page.keyboard.press('Enter'))
      .catch(() => undefined);
    panel = await driver.waitForFrame('the hidden-units panel with coloured tokens', async (f) => (await f.locator('#text .tok[data-value]').count()) > 100, 180_000);

    const spans = await readSpans(inside());
    // The file has 40,000 characters: the panel shows its first 20,000 tokens (characters) and says so.
    const text = [...fs.readFileSync(path.join(workspace, FIXTURE_FILE), 'utf8')].slice(0, 20_000).join('');
    assert.equal(spans.length, 20_000, 'one span per character token, bounded to 20,000');
    assert.equal(spans.map((s) => s.text).join(''), text, "the spans' text is the file's text");
    assert.match((await inside().locator('.notes').textContent()) ?? '', /Bounded: only the first 20,000 tokens/);
    // Each span's colour is its activation: blue for positive, red for negative, opacity |value| * 0.85.
    let coloured = 0;
    for (const s of spans.slice(0, 2000)) {
      const [r, g, b, a] = rgba(s.colour);
      assert.ok(Math.abs(s.value) <= 1, `value ${s.value}`);
      if (Math.abs(s.value) < 0.02) continue;
      coloured++;
      assert.deepEqual([r, g, b], s.value > 0 ? [33, 150, 243] : [244, 67, 54], `colour ${s.colour} for value ${s.value}`);
      assert.ok(Math.abs(a - Math.abs(s.value) * 0.85) < 0.02, `opacity ${a} for value ${s.value}`);
    }
    assert.ok(coloured > 500, `${coloured} of 2,000 tokens coloured`);
    assert.equal(new Set(spans.map((s) => s.value)).size > 20, true, 'the activation varies over the text');
  });

  it('ranks units on request and shows the unit picked from the ranking', async () => {
    const frame = inside();
    await frame.locator('#rank-by').selectOption('line-position');
    await frame.locator('#rank').click();
    await until(
      'the ranking by position in the line',
      () => frame.locator('#ranking').locator('xpath=..').locator('h2').textContent(),
      (t) => /position in the line|line-position/.test(t ?? ''),
      60_000,
    );
    const second = await frame.locator('#ranking button[data-unit]').nth(1).getAttribute('data-unit');
    assert.ok(second !== null);
    const before = (await readSpans(frame)).map((s) => s.value);
    await frame.locator('#ranking button[data-unit]').nth(1).click();
    await until(
      `unit ${second} shown`,
      () => frame.locator('#text').getAttribute('data-unit'),
      (u) => u === second,
      60_000,
    );
    const after = (await readSpans(frame)).map((s) => s.value);
    assert.notDeepEqual(after, before, 'the colours follow the unit picked');
    // The matrix: units x tokens with surprisal and guesses.
    assert.ok((await frame.locator('#matrix td[data-value]').count()) >= 40);
  });

  it('refuses a pattern that is not a regular expression, with a message', async () => {
    const frame = inside();
    await frame.locator('#rank-by').selectOption('regex');
    await frame.locator('#pattern').fill('(unclosed');
    await frame.locator('#rank').click();
    await until(
      'the error about the pattern',
      () => frame.locator('.error').textContent(),
      (t) => /not a regular expression/.test(t ?? ''),
      30_000,
    );
  });
});
