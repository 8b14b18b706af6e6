/**
 * Tests that drive the dashboard and console in a real browser: Debian's chromium (CHROMIUM_PATH to use another)
 * through playwright-core. Without chromium such a suite is skipped with a warning, except under
 * BROWSER_REQUIRED=1 (CI), where it fails: a missing browser must not pass as green.
 */
import { existsSync } from 'node:fs';
import { describe } from 'vitest';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const required = process.env.BROWSER_REQUIRED === '1';

/** `describe` for a browser suite; its `beforeAll` should call `launchChromium()` (which fails when required). */
export function describeInBrowser(name: string, fn: () => void): void {
  if (!available && !required) console.warn(`${name}: skipped, no chromium at ${CHROMIUM} (apt-get install chromium)`);
  describe.skipIf(!available && !required)(name, fn);
}

/** Headless chromium as the browser suites use it; throws when it is missing (reached only under BROWSER_REQUIRED=1). */
export function launchChromium(): Promise<Browser> {
  if (!available) throw new Error(`BROWSER_REQUIRED=1 but no chromium at ${CHROMIUM}`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
