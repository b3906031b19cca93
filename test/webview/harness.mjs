#!/usr/bin/env node
// Development harness for the two webviews, outside VS Code.
//
//   node test/webview/harness.mjs            build the webview bundles, screenshot every scenario in
//                                            dark, light (and some in high contrast) to test-results/webview/
//   node test/webview/harness.mjs --serve    build and serve on 127.0.0.1, print the URLs, keep running
//   options: --only NAME (substring of a shot name), --out DIR, --port N
//
// The page is the one the extension ships: the HTML comes from src/host/views/webviewHtml.ts (same CSP,
// nonce and structure), the scripts are the esbuild bundles of src/webview. Only the host is
// simulated: stub.js provides acquireVsCodeApi and the theme variables VS Code injects, fixtures.js
// plays the extension host with realistic data. A CSP violation or page error fails the run.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const outDir = resolve(option('--out', join(root, 'test-results', 'webview')));
const buildDir = join(tmpdir(), `seqlab-webview-harness-${process.pid}`);

// ---------------------------------------------------------------- build
// The same options as the webview entry of esbuild.mjs, into a scratch folder, so the harness works
// whatever state the extension's own bundles are in.
await esbuild.build({
  entryPoints: { panel: 'src/webview/panel/main.ts', sidebar: 'src/webview/sidebar/main.ts', codicon: 'src/webview/codicon.css' },
  absWorkingDir: root,
  outdir: buildDir,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  loader: { '.ttf': 'file' },
  sourcemap: true,
  logLevel: 'warning',
});
// The page template, with `vscode` replaced by an empty module: renderWebviewDocument never calls it.
await esbuild.build({
  entryPoints: [join(root, 'src/host/views/webviewHtml.ts')],
  outfile: join(buildDir, 'webviewHtml.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  logLevel: 'warning',
  plugins: [
    {
      name: 'vscode-stub',
      setup(build) {
        build.onResolve({ filter: /^vscode$/ }, () => ({ path: 'vscode', namespace: 'stub' }));
        build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
      },
    },
  ],
});
const { renderWebviewDocument } = createRequire(import.meta.url)(join(buildDir, 'webviewHtml.cjs'));

// ---------------------------------------------------------------- server
const types = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json', '.html': 'text/html' };

function page(kind, origin) {
  const nonce = randomBytes(16).toString('base64');
  let html = renderWebviewDocument({
    cspSource: origin,
    nonce,
    scriptUri: `${origin}/dist/${kind}.js`,
    styleUri: `${origin}/dist/${kind}.css`,
    codiconUri: `${origin}/dist/codicon.css`,
    title: kind === 'panel' ? 'Sequence Lab: training' : 'Sequence Lab: runs',
    kind,
    state: kind === 'panel' ? { runId: 'harness' } : {},
  });
  html = html.replace('</head>', `  <link rel="stylesheet" href="${origin}/harness/themes.css">\n</head>`);
  const harnessScripts = ['stub.js', 'fixtures.js', ...(kind === 'sidebar' ? ['sidebarFixtures.js'] : [])]
    .map((f) => `<script nonce="${nonce}" src="${origin}/harness/${f}"></script>`)
    .join('\n  ');
  return html.replace('<script nonce=', `${harnessScripts}\n  <script nonce=`);
}

function serveFile(res, base, rel) {
  const file = normalize(join(base, rel));
  if (!file.startsWith(base) || !existsSync(file)) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  res.end(readFileSync(file));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const origin = `http://${req.headers.host}`;
  if (url.pathname === '/panel.html' || url.pathname === '/sidebar.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page(url.pathname.slice(1, -5), origin));
  } else if (url.pathname === '/favicon.ico') {
    res.writeHead(204).end();
  } else if (url.pathname.startsWith('/dist/')) {
    serveFile(res, buildDir, url.pathname.slice(6));
  } else if (url.pathname.startsWith('/harness/')) {
    serveFile(res, here, url.pathname.slice(9));
  } else {
    res.writeHead(404).end('not found');
  }
});
await new Promise((ok) => server.listen(Number(option('--port', 0)), '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const SHOTS = [
  { name: 'panel-rnn-dark', view: 'panel', scenario: 'rnn', theme: 'dark', sampleNow: true, hover: true, check: checkPanel },
  { name: 'panel-rnn-light', view: 'panel', scenario: 'rnn', theme: 'light' },
  { name: 'panel-rnn-total-dark', view: 'panel', scenario: 'rnn', theme: 'dark', act: wholeWindowByKeyboard, check: checkWholeWindow },
  { name: 'panel-rnn-total-light', view: 'panel', scenario: 'rnn', theme: 'light', act: wholeWindowByKeyboard },
  { name: 'panel-lstm-dark', view: 'panel', scenario: 'lstm', theme: 'dark', check: checkLstm },
  { name: 'panel-lstm-total-light', view: 'panel', scenario: 'lstm', theme: 'light', act: wholeWindowByKeyboard },
  { name: 'panel-lstm-light', view: 'panel', scenario: 'lstm', theme: 'light', sampleNow: true },
  { name: 'panel-perf-dark', view: 'panel', scenario: 'perf', theme: 'dark' },
  { name: 'panel-window-dark', view: 'panel', scenario: 'window', theme: 'dark', check: checkWindowLabels },
  { name: 'panel-window-total-light', view: 'panel', scenario: 'window', theme: 'light', act: wholeWindowByKeyboard },
  { name: 'panel-readonly-hc', view: 'panel', scenario: 'readonly', theme: 'hc', check: checkLegacyMaps },
  { name: 'panel-compare-dark', view: 'panel', scenario: 'compare', theme: 'dark' },
  { name: 'panel-compare-light', view: 'panel', scenario: 'compare', theme: 'light' },
  { name: 'panel-starting-light', view: 'panel', scenario: 'starting', theme: 'light', height: 700 },
  { name: 'panel-switch-to-light', view: 'panel', scenario: 'lstm', theme: 'dark', switchTo: 'light' },
  { name: 'panel-empty-dark', view: 'panel', scenario: 'empty', theme: 'dark' },
  { name: 'sidebar-runs-dark', view: 'sidebar', scenario: 'runs', theme: 'dark', width: 340, check: checkSidebarKeyboard },
  { name: 'sidebar-runs-light', view: 'sidebar', scenario: 'runs', theme: 'light', width: 340 },
  { name: 'sidebar-untrusted-dark', view: 'sidebar', scenario: 'untrusted', theme: 'dark', width: 340 },
  { name: 'sidebar-empty-light', view: 'sidebar', scenario: 'empty', theme: 'light', width: 340 },
];

if (flag('--serve')) {
  console.log(`Serving the webview harness on ${base}`);
  for (const s of SHOTS) console.log(`  ${s.name.padEnd(24)} ${base}/${s.view}.html?scenario=${s.scenario}&theme=${s.theme}`);
  console.log('Ctrl+C to stop.');
} else {
  const ok = await shoot();
  server.close();
  process.exitCode = ok ? 0 : 1;
}

// ---------------------------------------------------------------- screenshots
async function shoot() {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    console.error(`No Chromium at ${executablePath}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
    return false;
  }
  mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  let ok = true;
  try {
    const only = option('--only', '');
    for (const shot of SHOTS.filter((s) => s.name.includes(only))) {
      const context = await browser.newContext({ viewport: { width: shot.width ?? 1180, height: shot.height ?? 900 }, deviceScaleFactor: 1 });
      const p = await context.newPage();
      const consoleErrors = [];
      p.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      p.on('pageerror', (e) => consoleErrors.push(String(e)));
      await p.goto(`${base}/${shot.view}.html?scenario=${shot.scenario}&theme=${shot.theme}`);
      await p.waitForFunction(() => window.__harness && window.__harness.done, null, { timeout: 20_000 });
      if (shot.sampleNow) {
        await p.locator('.sample-form vscode-textfield').first().locator('input').fill('The Time Traveller');
        await p.locator('.sample-form vscode-button').click();
        await p.waitForFunction(() => !document.querySelector('.sample.live.streaming'), null, { timeout: 10_000 });
      }
      if (shot.switchTo) {
        // As VS Code does on a theme change: new variables and body class, no reload.
        await p.evaluate((next) => window.__harness.setTheme(next), shot.switchTo);
        await p.waitForTimeout(300);
      }
      if (shot.act) await shot.act(p);
      if (shot.hover) {
        // From the top: a full-page screenshot grows the viewport, and a scrolled page would then
        // slide under the mouse and take the hover away.
        await p.evaluate(() => window.scrollTo(0, 0));
        const box = await p.locator('.heatmap-canvas').boundingBox();
        if (box) await p.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.45);
      }
      if (shot.view === 'sidebar') await p.waitForTimeout(300);
      await p.waitForTimeout(250);
      const file = join(outDir, `${shot.name}.png`);
      await p.screenshot({ path: file, fullPage: true });
      const report = await p.evaluate(() => ({
        violations: window.__harness.violations,
        errors: window.__harness.errors,
        posted: window.__harness.posted.map((m) => m.type),
        perf:
          window.__harness.perf &&
          Object.assign(
            {},
            window.__harness.perf,
            (() => {
              const d = performance
                .getEntriesByName('seqlab:render')
                .map((e) => e.duration)
                .sort((a, b) => a - b);
              const slow = performance
                .getEntriesByName('seqlab:render')
                .filter((e) => e.duration > 30)
                .map((e) => `${e.detail}:${Math.round(e.duration)}`);
              return d.length ? { renders: d.length, renderMedianMs: Math.round(d[d.length >> 1]), renderMaxMs: Math.round(d[d.length - 1]), slow } : {};
            })(),
          ),
        hooks: Object.fromEntries(
          [...document.querySelectorAll('[data-testid]')]
            .slice(0, 40)
            .map((e) => [
              e.getAttribute('data-testid'),
              Object.fromEntries([...e.attributes].filter((a) => a.name.startsWith('data-') && a.name !== 'data-testid').map((a) => [a.name, a.value])),
            ]),
        ),
      }));
      const failed = shot.check ? await shot.check(p) : [];
      const problems = [...report.violations.map((v) => `CSP: ${v}`), ...report.errors, ...consoleErrors, ...failed];
      console.log(`${problems.length ? 'FAIL' : 'ok  '} ${shot.name}  -> ${file}`);
      console.log(`     posted: ${report.posted.join(', ')}`);
      console.log(`     hooks:  ${JSON.stringify(report.hooks)}`);
      if (report.perf) console.log(`     streaming: ${JSON.stringify(report.perf)}`);
      for (const problem of problems) console.log(`     ! ${problem}`);
      if (problems.length) ok = false;
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return ok;
}

// ---------------------------------------------------------------- behaviour checks (after the screenshot)

/** The panel drops deltas of another run, shows what was streamed, and its buttons post controls. */
async function checkPanel(p) {
  const problems = [];
  const attr = (sel, name) => p.locator(sel).first().getAttribute(name);
  if ((await attr('[data-testid="loss-chart"]', 'data-points')) !== '2800')
    problems.push(`loss chart data-points ${await attr('[data-testid="loss-chart"]', 'data-points')}, expected 2800 (a delta of another run leaked in?)`);
  if ((await attr('[data-testid="heatmap"]', 'data-rows')) !== '64') problems.push('heatmap data-rows is not the window length');
  problems.push(...(await checkRnnGradients(p)));
  const steps = await p.locator('[data-testid="sample"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-step'))));
  if (steps.length !== 5 || steps.some((v, i) => i > 0 && v > steps[i - 1])) problems.push(`samples not newest first: ${steps}`);
  await p.locator('[data-testid="pause"]').click();
  await p.locator('[data-testid="checkpoint"]').click();
  await p.waitForTimeout(100);
  const posted = await p.evaluate(() => window.__harness.posted.filter((m) => m.type === 'control').map((m) => m.action));
  if (posted.join() !== 'pause,checkpoint') problems.push(`controls posted ${JSON.stringify(posted)}`);
  const state = await p.evaluate(() => sessionStorage.getItem('seqlab-harness-state-panel'));
  if (!state || !JSON.parse(state).prefs || JSON.parse(state).runId !== '20251125-140300-rnn') problems.push(`panel state not kept: ${state}`);
  return problems;
}

// ---------------------------------------------------------------- gradient quantity toggle

// Function declarations, not consts: the top-level await above runs the shots before a const here exists.
function quantityButton(p, value) {
  return p.locator(`[data-testid="grad-quantity"] [data-value="${value}"]`);
}

function gradText(p) {
  return p.evaluate(() => ({
    quantity: document.querySelector('[data-testid="heatmap"]').getAttribute('data-quantity'),
    legend: document.querySelector('.heatmap-legend .legend-title').textContent,
    caption: document.querySelector('.grad-caption').textContent,
    summary: document.querySelector('.grad-summary').textContent,
    profile: document.querySelector('.grad-side .mini-title').textContent,
    canvas: document.querySelector('.heatmap-canvas').getAttribute('aria-label'),
  }));
}

/** From the keyboard, as a user would: focus the checked segment, then the arrow to the next. */
async function wholeWindowByKeyboard(p) {
  await quantityButton(p, 'last').focus();
  await p.keyboard.press('ArrowRight');
  await p.waitForTimeout(150);
}

/** By default the card shows the last prediction's gradient and says what that is. */
async function checkLastPrediction(p, symbol) {
  const problems = [];
  const g = await gradText(p);
  if (g.quantity !== 'last') problems.push(`heatmap data-quantity ${g.quantity}, expected last by default`);
  if (!g.legend.includes(symbol) || !g.profile.includes(symbol)) problems.push(`legend or profile title not ${symbol}: ${g.legend} | ${g.profile}`);
  if (!g.canvas.includes("gradient of the last prediction's loss")) problems.push(`heatmap aria-label does not name the quantity: ${g.canvas}`);
  if ((await quantityButton(p, 'total').getAttribute('aria-disabled')) !== 'false') problems.push('whole-window option unavailable though the maps carry it');
  return { problems, g };
}

async function checkRnnGradients(p) {
  const { problems, g } = await checkLastPrediction(p, '‖∂ℓ_T/∂hₜ‖');
  if (!g.caption.includes("how far back the error signal of the last prediction reaches; a vanilla RNN's fades geometrically (vanishing gradients)"))
    problems.push(`caption: ${g.caption}`);
  if (!/falls 1,000-fold within \d+ steps back, .*: it vanishes/.test(g.summary)) problems.push(`RNN summary does not read as vanishing: ${g.summary}`);
  return problems;
}

async function checkLstm(p) {
  const { problems, g } = await checkLastPrediction(p, '‖∂ℓ_T/∂hₜ‖');
  if (g.summary.includes('vanishes')) problems.push(`a trained LSTM's profile summarized as vanishing: ${g.summary}`);
  return problems;
}

async function checkWindowLabels(p) {
  const { problems, g } = await checkLastPrediction(p, '‖∂ℓ_T/∂xₖ‖');
  if (g.caption.includes('hₜ') || g.summary.includes('t = 0')) problems.push(`window model labelled with hidden states: ${g.caption} | ${g.summary}`);
  return problems;
}

/** After the switch: the whole window's gradient, labelled as such, and the choice kept in the state. */
async function checkWholeWindow(p) {
  const problems = [];
  const g = await gradText(p);
  if (g.quantity !== 'total') problems.push(`ArrowRight did not switch to the whole window: data-quantity ${g.quantity}`);
  if (!g.legend.includes('‖∂L/∂hₜ‖') || !g.profile.includes('‖∂L/∂hₜ‖')) problems.push(`whole-window labels: ${g.legend} | ${g.profile}`);
  if (!g.summary.includes('across the window')) problems.push(`whole-window summary: ${g.summary}`);
  const state = JSON.parse((await p.evaluate(() => sessionStorage.getItem('seqlab-harness-state-panel'))) ?? 'null');
  if (state?.prefs?.gradQuantity !== 'total') problems.push(`choice not kept in the webview state: ${JSON.stringify(state?.prefs)}`);
  const focused = await p.evaluate(() => document.activeElement?.getAttribute('data-value'));
  if (focused !== 'total') problems.push(`focus did not follow the arrow key: ${focused}`);
  return problems;
}

/** A run recorded before both were kept: its maps are the whole window's and say so; "last" is unavailable. */
async function checkLegacyMaps(p) {
  const problems = [];
  const last = quantityButton(p, 'last');
  if ((await last.getAttribute('aria-disabled')) !== 'true') problems.push('last-prediction option available for maps that lack it');
  if (!(await last.getAttribute('title'))?.includes('recorded before')) problems.push(`unavailable option has no explaining tooltip: ${await last.getAttribute('title')}`);
  await last.click({ force: true }); // aria-disabled: Playwright would wait for it to become enabled
  await quantityButton(p, 'total').focus();
  await p.keyboard.press('ArrowLeft');
  await p.waitForTimeout(150);
  const g = await gradText(p);
  if (g.quantity !== 'total' || !g.legend.includes('‖∂L/∂hₜ‖')) problems.push(`legacy maps not shown as the whole window's gradient: ${g.quantity} ${g.legend}`);
  const state = JSON.parse((await p.evaluate(() => sessionStorage.getItem('seqlab-harness-state-panel'))) ?? 'null');
  if (state?.prefs?.gradQuantity === 'total') problems.push('showing the fallback overwrote the saved preference');
  return problems;
}

/** The run list works from the keyboard: arrows move and select, Space ticks, Enter opens. */
async function checkSidebarKeyboard(p) {
  const problems = [];
  const items = p.locator('[data-testid="run-item"]');
  await items.nth(0).focus();
  await p.keyboard.press('ArrowDown');
  await p.keyboard.press('ArrowDown');
  await p.waitForTimeout(200);
  const selected = await p.locator('[data-testid="run-item"][aria-selected="true"]').getAttribute('data-run-id');
  const expected = await items.nth(2).getAttribute('data-run-id');
  if (selected !== expected) problems.push(`ArrowDown twice selected ${selected}, expected ${expected}`);
  await p.keyboard.press('Space');
  await p.keyboard.press('Enter');
  await p.waitForTimeout(200);
  const posted = await p.evaluate(() => window.__harness.posted.filter((m) => m.type === 'run'));
  const opened = posted.find((m) => m.action === 'open');
  if (!opened || opened.runId !== expected) problems.push(`Enter did not open the focused run: ${JSON.stringify(posted)}`);
  if (!posted.some((m) => m.action === 'select' && m.runId === expected)) problems.push('moving the selection did not ask for details');
  const checked = await items.nth(2).locator('input.compare-check').isChecked();
  if (checked) problems.push('Space did not toggle the comparison checkbox (it was ticked by the scenario)');
  return problems;
}
