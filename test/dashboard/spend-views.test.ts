/**
 * Spend views (issue 21.4) through the dashboard API: any date range (daily buckets beyond 2 days), per key,
 * provider-prefixed model names merged, refusals named as such, UTC reset times, and a CSV a developer gets with
 * their own team key — scoped like the page (another team or its key is 404).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { OTHER_TEAM_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

const DAY = 86_400_000;
const LIMITED_KEY = 'gw-limited-team-key-0123456789abcdefghijklmnop';
const BROKE_KEY = 'gw-broke-team-key-0123456789abcdefghijklmnopqr';
let upstream: FakeUpstream;
let gw: TestGateway;
const today = Math.floor(Date.now() / DAY) * DAY;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    teams: { default: { allowedModels: ['*'], budgets: [{ period: 'monthly', usd: '50' }] }, other: { allowedModels: ['gpt-4o-mini'] }, limited: { allowedModels: ['*'], rateLimits: { rpm: 1 } }, broke: { allowedModels: ['*'], budgets: [{ period: 'daily', usd: '0.0001' }] } },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'other', team: 'other', key: OTHER_TEAM_KEY },
      { id: 'limited', team: 'limited', key: LIMITED_KEY },
      { id: 'broke', team: 'broke', key: BROKE_KEY },
    ],
  });
  const rec = (at: number, keyId: string, model: string, provider: string, n: Partial<Record<string, number>>, teamId = 'default') =>
    gw.runtime.store.recordUsage({ at, teamId, keyId, model, provider, requests: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costMicros: 0, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0, ...n });
  await rec(today - 10 * DAY + 3_600_000, 'test', 'claude-haiku-4-5', 'anthropic', { requests: 2, costMicros: 2_000_000, promptTokens: 10 });
  await rec(today - 10 * DAY + 7_200_000, 'test', 'anthropic/claude-haiku-4-5', 'anthropic', { requests: 1, costMicros: 500_000, promptTokens: 5 });
  await rec(today - 3 * DAY, 'test', '(unknown)', '(none)', { requests: 4, errors: 4 });
  await rec(today - 3 * DAY, 'other', 'gpt-4o-mini', 'openai', { requests: 9, costMicros: 9_000_000 }, 'other');
  await gw.runtime.store.createKey({ id: 'second', teamId: 'default', name: 'second key', prefix: 'gw-sec', hash: 'f'.repeat(64), createdAt: Date.now(), budgets: [] });
  await rec(today - 2 * DAY, 'second', 'gpt-4o-mini', 'openai', { requests: 3, costMicros: 300_000 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const get = async (path: string, key = TEST_KEY) => {
  const res = await fetch(`${gw.url}/dashboard/api/${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, text: await res.text() };
};
const summary = async (q: string, key = TEST_KEY) => JSON.parse((await get(`summary?${q}`, key)).text);

describe('dashboard spend views', () => {
  it('takes any range: days=14, or from/to UTC dates; hourly up to 2 days, daily beyond', async () => {
    const s14 = await summary('days=14');
    expect(s14.granularity).toBe('day');
    expect(s14.buckets).toHaveLength(14);
    expect(s14.totals.costMicros).toBe(2_800_000);
    expect((await summary('days=2')).granularity).toBe('hour');
    expect((await summary('days=7')).granularity).toBe('day');
    const custom = await summary(`from=${iso(today - 11 * DAY)}&to=${iso(today - 9 * DAY)}`);
    expect(custom).toMatchObject({ granularity: 'day', from: new Date(today - 11 * DAY).toISOString(), to: new Date(today - 8 * DAY).toISOString() });
    expect(custom.totals.costMicros).toBe(2_500_000);
    for (const [q, param] of [['days=0', 'days'], ['days=401', 'days'], ['from=2026-01-05', 'to'], ['from=2026-02-01&to=2026-01-01', 'from'], ['from=2024-01-01&to=2026-01-01', 'from']]) {
      const res = await get(`summary?${q}`);
      expect(res.status, q).toBe(400);
      expect(JSON.parse(res.text).error.param, q).toBe(param);
    }
  });

  it('merges provider-prefixed model names, names refusals, filters by key', async () => {
    const s = await summary('days=14');
    const models = Object.fromEntries(s.models.map((m: any) => [m.model, m]));
    expect(Object.keys(models).sort()).toEqual(['(refused before a model)', 'claude-haiku-4-5', 'gpt-4o-mini']);
    expect(models['claude-haiku-4-5']).toMatchObject({ requests: 3, costMicros: 2_500_000 });
    expect(models['(refused before a model)']).toMatchObject({ requests: 4, errors: 4 });
    const byKey = await summary('days=14&key=second');
    expect(byKey).toMatchObject({ key: 'second', totals: { requests: 3, costMicros: 300_000 } });
    expect(byKey.keys.map((k: any) => k.id).sort()).toEqual(['second', 'test']); // the picker keeps every key of the team
    expect((await get('summary?key=other')).status).toBe(404); // another team's key
  });

  it('breaks refusals and errors down by cause (budget, rate limit, provider errors), from real requests', async () => {
    const code = async (key: string, max_tokens: number) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens }),
      });
      return res.status === 200 ? 'ok' : (await res.json()).error.code;
    };
    expect(await code(LIMITED_KEY, 5)).toBe('ok');
    expect(await code(LIMITED_KEY, 5)).toBe('rate_limit_exceeded'); // rpm 1
    expect(await code(BROKE_KEY, 10_000)).toBe('budget_exceeded'); // the hold does not fit $0.0001
    upstream.enqueue({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    expect(await code(BROKE_KEY, 5)).toBe('upstream_error');
    await new Promise((r) => setTimeout(r, 100));
    const causes = async (key: string) => Object.fromEntries((await summary('days=1', key)).refusals.map((r: any) => [`${r.cause}${r.provider ? ' ' + r.provider : ''}`, r.requests]));
    expect(await causes(LIMITED_KEY)).toEqual({ rate_limit_exceeded: 1 });
    expect(await causes(BROKE_KEY)).toEqual({ budget_exceeded: 1, 'provider_error openai': 1 });
    // The usage export carries the cause as the provider of rows no provider served.
    expect((await get('usage.csv?days=1', LIMITED_KEY)).text).toContain(',(refused: rate_limit_exceeded),');
    expect((await get('usage.csv?days=1', BROKE_KEY)).text).toContain(',(refused: budget_exceeded),');
  });

  it('states budget resets as UTC instants', async () => {
    const b = (await summary('days=1')).budgets.find((x: any) => x.scope === 'team:default');
    expect(b.resetsAt).toMatch(/^\d{4}-\d\d-01T00:00:00\.000Z$/);
  });

  it('exports a CSV with a team key: per UTC day, key and model, merged names, scoped to the team', async () => {
    const res = await get(`usage.csv?days=14`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="spend-default-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv"$/);
    const [header, ...rows] = res.text.trim().split('\r\n');
    expect(header.startsWith('bucket,team,key,model,provider,requests')).toBe(true);
    const claude = rows.filter((r) => r.includes(',claude-haiku-4-5,'));
    expect(claude).toHaveLength(1);
    expect(claude[0]).toContain(',3,'); // 2 + 1 requests in one row
    expect(res.text).not.toContain(',other,');
    expect((await get('usage.csv?team=other')).status).toBe(404);
    const other = await get('usage.csv?days=14', OTHER_TEAM_KEY);
    expect(other.text.trim().split('\r\n').slice(1).every((r) => r.split(',')[1] === 'other')).toBe(true);
  });
});
