/**
 * The console and spend views in a real browser (Debian's chromium, playwright-core), issue 21.9: a gateway admin
 * creates a team and a key (secret shown once), the key makes a request, its spend appears, the key is rotated
 * (same id) and the audit trail shows it; a team admin sees its own team only; on a phone (390×844) no money
 * column is clipped; a failed load leaves no stale figures. Screenshots go to test/.tmp/ (not checked in).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.js';
import { fromRoot } from '../../src/paths.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

const ADMIN = 'console-admin-token-0123456789';

describeInBrowser('console in chromium', () => {
  let upstream: FakeUpstream;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, { server: { adminToken: ADMIN }, teams: { default: { name: 'Platform', allowedModels: ['*'], budgets: [{ period: 'monthly', usd: '50' }] }, other: { allowedModels: ['gpt-4o-mini'] } } });
    browser = await launchChromium();
    mkdirSync(fromRoot('test', '.tmp'), { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream?.close();
  });

  async function signIn(page: Page, token: string) {
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${gw.url}/dashboard`);
    await page.fill('#token', token);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('body[data-ready=true]');
  }
  const chat = (key: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello from the console test' }] }),
    });

  it('gateway admin: create team → key (secret once) → request → spend → rotate (same id) → audit entry, at 1440×900', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, ADMIN);
    await page.waitForSelector('body[data-console=ready]');
    // Config teams are read-only, with the reason.
    const platform = page.locator('#teams-table tr[data-team="default"]');
    expect(await platform.innerText()).toContain('read-only');
    expect(await platform.locator('span[title]').getAttribute('title')).toMatch(/config file/);

    await page.fill('#team-id', 'web');
    await page.fill('#team-name', 'Web');
    await page.fill('#team-models', 'gpt-4o-mini');
    await page.fill('#team-budget', '5');
    await page.click('#team-form button[type=submit]');
    await page.waitForSelector('#teams-table tr[data-team="web"]');
    await page.selectOption('#team', 'web');
    await page.waitForFunction(() => document.getElementById('keys-team')!.textContent === 'team web');

    await page.fill('#key-name', 'web-backend');
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#secret-box:not([hidden])');
    const secret = await page.locator('#secret').innerText();
    expect(secret).toMatch(/^gw-/);
    const row = page.locator('#keys-table tbody tr').filter({ hasText: 'web-backend' });
    await row.waitFor();
    const keyId = await row.getAttribute('data-key');

    expect((await chat(secret)).status).toBe(200);
    await page.selectOption('#days', '1'); // reloads the figures
    await page.waitForFunction(() => document.getElementById('fig-requests')!.textContent === '1');
    expect(await page.locator(`#top-keys tr[data-key="${keyId}"]`).innerText()).toContain('web-backend');

    await row.getByRole('button', { name: 'Rotate' }).click();
    await page.waitForFunction((old) => document.getElementById('secret')!.textContent !== old, secret);
    const rotated = await page.locator('#secret').innerText();
    expect(rotated).toMatch(/^gw-/);
    expect(await page.locator('#secret-for').innerText()).toContain(`same key id ${keyId}`);
    expect((await chat(rotated)).status).toBe(200);
    expect((await chat(secret)).status).toBe(401);
    // Refusals by cause: the old secret's 401 never reached the pipeline; a budget refusal does.
    const big = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${rotated}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16_000_000, messages: [{ role: 'user', content: 'x' }] }) });
    expect(big.status).toBeGreaterThanOrEqual(400);
    await page.waitForSelector('#audit-table tr[data-action="key.rotate"]');
    expect(await page.locator('#audit-table tbody tr').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining('key.create')]));
    // One key, one row, whatever its secret: the usage of both secrets is on it.
    await page.selectOption('#days', '7');
    await page.waitForFunction(() => document.getElementById('fig-requests')!.textContent === '3');
    expect(await page.locator('#top-keys tbody tr').count()).toBe(1);
    expect(await page.locator('#refusals tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#refusals tbody tr').first().getAttribute('data-cause')).toMatch(/^[a-z_]+$/);
    await page.screenshot({ path: fromRoot('test', '.tmp', 'console-admin.png'), fullPage: true });
    await page.close();
  });

  it('team admin: manages its own team only (no teams panel, no team picker)', async () => {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ team: 'default', name: 'lead', role: 'team_admin' }) });
    const lead = (await res.json()).secret;
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, lead);
    await page.waitForSelector('body[data-console=ready]');
    expect(await page.locator('#teams-panel').isHidden()).toBe(true);
    expect(await page.locator('#team').isDisabled()).toBe(true);
    expect(await page.locator('#who').innerText()).toBe('team admin · team default');
    expect(await page.locator('#keys-team').innerText()).toBe('team default');
    expect(await page.locator('#keys-table tbody tr').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining('lead')]));
    // The config key is read-only here (its secret is in the file) but can be revoked.
    const configKey = page.locator('#keys-table tr[data-key="test"]');
    expect(await configKey.innerText()).toContain('read-only');
    // A daily budget for a key, set from the console (the server checks it against the team's limits).
    await page.fill('#key-name', 'batch');
    await page.click('#key-form button[type=submit]');
    const batch = page.locator('#keys-table tbody tr').filter({ hasText: 'batch' });
    await batch.waitFor();
    page.removeAllListeners('dialog');
    page.on('dialog', (d) => void (d.type() === 'prompt' ? d.accept('2.5') : d.accept()));
    await batch.getByRole('button', { name: 'Budget' }).click();
    await page.waitForSelector('#budgets tr[data-scope^="key:"]');
    expect(await page.locator('#budgets tr[data-scope^="key:"]').first().innerText()).toContain('$2.50');
    // Rate limits and a model list, from the console too; a model the catalog does not know is refused, named.
    page.removeAllListeners('dialog');
    page.on('dialog', (d) => void (d.type() === 'prompt' ? d.accept('30, 50000') : d.accept()));
    await page.locator('#keys-table tbody tr').filter({ hasText: 'batch' }).getByRole('button', { name: 'Limits' }).click();
    await expect.poll(async () => (await gw.runtime.store.listKeys('default')).find((k) => k.name === 'batch')?.rateLimits).toEqual({ rpm: 30, tpm: 50000 });
    page.removeAllListeners('dialog');
    page.on('dialog', (d) => void (d.type() === 'prompt' ? d.accept('gtp-4o') : d.accept()));
    await page.locator('#keys-table tbody tr').filter({ hasText: 'batch' }).getByRole('button', { name: 'Models' }).click();
    await expect.poll(() => page.locator('#console-error').innerText()).toContain('gtp-4o');
    await page.close();
  });

  it('a viewer on a phone (390×844): every money column on screen, nothing scrolls sideways; a failed load clears the figures', async () => {
    expect((await chat(TEST_KEY)).status).toBe(200);
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await signIn(page, TEST_KEY);
    expect(await page.locator('#console').isHidden()).toBe(true); // a viewer has no console
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    for (const table of ['budgets', 'top-keys', 'models']) {
      const cells = page.locator(`#${table} td.money`);
      expect(await cells.count(), table).toBeGreaterThan(0);
      for (const box of await cells.evaluateAll((els) => els.map((e) => e.getBoundingClientRect()))) {
        expect(box.right, table).toBeLessThanOrEqual(390);
        expect(box.width, table).toBeGreaterThan(20);
      }
      // No scrolling inside the table either: the money is visible without swiping.
      expect(await page.locator(`#${table}`).evaluate((t) => t.parentElement!.scrollWidth - t.parentElement!.clientWidth), table).toBeLessThanOrEqual(0);
    }
    await page.screenshot({ path: fromRoot('test', '.tmp', 'console-phone.png'), fullPage: true });

    await page.route('**/dashboard/api/summary**', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { message: 'The gateway cannot verify keys right now.', type: 'server_error', param: null, code: 'state_unavailable' } }) }));
    await page.selectOption('#days', '30');
    await page.waitForSelector('body[data-state=error]');
    expect(await page.locator('#fig-spend').innerText()).toBe('–');
    expect(await page.locator('#models tbody tr').count()).toBe(0);
    expect(await page.locator('#board-error').innerText()).toContain('cannot verify keys');
    await page.close();
  });
});
