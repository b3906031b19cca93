/**
 * Mocha root hooks for the end-to-end suite: one code-server with a fresh profile and workspace, one
 * Chromium page on its workbench, shared by every test (starting VS Code takes seconds, each test's
 * own state lives in its run). Screenshots go to test-results/e2e/ when a test fails, and after every
 * test when SEQLAB_SCREENSHOTS=1.
 *   mocha --require out/test/e2e/hooks.js 'out/test/e2e/*.test.js'
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import type Mocha from 'mocha';
import { launchChromium } from '../harness/browser';
import { formatLoopReport, readLoopReport } from '../harness/eventLoopReport';
import { makeWorkspace, FIXTURE_FILE } from '../harness/sampleWorkspace';
import { makeProfile, RESULTS_DIR, scratchDir, startCodeServer, type RunningWorkbench } from '../harness/workbench';
import { stopLiveRuns } from './runPanels';
import { WorkbenchDriver } from './workbenchDriver';

export const SCREENSHOTS = path.join(RESULTS_DIR, 'e2e');

export const E2E_TRAINING_SETTINGS = {
  'sequenceLab.hidden': 32,
  'sequenceLab.batch': 8,
  'sequenceLab.window': 16,
  'sequenceLab.steps': 100_000,
  'sequenceLab.evalInterval': 10,
  'sequenceLab.evalTokens': 2000,
  'sequenceLab.gradMapInterval': 2,
  'sequenceLab.sampleInterval': 10,
  'sequenceLab.sampleLength': 40,
  'sequenceLab.checkpointInterval': 50,
};

export interface E2ESession {
  readonly driver: WorkbenchDriver;
  readonly workspace: string;
  readonly server: RunningWorkbench;
}

let current: E2ESession | undefined;
let browser: Browser | undefined;
let scratch: string | undefined;
/** Set when a test failed: the scratch folder (server logs, workspace with its runs) is then kept. */
let anyFailed = false;

/** The running session; only valid inside tests. */
export function session(): E2ESession {
  if (!current) throw new Error('the e2e session is not running (load test/e2e/hooks.js with --require)');
  return current;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(180_000);
    scratch = scratchDir('e2e');
    const workspace = makeWorkspace(path.join(scratch, 'workspace'));
    // A model small enough that a step takes milliseconds, reporting often, training until stopped.
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(E2E_TRAINING_SETTINGS, null, 2));
    const theme = process.env.SEQLAB_THEME ?? 'Default Dark Modern';
    const server = await startCodeServer({ workspace, profile: makeProfile(path.join(scratch, 'profile'), { 'workbench.colorTheme': theme }) });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    const driver = new WorkbenchDriver(page);
    await driver.ready(FIXTURE_FILE, 'Sequence Lab');
    current = { driver, workspace, server };
  },

  async afterEach(this: Mocha.Context): Promise<void> {
    this.timeout(240_000);
    const test = this.currentTest;
    if (test?.state === 'failed') anyFailed = true;
    if (!current || !test) return;
    if (test.state === 'failed' || process.env.SEQLAB_SCREENSHOTS === '1') {
      const file = await current.driver.screenshot(SCREENSHOTS, `${test.state ?? 'done'}-${test.fullTitle()}`).catch(() => undefined);
      if (file) console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
    }
    // A menu a failed test left open would swallow the next test's clicks, and a run it left
    // training would queue the next test's runs behind it.
    await current.driver.closeMenus();
    if (test.state === 'failed') await stopLiveRuns(current.driver, current.workspace).catch((e) => console.log(`      could not stop the runs left live: ${e}`));
  },

  async afterAll(): Promise<void> {
    const started = current !== undefined;
    await browser?.close();
    await current?.server.stop();
    current = undefined;
    if (!scratch) return;
    if (started) console.log(formatLoopReport('e2e (with Chromium drawing the workbench on the same cores)', readLoopReport(scratch)));
    if (anyFailed || !started) console.log(`  e2e logs and workspace kept in ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  },
};
