/**
 * Debian's Chromium driven by playwright-core: playwright's own browser download cannot run on these
 * machines, and the system browser is what a person here would use anyway.
 */
import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const found = [process.env.SEQLAB_CHROMIUM, ...CANDIDATES].find((p): p is string => !!p && fs.existsSync(p));
  if (!found) throw new Error(`no Chromium found (looked at ${CANDIDATES.join(', ')}; set SEQLAB_CHROMIUM): run test/harness/setup.sh`);
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: process.env.SEQLAB_HEADED !== '1',
    // No sandbox as root; no background traffic, which this machine's closed network refuses by the dozen.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
