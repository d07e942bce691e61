/**
 * Debian's Chromium for the browser tests, driven by playwright-core (a test tool's own browser
 * download cannot work here). Without it, browser tests are skipped on a developer's machine and fail
 * in CI, where .ci/run installs it.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
];
/** Where browser tests write their screenshots. */
export const OUTPUT = 'test-output';

export function chromiumPresent(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
  console.warn(`browser test skipped: no ${CHROMIUM} (apt-get install chromium)`);
  return false;
}

/** Launches Chromium before the enclosing suite's tests and closes it after them. */
export function useChromium(): { readonly browser: Browser } {
  const holder = {} as { browser: Browser };
  beforeAll(async () => {
    holder.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(() => holder.browser?.close());
  return holder;
}
