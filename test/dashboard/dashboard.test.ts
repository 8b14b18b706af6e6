/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real gateway with
 * usage seeded in the ledger: figures and charts show the seeded numbers, a team key sees its team only
 * (UI and API), and screenshots land in test/.tmp/ for a look at the layout (laptop and phone).
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
const HOUR = 3_600_000;

describeInBrowser('dashboard in chromium', () => {
  let upstream: FakeUpstream;
  let gw: MetricsGateway;
  let browser: Browser;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startMetricsGateway(upstream, {
      server: { adminToken: ADMIN },
      teams: {
        default: { name: 'Platform', allowedModels: ['*'], budgets: [{ period: 'monthly', usd: '50' }] },
        other: { allowedModels: ['gpt-4o-mini'] },
      },
    });
    const store = gw.runtime.store;
    const now = Date.now();
    const rec = (at: number, teamId: string, keyId: string, model: string, provider: string, n: Partial<Record<string, number>>) =>
      store.recordUsage({ at, teamId, keyId, model, provider, requests: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costMicros: 0, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0, ...n });
    await rec(now - 2 * HOUR, 'default', 'test', 'gpt-4o-mini', 'openai', { requests: 10, promptTokens: 1000, cachedTokens: 300, completionTokens: 500, costMicros: 1_234_567, cacheHits: 2, savedMicros: 100_000, errors: 1, guardBlocks: 1 });
    await rec(now - 26 * HOUR, 'default', 'test', 'claude-haiku-4-5', 'anthropic', { requests: 5, promptTokens: 400, completionTokens: 100, costMicros: 2_000_000, guardBlocks: 2 });
    await rec(now - 3 * HOUR, 'other', 'other', 'gpt-4o-mini', 'openai', { requests: 7, promptTokens: 700, completionTokens: 70, costMicros: 5_000_000 });
    // Budget counters: $3.25 spent on the team's monthly budget.
    const team = (await store.getTeam('default'))!;
    await store.reserve({ requestId: 'seed', teamId: 'default', scopes: [{ scope: 'team:default', budgets: team.budgets }], costMicros: 4_000_000, tokens: 0, leaseMs: 60_000 });
    await store.settle({ requestId: 'seed', teamId: 'default', costMicros: 3_250_000, tokens: 0 });
    // One real request (team other) so the latency histogram has a sample.
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OTHER_TEAM_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream?.close();
  });

  const signIn = (page: Page, token: string) => signInToDashboard(page, gw.url, token);
  const text = (page: Page, sel: string) => page.locator(sel).innerText();

  it('shows a team key its own figures, charts and budgets, from the seeded ledger', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const offline = await signIn(page, TEST_KEY);
    expect(offline).toEqual([]); // every asset is served by the gateway (no CDN)
    expect(await text(page, '#fig-spend')).toBe('$3.23');
    expect(await text(page, '#fig-tokens')).toBe('2,000');
    expect(await text(page, '#fig-tokens-split')).toBe('1,400 in (300 cached) · 600 out');
    expect(await text(page, '#fig-requests')).toBe('15');
    expect(await text(page, '#fig-cache-rate')).toBe('13.3%');
    expect(await text(page, '#fig-saved')).toBe('$0.10');
    expect(await text(page, '#fig-error-rate')).toBe('6.7%');
    expect(await text(page, '#fig-guard-blocks')).toBe('3');

    // Charts: one series per team / model with the seeded totals, drawn on a canvas with visible pixels.
    const chart = (id: string) => page.locator(`#${id}`);
    expect(await chart('chart-spend-team').getAttribute('data-series')).toBe('default');
    expect(await chart('chart-spend-team').getAttribute('data-totals')).toBe('3.234567');
    expect(await chart('chart-spend-model').getAttribute('data-series')).toBe('claude-haiku-4-5,gpt-4o-mini');
    expect(await chart('chart-spend-model').getAttribute('data-totals')).toBe('2,1.234567');
    expect(await chart('chart-tokens-model').getAttribute('data-totals')).toBe('500,1500');
    for (const id of ['chart-spend-team', 'chart-spend-model', 'chart-tokens-model']) {
      const inked = await page.evaluate((sel) => {
        const c = document.querySelector(`#${sel} canvas`) as HTMLCanvasElement | null;
        if (!c) return 0;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      }, id);
      expect(inked, id).toBeGreaterThan(500);
    }
    expect(await page.locator('#chart-spend-model .u-legend').innerText()).toContain('claude-haiku-4-5');

    const budget = page.locator('#budgets tr[data-scope="team:default"][data-kind="usd"] td');
    expect(await budget.allInnerTexts()).toEqual(expect.arrayContaining(['default', 'team Platform', 'monthly', '$50.00', '$3.25', '$46.75']));
    expect(await page.locator('#top-keys tbody tr').count()).toBe(1);
    expect((await page.locator('#top-keys tr[data-key="test"] td').allInnerTexts()).slice(1)).toEqual(['default', '15', '2,000', '$3.23']);
    expect(await page.locator('#models tr[data-model="claude-haiku-4-5"] td').allInnerTexts()).toEqual(['claude-haiku-4-5', '5', '500', '$2.00']);

    // The team cannot be switched, and the page never received another team's data.
    expect(await page.locator('#team option').allInnerTexts()).toEqual(['Platform (default)']);
    expect(await page.locator('#team').isDisabled()).toBe(true);
    expect(await page.content()).not.toContain('$5.00');
    mkdirSync(fromRoot('test', '.tmp'), { recursive: true });
    await page.screenshot({ path: fromRoot('test', '.tmp', 'dashboard-team.png'), fullPage: true });
    await page.close();
  });

  it('refuses another team to a team key on the API (404) and a bad key on sign-in', async () => {
    const asTeam = (path: string, key = TEST_KEY) => fetch(`${gw.url}/dashboard/api/${path}`, { headers: { authorization: `Bearer ${key}` } });
    const denied = await asTeam('summary?team=other');
    expect(denied.status).toBe(404);
    expect((await denied.json()).error.code).toBe('not_found');
    const own = await (await asTeam('summary')).json();
    expect(Object.keys(own.charts.spendByTeam)).toEqual(['default']);
    expect(own.budgets.every((b: any) => b.team === 'default')).toBe(true);
    expect((await asTeam('summary', 'gw-nope')).status).toBe(401);
    expect((await fetch(`${gw.url}/dashboard/api/summary`)).status).toBe(401);

    const page = await browser.newPage();
    await page.goto(`${gw.url}/dashboard`);
    await page.fill('#token', 'gw-not-a-key');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.getElementById('signin-error')!.textContent !== '');
    expect(await text(page, '#signin-error')).toMatch(/not accepted/);
    expect(await page.locator('#board').isHidden()).toBe(true);
    await page.close();
  });

  it('labels buckets in UTC, the ledger\'s days, whatever the browser\'s time zone', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'America/Los_Angeles' });
    await signIn(page, ADMIN);
    await page.selectOption('#days', '30');
    await page.waitForFunction(() => /by day/.test(document.getElementById('range-note')!.textContent!));
    expect(await text(page, '#range-note')).toMatch(/^\d{4}-\d\d-\d\d 00:00 – \d{4}-\d\d-\d\d 00:00 UTC, by day/);
    // Hover the chart: the cursor snaps to a daily bucket, whose time in the legend is midnight (UTC), not 4pm.
    const box = (await page.locator('#chart-spend-team .u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
    const x = page.locator('#chart-spend-team .u-legend .u-series').first().locator('.u-value');
    await page.waitForFunction((el) => el!.textContent !== '--', await x.elementHandle());
    expect(await x.innerText()).toMatch(/12:00\s?am$/i);
    await page.close();
  });

  it('shows the admin every team, lets them pick one, and fits a phone screen', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, ADMIN);
    expect(await text(page, '#fig-requests')).toBe('23'); // 15 + 7 seeded + 1 real request
    expect(await page.locator('#chart-spend-team').getAttribute('data-series')).toBe('default,other');
    expect(await page.locator('#team option').allInnerTexts()).toEqual(['All teams', 'Platform (default)', 'other']);
    expect(await text(page, '#fig-p50')).toMatch(/^\d+ ms$|^\d+\.\d\d s$/);
    await page.screenshot({ path: fromRoot('test', '.tmp', 'dashboard.png'), fullPage: true });

    await page.selectOption('#team', 'other');
    await page.waitForFunction(() => document.getElementById('fig-requests')!.textContent === '8');
    expect(await page.locator('#chart-spend-team').getAttribute('data-series')).toBe('other');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.selectOption('#team', '');
    await page.waitForFunction(() => document.getElementById('fig-requests')!.textContent === '23');
    await page.waitForTimeout(100); // ResizeObserver resizes the charts
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const chartWidth = await page.locator('#chart-spend-model canvas').evaluate((c) => c.getBoundingClientRect().width);
    expect(chartWidth).toBeLessThanOrEqual(390);
    await page.screenshot({ path: fromRoot('test', '.tmp', 'dashboard-phone.png'), fullPage: true });
    await page.close();
  });
});
