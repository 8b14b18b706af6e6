/**
 * The console's prompt templates panel in a real browser (Debian's chromium, playwright-core): a gateway admin
 * creates and publishes a template, adds a draft, publishes it and rolls back, and an API client's answers follow
 * each step; a team admin sees global templates without the buttons it may not use.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.js';
import { adminRequest } from '../helpers/admin-request.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

const ADMIN = 'templates-console-admin-token-0123456789';

describeInBrowser('prompt templates in the console (chromium)', () => {
  let upstream: FakeUpstream;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, { server: { adminToken: ADMIN } });
    browser = await launchChromium();
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
    await page.waitForSelector('body[data-console=ready]');
  }
  const ask = async () => (await gw.client().responses.create({ prompt: { id: 'welcome', variables: { name: 'Ada' } } })).output_text;
  const versionsCell = (page: Page) => page.locator('#templates-table tr[data-template="welcome"] td').nth(2);

  it('gateway admin: create + publish, add a draft, publish it, roll back; the client follows each step', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, ADMIN);
    await page.fill('#template-id', 'welcome');
    await page.fill('#template-model', 'gpt-4o-mini');
    await page.fill('#template-user', 'Hi {{name}}');
    await page.check('#template-publish');
    await page.click('#template-form button[type=submit]');
    await page.waitForSelector('#templates-table tr[data-template="welcome"]');
    expect(await versionsCell(page).innerText()).toBe('v1 published');
    expect(await ask()).toBe('Hello from gpt-4o-mini: Hi Ada');

    await page.fill('#template-user', 'Bye {{name}}');
    await page.uncheck('#template-publish');
    await page.click('#template-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#templates-table tr[data-template="welcome"]')?.textContent?.includes('v2 draft'));
    expect(await ask()).toBe('Hello from gpt-4o-mini: Hi Ada'); // a draft changes nothing

    await page.locator('#templates-table tr[data-template="welcome"] button', { hasText: 'Publish' }).click();
    await page.waitForFunction(() => document.querySelector('#templates-table tr[data-template="welcome"]')?.textContent?.includes('v2 published'));
    expect(await ask()).toBe('Hello from gpt-4o-mini: Bye Ada');

    await page.locator('#templates-table tr[data-template="welcome"] button', { hasText: 'Roll back' }).click();
    await page.waitForFunction(() => document.querySelector('#templates-table tr[data-template="welcome"]')?.textContent?.includes('v1 published'));
    expect(await ask()).toBe('Hello from gpt-4o-mini: Hi Ada');
    // Usage per version: v1 answered three requests, v2 one.
    await page.reload();
    await page.waitForSelector('body[data-console=ready]');
    const usage = page.locator('#templates-table tr[data-template="welcome"] .usage');
    await usage.waitFor();
    expect(await usage.innerText()).toMatch(/^v1: 3 req, \$0\.\d{4}; v2: 1 req, \$0\.\d{4}$/);
    await page.close();
  });

  it('team admin: sees the global template without buttons, creates one for its own team', async () => {
    const lead = (await adminRequest(gw.url, ADMIN, 'POST', '/keys', { team: 'default', id: 'tpl-lead', role: 'team_admin' })).json.secret;
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, lead);
    const global = page.locator('#templates-table tr[data-template="welcome"]');
    await global.waitFor();
    expect(await global.innerText()).toContain('global');
    expect(await global.locator('button').count()).toBe(0);
    await page.fill('#template-id', 'team-welcome');
    await page.fill('#template-system', 'Be nice to {{name}}');
    await page.click('#template-form button[type=submit]');
    await page.waitForSelector('#templates-table tr[data-template="team-welcome"]');
    expect(await page.locator('#templates-table tr[data-template="team-welcome"]').innerText()).toContain('team default');
    expect((await adminRequest(gw.url, ADMIN, 'GET', '/templates/team-welcome')).json).toMatchObject({ team: 'default', versions: [{ status: 'draft' }] });
    await page.close();
  });
});
