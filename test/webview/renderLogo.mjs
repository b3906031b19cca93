#!/usr/bin/env node
// Renders media/logo.svg to media/logo.png (128x128, transparent corners) with Chromium, and
// media/icon.svg at 4x in both themes to test-results/webview/ for a look. Run after editing the SVGs.
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  const logo = readFileSync(join(root, 'media/logo.svg'), 'utf8');
  await page.setContent(`<html><body style="margin:0;background:transparent">${logo}</body></html>`);
  await page.locator('svg').screenshot({ path: join(root, 'media/logo.png'), omitBackground: true });

  const icon = readFileSync(join(root, 'media/icon.svg'), 'utf8');
  const out = join(root, 'test-results/webview');
  mkdirSync(out, { recursive: true });
  const preview = await browser.newPage({ viewport: { width: 260, height: 120 } });
  await preview.setContent(`<html><body style="margin:0;display:flex">
    <div style="background:#181818;color:#cccccc;padding:12px;display:flex;gap:12px;align-items:center">
      <div style="width:96px;height:96px">${icon.replace('width="24" height="24"', 'width="96" height="96"')}</div>
      <div style="width:24px;height:24px">${icon}</div></div>
    <div style="background:#f8f8f8;color:#3b3b3b;padding:12px;display:flex;gap:12px;align-items:center">
      <div style="width:24px;height:24px">${icon}</div></div></body></html>`);
  await preview.screenshot({ path: join(out, 'icon-preview.png') });
  console.log('wrote media/logo.png and test-results/webview/icon-preview.png');
} finally {
  await browser.close();
}
