/**
 * Admin API edge cases a platform team hits: rotating a key twice, out-of-range times and amounts (400, never a
 * 500 or a stored record that breaks every later listing), and no caching of answers that carry secrets.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { TEST_KEY } from '../helpers/test-gateway.js';
import { useAdminGateway } from '../helpers/admin-request.js';

const ADMIN = 'admin-token-for-edge-tests-0123456789';
const { env, admin } = useAdminGateway(ADMIN);

const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };

describe('rotation', () => {
  it('rotating again with a shorter grace period (e.g. 0 after a leak) ends the old secrets now', async () => {
    const first = (await admin('POST', '/keys', { team: 'default', name: 'leaky' })).json;
    const r1 = (await admin('POST', `/keys/${first.id}/rotate`, { graceSeconds: 3600 })).json;
    const again = await admin('POST', `/keys/${first.id}/rotate`, { graceSeconds: 0 });
    expect(again.status).toBe(201);
    for (const old of [first.secret, r1.secret]) await expect(env.gw.client({ apiKey: old }).chat.completions.create(ask)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(env.gw.client({ apiKey: again.json.secret }).chat.completions.create(ask)).resolves.toBeDefined();
    expect((await admin('GET', `/keys/${first.id}`)).json).toMatchObject({ state: 'active', previousSecret: null });
    expect(Date.parse(again.json.previousSecretValidUntil)).toBeLessThanOrEqual(Date.now());
  });

  it('a key with a revocation scheduled keeps it: a rotation never extends the key past it, and says so', async () => {
    const first = (await admin('POST', '/keys', { team: 'default' })).json;
    const r1 = (await admin('POST', `/keys/${first.id}/rotate`, { graceSeconds: 60 })).json;
    const r2 = (await admin('POST', `/keys/${first.id}/rotate`, { graceSeconds: 7200 })).json;
    expect(Date.parse(r2.previousSecretValidUntil) - Date.parse(r1.previousSecretValidUntil)).toBeGreaterThan(7000_000);
    await expect(env.gw.client({ apiKey: r1.secret }).chat.completions.create(ask)).resolves.toBeDefined();
    await expect(env.gw.client({ apiKey: first.secret }).chat.completions.create(ask)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('rotating an expired key', () => {
  it('is refused (the new secret would copy the expiry and be dead on arrival); extending the expiry first works', async () => {
    const key = (await admin('POST', '/keys', { team: 'default', expiresAt: Date.now() + 50 })).json;
    await new Promise((r) => setTimeout(r, 80));
    const refused = await admin('POST', `/keys/${key.id}/rotate`, { graceSeconds: 0 });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(/expired/);
    await admin('PATCH', `/keys/${key.id}`, { expiresAt: null });
    const rotated = await admin('POST', `/keys/${key.id}/rotate`, { graceSeconds: 0 });
    expect(rotated.status).toBe(201);
    await expect(env.gw.client({ apiKey: rotated.json.secret }).chat.completions.create(ask)).resolves.toBeDefined();
  });
});

describe('out-of-range input is a 400, never a 500', () => {
  it('refuses an expiry beyond what a date can hold, and the key list keeps working', async () => {
    const bad = await admin('POST', '/keys', { team: 'default', id: 'far-future', expiresAt: 9e15 });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'invalid_request', param: 'expiresAt' });
    expect((await admin('GET', '/keys/far-future')).status).toBe(404);
    const { id } = (await admin('POST', '/keys', { team: 'default' })).json;
    expect((await admin('PATCH', `/keys/${id}`, { expiresAt: 8_700_000_000_000_000 })).status).toBe(400);
    expect((await admin('GET', '/keys')).status).toBe(200);
  });

  it('refuses usage ranges beyond what a date can hold', async () => {
    const res = await admin('GET', '/usage?from=0&to=9000000000000000');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'invalid_request', param: 'to' });
  });

  it('refuses budgets finer than a micro-dollar or too large to count, naming the field', async () => {
    for (const usd of ['0.0000001', '99999999999999999999', 1e300]) {
      const res = await admin('POST', '/teams', { id: 'money', budgets: [{ period: 'monthly', usd }] });
      expect(res.status, String(usd)).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'invalid_request', param: 'budgets.0.usd' });
    }
    const { id } = (await admin('POST', '/keys', { team: 'default' })).json;
    expect((await admin('PATCH', `/keys/${id}`, { budgets: [{ period: 'daily', usd: '0.0000001' }] })).status).toBe(400);
    expect((await admin('PUT', '/teams/default/budgets', { budgets: [{ period: 'daily', usd: '1e30' }] })).status).toBe(400);
  });
});

describe('caching of sensitive answers', () => {
  it('admin answers (a new secret, key lists, usage) are marked no-store', async () => {
    const created = await admin('POST', '/keys', { team: 'default' });
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect((await admin('GET', '/keys')).headers.get('cache-control')).toBe('no-store');
    expect((await admin('GET', '/usage.csv')).headers.get('cache-control')).toBe('no-store');
  });

  it('the dashboard identity endpoint is no-store like the summary', async () => {
    const res = await fetch(`${env.gw.url}/dashboard/api/me`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});
