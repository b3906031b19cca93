/**
 * The README's screenshots, taken from the real workbench (`npm run screenshots`): code-server with the
 * extension and a sample workspace holding The Time Machine, a vanilla RNN trained from the explorer's
 * context menu, then the training panel and the Sequence Lab sidebar (the run's details and an
 * inspection of a passage), then an LSTM trained likewise and both compared, in the dark and the light
 * default themes, at 1400x900, into media/screenshots/. The scratch folder (logs, workspace, runs) is removed unless something failed.
 *   SEQLAB_SCREENSHOTS_DIR   where to write the pictures (default media/screenshots)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { launchChromium } from '../harness/browser';
import { FIXTURE_FILE, makeWorkspace } from '../harness/sampleWorkspace';
import { makeProfile, ROOT, scratchDir, startCodeServer, type RunningWorkbench } from '../harness/workbench';
import { WorkbenchDriver } from './workbenchDriver';

const OUT_DIR = path.resolve(process.env.SEQLAB_SCREENSHOTS_DIR ?? path.join(ROOT, 'media', 'screenshots'));
const CORPUS = 'timemachine.txt';
const TRAIN_ITEM = 'Train Language Model on File';
const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern' } as const;
type Tone = keyof typeof THEMES;

/**
 * A vanilla RNN, so the heatmap shows the gradient of the last prediction vanishing toward t = 0, with
 * maps, evaluations and samples often enough that a minute of training fills every view.
 */
const TRAINING_SETTINGS = {
  'sequenceLab.cell': 'rnn',
  'sequenceLab.hidden': 128,
  'sequenceLab.steps': 1000,
  'sequenceLab.gradMapInterval': 5,
  'sequenceLab.sampleInterval': 50,
  'sequenceLab.evalInterval': 25,
};
/** Enough maps (one per gradMapInterval steps) that the band toward t = 0 reads as a band. */
const MIN_COLUMNS = 40;
const MIN_SAMPLES = 3;
const SCALE = 0.75;

