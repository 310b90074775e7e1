/** Debian's Chromium, driven by playwright-core (which never downloads a browser of its own). */
import { chromium, type Browser } from 'playwright-core';

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
