/**
 * /metrics names every team with its spend and remaining budget, so the public API port must not hand it to
 * anyone who can reach the gateway (issue 18.4): by default it refuses there and says how to scrape it; with
 * `server.metrics.token` it answers the bearer of that token only; on an operator listener it is open (or
 * token-protected when a token is set).
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { fromRoot } from '../../src/paths.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const TEAMS = { 'acme-secret-project': { allowedModels: ['*'], budgets: [{ period: 'daily', usd: '5' }] } };
const KEYS = [{ id: 'acme-key', team: 'acme-secret-project', key: TEST_KEY }];

describe('/metrics does not leak tenants', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  async function withTraffic(overrides: Record<string, any>, check: (gw: TestGateway) => Promise<void>) {
    const gw = await startTestGateway(upstream, { teams: TEAMS, keys: KEYS, ...overrides });
    try {
      await gw.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      await new Promise((r) => setTimeout(r, 30)); // settlement (and the budget gauge) after the response
      await check(gw);
    } finally {
      await gw.close();
    }
  }

  it('by default the public port refuses /metrics (401 metrics_unauthorized, says how) and names no team, also to a gateway key', async () => {
    await withTraffic({}, async (gw) => {
      for (const headers of [{}, { authorization: `Bearer ${TEST_KEY}` }, { authorization: 'Bearer ' }] as Record<string, string>[]) {
        const res = await fetch(`${gw.url}/metrics`, { headers });
        const text = await res.text();
        expect(res.status).toBe(401);
        expect(text).not.toContain('acme-secret-project');
        expect(text).not.toContain('gateway_budget');
        const body = JSON.parse(text);
        expect(body.error.code).toBe('metrics_unauthorized');
        expect(body.error.message).toContain('server.metrics.token');
        expect(body.error.message).toContain('server.metrics.port');
      }
    });
  });

  it('with server.metrics.token the public port answers only that bearer; a reload rotates it', async () => {
    await withTraffic({ server: { metrics: { token: 'prom-token-1' } } }, async (gw) => {
      expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer prom-token-2' } })).status).toBe(401);
      const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer prom-token-1' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('gateway_requests_total{status="200",code="none",team="acme-secret-project"');
      gw.runtime.config.server.metrics.token = 'prom-token-2'; // what a reload does: read per request
      expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer prom-token-1' } })).status).toBe(401);
      expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer prom-token-2' } })).status).toBe(200);
    });
  });

  it('on an operator listener (server.metrics.port) it is open, or needs the token when one is set', async () => {
    const port = await freePort();
    await withTraffic({ server: { metrics: { port, host: '127.0.0.1' } } }, async (gw) => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('team="acme-secret-project"');
      expect((await fetch(`${gw.url}/metrics`)).status).toBe(404); // not on the API port at all
    });
    const port2 = await freePort();
    await withTraffic({ server: { metrics: { port: port2, host: '127.0.0.1', token: 'side-token' } } }, async () => {
      expect((await fetch(`http://127.0.0.1:${port2}/metrics`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port2}/metrics`, { headers: { authorization: 'Bearer side-token' } })).status).toBe(200);
    });
  });

  it('the default config reads the token from GATEWAY_METRICS_TOKEN and keeps /metrics closed without it', () => {
    const saved = process.env.GATEWAY_METRICS_TOKEN;
    try {
      delete process.env.GATEWAY_METRICS_TOKEN;
      expect(loadConfigFile(fromRoot('config', 'gateway.yaml')).server.metrics).toMatchObject({ enabled: true, token: '' });
      process.env.GATEWAY_METRICS_TOKEN = 'from-env';
      expect(loadConfigFile(fromRoot('config', 'gateway.yaml')).server.metrics.token).toBe('from-env');
    } finally {
      if (saved === undefined) delete process.env.GATEWAY_METRICS_TOKEN;
      else process.env.GATEWAY_METRICS_TOKEN = saved;
    }
  });
});
