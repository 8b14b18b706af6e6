import { createServer } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/index.js';
import { createRequestContext } from '../../src/pipeline/context.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { METRICS_TOKEN, startMetricsGateway, type MetricsGateway } from './metrics-gateway.js';

const KEY_ID = 'svc-key-id-7f3a9c';
const SECRET = 'gw-metrics-test-key-0123456789abcdefghijklmnopq';

/** `name{labels} value` lines of the exposition, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('createMetrics', () => {
  it('records a finished request: count, latency, overhead, TTFT, tokens, cost, cache, upstream errors', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const ctx = createRequestContext('req_1');
    Object.assign(ctx, {
      principal: { team: { id: 'team-a' }, key: { id: 'secret-key-id' } },
      model: { name: 'gpt-4o-mini', targets: [] },
      target: { provider: 'openai', upstreamModel: 'gpt-4o-mini' },
      stream: true,
      status: 200,
      ttfbMs: 120,
      upstreamMs: 100,
      usage: { promptTokens: 40, completionTokens: 60, cachedTokens: 8, cacheWriteTokens: 0, estimated: false },
      costMicros: 1_500,
      cache: 'miss',
    });
    ctx.attempts.push({ provider: 'anthropic', model: 'claude', ok: false, errorClass: 'rate_limited', status: 429, ms: 5 });
    ctx.attempts.push({ provider: 'openai', model: 'gpt-4o-mini', ok: true, ms: 100 });
    m.recordRequest(ctx, ctx.startedAt + 900);
    m.recordGuard('pii', 'block');
    m.recordCache('hit', 2_000_000, 3);
    m.setBudgetRemaining('team:team-a', 'monthly', 'usd', 7_250_000, 10_000_000);
    m.setBudgetRemaining('key:secret-key-id', 'daily', 'tokens', 5);
    m.setBreakerState('anthropic', 'claude', 'open');
    const text = await m.render();
    const s = samples(text);
    const L = 'team="team-a",model="gpt-4o-mini",provider="openai"';
    expect(s.get(`gateway_requests_total{status="200",code="none",${L}}`)).toBe(1);
    expect(s.get(`gateway_request_duration_seconds_sum{${L}}`)).toBeCloseTo(0.9, 6);
    expect(s.get(`gateway_request_duration_seconds_bucket{le="1",${L}}`)).toBe(1);
    expect(s.get(`gateway_request_duration_seconds_bucket{le="0.5",${L}}`)).toBe(0);
    expect(s.get('gateway_overhead_seconds_sum{stream="true"}')).toBeCloseTo(0.02, 6); // ttfb 120 − upstream 100
    expect(s.get('gateway_time_to_first_token_seconds_sum{model="gpt-4o-mini",provider="openai"}')).toBeCloseTo(0.12, 6);
    expect(s.get(`gateway_tokens_total{${L},type="prompt"}`)).toBe(40);
    expect(s.get(`gateway_tokens_total{${L},type="completion"}`)).toBe(60);
    expect(s.get(`gateway_tokens_total{${L},type="cached"}`)).toBe(8);
    expect(s.get(`gateway_cost_usd_total{${L}}`)).toBeCloseTo(0.0015, 9);
    expect(s.get('gateway_cache_requests_total{result="miss"}')).toBe(1);
    expect(s.get('gateway_cache_saved_usd_total')).toBe(2);
    expect(s.get('gateway_cache_lookup_seconds_count{result="hit"}')).toBe(1);
    expect(s.get('gateway_upstream_errors_total{provider="anthropic",class="rate_limited"}')).toBe(1);
    expect(s.get('gateway_guard_actions_total{guard="pii",action="block"}')).toBe(1);
    expect(s.get('gateway_budget_remaining_usd{team="team-a",period="monthly"}')).toBe(7.25);
    expect(s.get('gateway_budget_limit_usd{team="team-a",period="monthly"}')).toBe(10);
    expect([...s.keys()].some((k) => k.startsWith('gateway_budget_remaining{'))).toBe(false); // no mixed-unit gauge
    expect(s.get('gateway_circuit_breaker_state{provider="anthropic",model="claude"}')).toBe(2);
    expect(text).not.toContain('secret-key-id');
    expect(await m.latency('team-a')).toMatchObject({ count: 1, p50: expect.any(Number) });
    expect((await m.latency('team-a')).p50!).toBeGreaterThan(500);
    expect((await m.latency('team-a')).p50!).toBeLessThanOrEqual(1000);
    expect(await m.latency('nobody')).toEqual({ count: 0, p50: null, p90: null, p99: null });
  });

  it('caps model label values so clients cannot create series without bound', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 260; i++) {
      const ctx = createRequestContext(`r${i}`);
      Object.assign(ctx, { status: 404, model: { name: `openai/invented-${i}`, targets: [] } });
      m.recordRequest(ctx);
    }
    const s = samples(await m.render());
    const models = new Set([...s.keys()].filter((k) => k.startsWith('gateway_requests_total')).map((k) => /model="([^"]*)"/.exec(k)![1]));
    expect(models.size).toBe(201);
    expect(s.get('gateway_requests_total{status="404",code="internal_error",team="none",model="other",provider="none"}')).toBe(60);
  });
});

describe('GET /metrics on a gateway', () => {
  let upstream: FakeUpstream;
  let gw: MetricsGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startMetricsGateway(upstream, { keys: [{ id: KEY_ID, team: 'default', key: SECRET }] });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('exposes request, latency, token and cost series after chat requests, with no key ids or secrets', async () => {
    const client = new OpenAI({ apiKey: SECRET, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    const stream = await client.chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const _ of stream);
    upstream.enqueue({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'fail' }] }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50)); // settlement runs after the response

    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await res.text();
    const s = samples(text);
    expect(s.get('gateway_requests_total{status="200",code="none",team="default",model="gpt-4o-mini",provider="openai"}')).toBe(1);
    expect(s.get('gateway_requests_total{status="200",code="none",team="default",model="claude-haiku-4-5",provider="anthropic"}')).toBe(1);
    expect([...s.keys()].some((k) => /^gateway_requests_total\{status="5\d\d",code="upstream_error",team="default",model="gpt-4o-mini"/.test(k))).toBe(true);
    expect(s.get('gateway_time_to_first_token_seconds_count{model="claude-haiku-4-5",provider="anthropic"}')).toBe(1);
    expect(s.get('gateway_tokens_total{team="default",model="gpt-4o-mini",provider="openai",type="prompt"}')).toBeGreaterThan(0);
    expect(s.get('gateway_cost_usd_total{team="default",model="gpt-4o-mini",provider="openai"}')).toBeGreaterThan(0);
    expect([...s.keys()].some((k) => k.startsWith('gateway_upstream_errors_total{provider="openai"'))).toBe(true);
    expect(s.get('gateway_overhead_seconds_count{stream="false"}')).toBeGreaterThanOrEqual(2);
    // Node's standard process metrics, under their standard names (dashboards for any Node service work).
    expect(s.has('process_cpu_seconds_total')).toBe(true);
    expect(s.has('nodejs_heap_size_used_bytes')).toBe(true);
    expect([...s.keys()].some((k) => k.startsWith('gateway_process_') || k.startsWith('gateway_nodejs_'))).toBe(false);
    expect(text).not.toContain(KEY_ID);
    expect(text).not.toContain(SECRET.slice(0, 12));
  });
});

describe('placement of /metrics and /admin', () => {
  it('moves both to a separate listener when given a port, and 404s them when disabled', async () => {
    const upstream = await startFakeUpstream();
    const port = await freePort();
    const gw = await startMetricsGateway(upstream, {
      server: { adminToken: 'tok', admin: { port, host: '127.0.0.1' }, metrics: { port, host: '127.0.0.1', token: '' } },
    });
    try {
      expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
      expect((await fetch(`${gw.url}/admin/teams`, { headers: { authorization: 'Bearer tok' } })).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
      const teams = await fetch(`http://127.0.0.1:${port}/admin/teams`, { headers: { authorization: 'Bearer tok' } });
      expect((await teams.json()).data.length).toBe(2);
      expect((await fetch(`http://127.0.0.1:${port}/v1/models`)).status).toBe(404);
    } finally {
      await gw.close();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow(); // closed with the gateway

    const off = await startMetricsGateway(upstream, { server: { adminToken: 'tok', admin: { enabled: false }, metrics: { enabled: false } } });
    try {
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
      expect((await fetch(`${off.url}/admin/teams`, { headers: { authorization: 'Bearer tok' } })).status).toBe(404);
    } finally {
      await off.close();
      await upstream.close();
    }
  });
});
