/**
 * End to end, as a person: right-click the text file in the explorer, train, watch the panel fill in
 * (loss chart points, the gradient heatmap drawn, samples), find the run in the sidebar, stop it from
 * the panel. Everything is read from the rendered workbench and its webviews, nothing from the host.
 */
import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { FIXTURE_FILE } from '../harness/sampleWorkspace';
import { session } from './hooks';
import { atLeast, lossPoints, numberAttr, runRecord, stopFromPanel, trainFromExplorer } from './runPanels';

/**
 * How much a canvas shows: its distinct colours, and the share of its opaque pixels that differ from
 * its most common colour. An empty heatmap is one background colour with a line of text on it.
 */
function canvasInk(frame: Frame, selector: string): Promise<{ colours: number; varied: number }> {
  // Runs in the webview; typed by hand because the Node side's tsconfig has no DOM library.
  interface Canvas2D {
    width: number;
    height: number;
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
  }
  return frame
    .locator(selector)
    .first()
    .evaluate((el) => {
      const canvas = el as unknown as Canvas2D;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const counts = new Map<number, number>();
      let opaque = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] === 0) continue;
        opaque += 1;
        const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const mode = Math.max(0, ...counts.values());
      return { colours: counts.size, varied: opaque ? (opaque - mode) / opaque : 0 };
    });
}

describe('training from the explorer, in the workbench', function () {
  this.timeout(300_000);
  let started: { panel: Frame; runId: string } | undefined;
  /** The panel of the run the first test started; later tests fail at once, and say why, without it. */
  const run = (): { panel: Frame; runId: string } => {
    if (!started) throw new Error('no training panel: training did not start from the explorer (see the first failure)');
    return started;
  };

  it('starts training from the explorer context menu and opens the panel', async () => {
    const { driver, workspace } = session();
    started = await trainFromExplorer(driver, workspace, FIXTURE_FILE);
  });

  // Each view is checked to grow while the panel is open: the snapshot the panel gets when it opens
  // would fill a view on its own, so only growth shows the live messages arriving.
  it('draws the loss curve as points arrive', async () => {
    const { panel } = run();
    const before = await lossPoints(panel).catch(() => 0);
    await atLeast('loss chart points', () => lossPoints(panel), Math.max(20, before + 10));
    await atLeast('validation points', () => numberAttr(panel, '[data-testid="loss-chart"]', 'data-val-points'), 1);
    assert.ok((await panel.locator('[data-testid="loss-chart"] canvas').count()) > 0, 'the loss chart has no canvas');
  });

  it('fills in the gradient-through-time heatmap', async () => {
    const { panel } = run();
    const columns = () => numberAttr(panel, '[data-testid="heatmap"]', 'data-columns');
    const before = await columns().catch(() => 0);
    await atLeast('heatmap columns (gradient maps)', columns, Math.max(5, before + 3));
    assert.equal(await numberAttr(panel, '[data-testid="heatmap"]', 'data-rows'), 16, 'one row per time step of the window');
    await panel.page().waitForTimeout(500); // the next animation frame paints
    const ink = await canvasInk(panel, '[data-testid="heatmap"] canvas.heatmap-canvas');
    assert.ok(ink.colours >= 8 && ink.varied > 0.2, `the heatmap canvas looks empty: ${JSON.stringify(ink)}`);
  });

  it('shows generated samples, tagged with their step', async () => {
    const { panel } = run();
    const newestStep = async () => Math.max(0, ...(await panel.locator('[data-testid="sample"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-step'))))));
    const before = await newestStep();
    const newest = await atLeast("the newest sample's step", newestStep, before + 1);
    const sample = panel.locator(`[data-testid="sample"][data-step="${newest}"]`).first();
    assert.ok((await sample.innerText()).trim().length > 0, 'an empty sample');
  });

  it('lists the run in the Sequence Lab sidebar', async () => {
    const { panel, runId } = run();
    const { driver, workspace } = session();
    const name = runRecord(workspace, runId)?.name;
    assert.ok(name, `run ${runId} has no run.json`);
    await driver.showViewContainer('Sequence Lab');
    // The panel shows the name too: look in every other webview.
    await driver.webviewFrame(`text=${name}`, 60_000, [panel]);
  });

  it('stops the run from the panel', async () => {
    const { panel, runId } = run();
    const { workspace } = session();
    const stopped = await stopFromPanel(panel, workspace, runId);
    assert.ok(
      stopped.checkpoints.some((c) => c.step === stopped.step),
      'a stopped run keeps a checkpoint of its last step',
    );
    // An ended run offers only what can act on it: Resume training, no Stop or Pause.
    assert.equal(await panel.locator('[data-testid="resume-run"]').first().isVisible(), true, 'Resume training is shown');
    assert.equal(await panel.locator('[data-testid="stop"]').first().isVisible(), false, 'Stop is hidden');
  });
});