/** code-server and Node 24 from test/harness/setup.sh, when the environment does not name them already. */
function loadToolsEnv(): void {
  if (process.env.SEQLAB_NODE24 && process.env.SEQLAB_CODE_SERVER) return;
  const envFile =
    execFileSync('bash', [path.join(ROOT, 'test', 'harness', 'setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      .trim()
      .split('\n')
      .pop() ?? '';
  for (const m of fs.readFileSync(envFile, 'utf8').matchAll(/^export (\w+)="([^"]*)"$/gm)) process.env[m[1]] = m[2];
}

/** The theme goes through the workspace settings too; the workbench applies a change at once. */
let overrides: Record<string, unknown> = {};
function writeWorkspaceSettings(workspace: string, theme: string, changed: Record<string, unknown> = {}): void {
  overrides = { ...overrides, ...changed };
  const file = path.join(workspace, '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...TRAINING_SETTINGS, ...overrides, 'workbench.colorTheme': theme }, null, 2) + '\n');
}

async function numberAttr(frame: Frame, selector: string, name: string): Promise<number> {
  return Number(await frame.locator(selector).first().getAttribute(name, { timeout: 2000 }));
}

/** Polls `read` until `done` accepts its value; fails with the last value read. */
async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Scrolls the panel as a person would, so the heatmap's bottom row (t = 0) is in view. (A string: the
 * Node side's tsconfig has no DOM library.)
 */
function scrollToHeatmap(panel: Frame): Promise<unknown> {
  return panel.evaluate(`(() => {
    const grad = document.querySelector('[data-testid="heatmap"]')?.closest('.card');
    if (grad) window.scrollTo(0, Math.max(0, grad.getBoundingClientRect().bottom + window.scrollY + 12 - window.innerHeight));
  })()`);
}

/** Drags the side bar's edge so it is `width` CSS pixels wide: the run's details read without ellipses. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

class Shooter {
  constructor(
    private readonly driver: WorkbenchDriver,
    private readonly workspace: string,
  ) {}

  get page() {
    return this.driver.page;
  }

  /** Switches the color theme through the workspace settings and waits until the workbench and its webviews repaint. */
  async theme(tone: Tone): Promise<void> {
    writeWorkspaceSettings(this.workspace, THEMES[tone]);
    const cls = tone === 'dark' ? 'vs-dark' : 'vs';
    await until(
      `the ${THEMES[tone]} theme`,
      () => this.page.locator('.monaco-workbench').first().getAttribute('class'),
      (c) => (c ?? '').split(/\s+/).includes(cls),
      30_000,
    );
    await this.page.waitForTimeout(700);
  }

  /** Closes notification toasts and the quick input: a screenshot shows the tool, not a passing message. */
  async tidy(): Promise<void> {
    await this.driver.dismissQuickInput();
    const toasts = await this.driver.notifications().catch(() => []);
    if (toasts.length) {
      console.log(`  notifications cleared before the shot: ${toasts.map((t) => JSON.stringify(t)).join(', ')}`);
      await this.driver.runCommand('Notifications: Clear All Notifications');
    }
    // The pointer rests on the activity bar's empty stretch: no hover line on a chart, no tooltip.
    await this.page.mouse.move(20, 900 / SCALE / 2);
    await this.page.waitForTimeout(300);
  }

  async shot(name: string): Promise<void> {
    await this.tidy();
    fs.mkdirSync(OUT_DIR, { recursive: true });
    const file = path.join(OUT_DIR, `${name}.png`);
    await this.page.screenshot({ path: file });
    console.log(`  ${path.relative(process.cwd(), file)}`);
  }
}

async function main(): Promise<void> {
  loadToolsEnv();
  const scratch = scratchDir('screenshots');
  let server: RunningWorkbench | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let ok = false;
  try {
    const workspace = makeWorkspace(path.join(scratch, 'workspace'), { withFullCorpora: true });
    const corpus = fs.existsSync(path.join(workspace, CORPUS)) ? CORPUS : FIXTURE_FILE;
    writeWorkspaceSettings(workspace, THEMES.dark);
    // One training thread (a machine setting, so a user setting): on two cores the browser keeps the other
    // and answers while the run trains.
    server = await startCodeServer({ workspace, profile: makeProfile(path.join(scratch, 'profile'), { 'sequenceLab.threads': 1 }) });
    browser = await launchChromium();
    // 1400x900 pixels of a browser zoomed to 75%: the panel's header, loss chart and gradient heatmap fit in one picture.
    page = await browser.newPage({ viewport: { width: Math.round(1400 / SCALE), height: Math.round(900 / SCALE) }, deviceScaleFactor: SCALE });
    await page.goto(server.url);
    const driver = new WorkbenchDriver(page);
    await driver.ready(corpus, 'Sequence Lab');
    const shooter = new Shooter(driver, workspace);
    await shooter.theme('dark');

    console.log(`training an RNN on ${corpus}`);
    const started = Date.now();
    await driver.explorerContextMenu(corpus, TRAIN_ITEM);
    let runId = '';
    const panel = await driver.waitForFrame(
      'the training panel',
      async (frame) => {
        runId = (await frame.locator('[data-testid="run-header"][data-run-id]').first().getAttribute('data-run-id', { timeout: 500 })) ?? '';
        return !!runId && (await frame.locator('[data-testid="loss-chart"]').count()) > 0;
      },
      90_000,
    );
    // The panel alone, the side bar closed so it has the window's width, while the run trains.
    await driver.runCommand('View: Close Primary Side Bar');
    await driver.runCommand('View: Close Panel').catch(() => undefined);
    await until(
      `${MIN_COLUMNS} heatmap columns`,
      () => numberAttr(panel, '[data-testid="heatmap"]', 'data-columns'),
      (n) => n >= MIN_COLUMNS,
      600_000,
    );
    await until(
      `${MIN_SAMPLES} samples`,
      () => panel.locator('[data-testid="sample"]').count(),
      (n) => n >= MIN_SAMPLES,
      300_000,
    );
    console.log(`  panel filled in after ${Math.round((Date.now() - started) / 1000)} s`);

    // Paused from the panel, so both themes show the same moment: the run trains in seconds.
    const header = panel.locator('[data-testid="run-header"]').first();
    // (Long enough that it still trains when the panel has filled in, on a slow machine too.)
    const pause = panel.locator('[data-testid="pause"]').first();
    if (await pause.isVisible()) await pause.click();
    const state = await until(
      'the run to pause',
      () => header.getAttribute('data-state'),
      (s) => s !== 'training',
      60_000,
    );
    if (state !== 'paused') console.warn(`  the run was ${state} before the pause reached it: the panel shows it so`);
    await panel.evaluate(`document.activeElement?.blur()`); // no focus ring on the button just clicked
    for (const tone of ['dark', 'light'] as const) {
      await shooter.theme(tone);
      await scrollToHeatmap(panel);
      await shooter.shot(`panel-${tone}`);
    }
    if (state === 'paused') await panel.locator('[data-testid="pause"]').first().click();

    // The sidebar: the finished run selected, and a passage inspected with its model.
    await until(
      'the run to finish',
      () => header.getAttribute('data-state'),
      (s) => ['completed', 'stopped', 'diverged', 'failed', 'interrupted'].includes(s ?? ''),
      600_000,
    );
    // Open the corpus from the explorer and select the first two lines of its story with the keyboard.
    await driver.activityBarItem('Explorer').click();
    await driver.explorerItem(corpus).click();
    const text = page.locator('.editor-group-container .monaco-editor .view-lines').filter({ hasText: 'Time Traveller' }).first();
    await text.waitFor({ timeout: 30_000 });
    await text.click();
    await page.keyboard.press('Control+Home');
    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowDown');
    for (let i = 0; i < 2; i++) await page.keyboard.press('Shift+ArrowDown');
    await driver.activityBarItem('Sequence Lab').click();
    await widenSideBar(page, 480);
    const sidebar = await driver.webviewFrame('[data-testid="run-list"]', 60_000, [panel]);
    await sidebar.locator(`[data-testid="run-item"][data-run-id="${runId}"]`).click();
    await sidebar.locator('[data-testid="run-details"]:not([hidden])').waitFor({ timeout: 30_000 });
    await sidebar.getByRole('button', { name: 'Inspect selection' }).click();
    await until(
      'the inspection',
      () => sidebar.locator('[data-testid="inspect-output"] .tok').count(),
      (n) => n > 0,
      120_000,
    );
    // Room for the result: the checkpoint list folded, the result scrolled into view.
    await sidebar.locator('summary', { hasText: 'Checkpoints' }).click();
    await sidebar.evaluate(`document.querySelector('[data-testid="inspect-output"]')?.scrollIntoView({ block: 'end' })`);
    for (const tone of ['dark', 'light'] as const) {
      await shooter.theme(tone);
      await shooter.shot(`sidebar-${tone}`);
    }

    // A second run, an LSTM on the same text, and the two overlaid in the compare view.
    console.log(`training an LSTM on ${corpus}`);
    writeWorkspaceSettings(workspace, THEMES.dark, { 'sequenceLab.cell': 'lstm' });
    await shooter.theme('dark');
    await driver.activityBarItem('Explorer').click();
    await driver.explorerContextMenu(corpus, TRAIN_ITEM);
    await driver.activityBarItem('Sequence Lab').click();
    const runs = await driver.webviewFrame('[data-testid="run-list"]', 60_000, [panel]);
    await until(
      'both runs to finish',
      () => runs.locator('[data-testid="run-item"][data-state="completed"]').count(),
      (n) => n >= 2,
      600_000,
    );
    // The comparison alone in the editor area, beside the sidebar with both runs ticked.
    await driver.runCommand('View: Close All Editors');
    for (const box of await runs.locator('[data-testid="run-item"] input.compare-check').all()) await box.check();
    await runs.getByRole('button', { name: /Compare 2 runs/ }).click();
    const compare = await driver.webviewFrame('[data-testid="compare-chart"][data-series="2"]', 60_000);
    await compare.evaluate(`document.activeElement?.blur()`);
    for (const tone of ['dark', 'light'] as const) {
      await shooter.theme(tone);
      await shooter.shot(`compare-${tone}`);
    }
    ok = true;
  } catch (err) {
    await page?.screenshot({ path: path.join(scratch, 'failure.png') }).catch(() => undefined);
    throw err;
  } finally {
    await browser?.close();
    await server?.stop();
    if (ok) fs.rmSync(scratch, { recursive: true, force: true });
    else console.error(`  logs and workspace kept in ${scratch}`);
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
