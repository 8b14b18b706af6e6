/**
 * Metrics per Prometheus conventions (issue 21.7), end to end on a gateway: the error code tells a budget 429
 * from a rate-limit 429, budgets have a limit and a remaining metric per unit, per-key series stay within
 * their bound, and Node's process metrics keep their standard names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startMetricsGateway, type MetricsGateway } from './metrics-gateway.js';

const keys = ['a', 'b', 'c'].map((n) => ({ id: `key-${n}`, team: n === 'c' ? 'limited' : 'budgeted', key: `gw-metrics-conv-${n}-0123456789abcdefghijklmn` }));

function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('metrics conventions', () => {
  let upstream: FakeUpstream;
  let gw: MetricsGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startMetricsGateway(upstream, {
      server: { metrics: { keySeries: 2 } },
      teams: {
        budgeted: { allowedModels: ['*'], budgets: [{ period: 'daily', usd: '0.002' }, { period: 'monthly', tokens: 100000 }] },
        limited: { allowedModels: ['*'], rateLimits: { rpm: 1 } },
      },
      keys,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const chat = (key: string, max_tokens = 16) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens, messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('labels request counters with the error code, separates budget metrics by unit, bounds per-key series', async () => {
    const [a, b, c] = keys.map((k) => k.key);
    expect((await chat(a)).status).toBe(200);
    expect((await chat(b)).status).toBe(200);
    // A hold far above $0.002: refused by the budget.
    expect((await chat(a, 16_000)).status).toBe(429);
    expect((await chat(c)).status).toBe(200);
    expect((await chat(c)).status).toBe(429); // rpm 1
    await new Promise((r) => setTimeout(r, 50));
    const text = await gw.scrape();
    const s = samples(text);
    const L = 'model="gpt-4o-mini",provider="openai"';
    // Refused at admission, before a provider was chosen.
    expect(s.get('gateway_requests_total{status="429",code="budget_exceeded",team="budgeted",model="gpt-4o-mini",provider="none"}')).toBe(1);
    expect(s.get('gateway_requests_total{status="429",code="rate_limit_exceeded",team="limited",model="gpt-4o-mini",provider="none"}')).toBe(1);
    expect(s.get(`gateway_requests_total{status="200",code="none",team="budgeted",${L}}`)).toBe(2);

    expect(s.get('gateway_budget_limit_usd{team="budgeted",period="daily"}')).toBe(0.002);
    const left = s.get('gateway_budget_remaining_usd{team="budgeted",period="daily"}')!;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(0.002);
    expect(s.get('gateway_budget_limit_tokens{team="budgeted",period="monthly"}')).toBe(100000);
    expect(s.get('gateway_budget_remaining_tokens{team="budgeted",period="monthly"}')).toBeLessThan(100000);
    expect(text).not.toMatch(/^gateway_budget_remaining\{/m);

    // keySeries: 2 — the first two keys seen have series of their own, the third is `other`.
    expect(s.get('gateway_key_requests_total{team="budgeted",key="key-a",code="none"}')).toBe(1);
    expect(s.get('gateway_key_requests_total{team="budgeted",key="key-a",code="budget_exceeded"}')).toBe(1);
    expect(s.get('gateway_key_requests_total{team="budgeted",key="key-b",code="none"}')).toBe(1);
    expect(s.get('gateway_key_requests_total{team="limited",key="other",code="rate_limit_exceeded"}')).toBe(1);
    expect(text).not.toContain('key="key-c"');
    expect(s.get('gateway_key_cost_usd_total{team="budgeted",key="key-a"}')).toBeGreaterThan(0);

    expect(s.has('process_cpu_seconds_total')).toBe(true);
    expect(s.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });

  it('per-key series are off by default', async () => {
    const other = await startMetricsGateway(upstream);
    try {
      await fetch(`${other.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer gw-test-key-0123456789abcdefghijklmnopqrstuvwxyz`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(await other.scrape()).not.toContain('gateway_key_requests_total{');
    } finally {
      await other.close();
    }
  });
});

describe('deploy/grafana/dashboards/ai-gateway.json', () => {
  it('queries only metrics a gateway exports (names checked against a real /metrics after traffic)', async () => {
    const { readFileSync } = await import('node:fs');
    const { fromRoot } = await import('../../src/paths.js');
    const dash = JSON.parse(readFileSync(fromRoot('deploy', 'grafana', 'dashboards', 'ai-gateway.json'), 'utf8'));
    const upstream = await startFakeUpstream();
    const gw = await startMetricsGateway(upstream, { teams: { default: { allowedModels: ['*'], budgets: [{ period: 'daily', usd: '5', tokens: 1_000_000 }] } } });
    try {
      await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer gw-test-key-0123456789abcdefghijklmnopqrstuvwxyz`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      }).then((r) => r.text());
      const text = await gw.scrape();
      // Every metric family the exposition declares (# TYPE lines), histograms' _bucket/_sum/_count included.
      const families = new Set<string>();
      for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        families.add(m[1]);
        if (m[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) families.add(m[1] + suffix);
      }
      const used = new Set<string>();
      for (const p of dash.panels) for (const t of p.targets) for (const m of t.expr.matchAll(/\b((?:gateway|process|nodejs)_[a-z0-9_]+)/g)) used.add(m[1]);
      expect(used.size).toBeGreaterThan(10);
      for (const name of used) expect(families.has(name), name).toBe(true);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
