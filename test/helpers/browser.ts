/** Debian's Chromium, driven by playwright-core (which never downloads a browser of its own). */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/** `CHROMIUM_PATH` when set, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless, sandbox off (tests run as root in CI), and nothing that reaches out to the network:
 * the machine's network is closed, and Chromium's background fetches would only fail slowly.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * One browser for a whole test file: launched before its first test (given 30 s, as a loaded
 * machine may need), closed after its last. Call once at the top of the file; the function
 * returned gives the browser inside tests.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 30_000);
  afterAll(() => browser?.close());
  return () => {
    if (!browser) throw new Error('useBrowser(): the browser is there only inside the tests of the file');
    return browser;
  };
}
