/**
 * Tests that drive the dashboard and console in a real browser: Debian's chromium (CHROMIUM_PATH to use another)
 * through playwright-core. Without chromium such a suite is skipped with a warning, except under
 * BROWSER_REQUIRED=1 (CI), where it fails: a missing browser must not pass as green.
 */
import { existsSync } from 'node:fs';
import { describe } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
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

/**
 * Signs in to the dashboard at `origin` with a gateway key or the admin token and waits until it has drawn.
 * Returns every request the page made outside the gateway (the dashboard must need no CDN).
 */
export async function signInToDashboard(page: Page, origin: string, token: string): Promise<string[]> {
  const offline: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(origin)) offline.push(r.url());
  });
  await page.goto(`${origin}/dashboard`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('body[data-ready=true]');
  return offline;
}
