/**
 * The dashboard's semantic cache panel in a real browser (Debian's chromium via playwright-core): per team, what
 * serving similar prompts would have saved and how often it would have been wrong, per similarity band, from the
 * calibration counts in the state store (written by shadow comparisons; seeded here). A team key sees its own team
 * only; an admin picks a team.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium, signInToDashboard } from '../helpers/browser.js';
import { fromRoot } from '../../src/paths.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { OTHER_TEAM_KEY, TEST_KEY } from '../helpers/test-gateway.js';
import { startMetricsGateway, type MetricsGateway } from '../metrics/metrics-gateway.js';

const ADMIN = 'dashboard-admin-token-0123456789';

describeInBrowser('dashboard semantic cache panel in chromium', () => {
  let upstream: FakeUpstream;
  let gw: MetricsGateway;
  let browser: Browser;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startMetricsGateway(upstream, {
      server: { adminToken: ADMIN },
      extra: { cache: { mode: 'on', semantic: 'on', similarityThreshold: 0.9, calibration: { minSamples: 3, precision: 0.99 } } },
      teams: { default: { name: 'Platform', allowedModels: ['*'] }, other: { allowedModels: ['gpt-4o-mini'] } },
    });
    const store = gw.runtime.store;
    // Team default: 0.95 band agreed 3 of 3 (serves), 0.90 band 1 of 2 (one would have been wrong), 0.80 below the
    // threshold, the same-wording band 3 of 3 (serves: it is not bound to the threshold).
    for (const [band, agreed, cost] of [['e|0.950', true, 1_000_000], ['e|0.950', true, 1_000_000], ['e|0.950', true, 500_000], ['e|0.900', true, 200_000], ['e|0.900', false, 300_000], ['e|0.800', true, 0], ['e|same', true, 0], ['e|same', true, 0], ['e|same', true, 0]] as const) {
      await store.recordCalibration('default', band, agreed, cost);
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream?.close();
  });

  const signIn = (page: Page, token: string) => signInToDashboard(page, gw.url, token);
  const cells = (page: Page, band: string) => page.locator(`#semantic-bands tr[data-band="${band}"] td`).allInnerTexts();

  it('shows a team key its bands: compared, would-have-been-wrong, agreement, savings and whether each serves', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, TEST_KEY);
    await page.waitForSelector('#semantic-panel[data-state=ready]');
    expect(await cells(page, '0.950')).toEqual(['≥ 0.950', '3', '0', '100.0%', '$2.50', 'serves']);
    expect(await cells(page, '0.900')).toEqual(['≥ 0.900', '2', '1', '50.0%', '$0.50', 'compares only']);
    expect(await cells(page, '0.800')).toEqual(['≥ 0.800', '1', '0', '100.0%', '$0.00', 'compares only']);
    expect(await cells(page, 'same')).toEqual(['same wording', '3', '0', '100.0%', '$0.00', 'serves']);
    const summary = await page.locator('#semantic-summary').innerText();
    expect(summary).toContain('on: serves calibrated bands');
    expect(summary).toContain('Serving the 9 would-be hits compared so far would have saved $3.00; 1 of them (11.1%) would have been wrong.');
    mkdirSync(fromRoot('test', '.tmp'), { recursive: true });
    await page.locator('#semantic-panel').screenshot({ path: fromRoot('test', '.tmp', 'dashboard-semantic.png') });
    await page.close();
  });

  it('another team sees only its own (none yet); an admin chooses a team first', async () => {
    const page = await browser.newPage();
    await signIn(page, OTHER_TEAM_KEY);
    await page.waitForSelector('#semantic-panel[data-state=ready]');
    expect(await page.locator('#semantic-summary').innerText()).toContain('No would-be hits compared yet.');
    expect(await page.locator('#semantic-bands tr[data-band]').count()).toBe(0);
    await page.close();

    const admin = await browser.newPage();
    await signIn(admin, ADMIN);
    await admin.waitForSelector('#semantic-panel[data-state=no-team]');
    expect(await admin.locator('#semantic-summary').innerText()).toContain('Choose a team');
    await admin.selectOption('#team', 'default');
    await admin.waitForSelector('#semantic-bands tr[data-band="0.950"]');
    expect(await cells(admin, '0.950')).toEqual(['≥ 0.950', '3', '0', '100.0%', '$2.50', 'serves']);
    await admin.click('#signout');
    expect(await admin.locator('#semantic-panel').isHidden()).toBe(true);
    await admin.close();
  });
});
