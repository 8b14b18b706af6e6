/**
 * Two gateway processes on one real redis-server: one budget and one rate limit hold across both; Redis going
 * away gives a fast 503 (fail-closed) or unmetered service (fail-open), and everything recovers when it returns.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../state/redis-server.js';
import { baseConfig, TEST_KEY } from '../helpers/test-gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { createRedisStateStore } from '../../src/state/index.js';

const available = redisServerAvailable();
if (!available.ok) console.warn(`skipping redis replica tests: ${available.reason}`);

const chat = (gw: GatewayProcess, key = TEST_KEY) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 20 }),
  });

describe.skipIf(!available.ok)('two gateway replicas on one Redis', () => {
  let redis: RedisServer;
  let upstream: FakeUpstream;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let dir: string;
  const BUDGET_KEY = 'gw-budget-key-0123456789abcdefghijklmnopqrstuv';
  const RATE_KEY = 'gw-rate-key-0123456789abcdefghijklmnopqrstuvwx';

  const writeConfig = (name: string, failMode: 'open' | 'closed') => {
    const cfg = baseConfig(upstream, {
      state: { kind: 'redis', redisUrl: redis.url, failMode },
      teams: { default: { allowedModels: ['*'] }, capped: { allowedModels: ['*'], budgets: [{ period: 'daily', tokens: 300 }] } },
      keys: [
        { id: 'test', team: 'default', key: TEST_KEY },
        { id: 'budget', team: 'capped', key: BUDGET_KEY },
        { id: 'rate', team: 'default', key: RATE_KEY, rateLimits: { rpm: 5 } },
      ],
    });
    cfg.server.logLevel = 'warn';
    const file = join(dir, name);
    writeFileSync(file, stringify(cfg));
    return file;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-replicas-'));
    redis = await startRedisServer({ dir });
    upstream = await startFakeUpstream();
    [a, b] = await Promise.all([startGatewayProcess(writeConfig('a.yaml', 'closed')), startGatewayProcess(writeConfig('b.yaml', 'open'))]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await upstream?.close();
    await redis?.stop();
  });

  it('one rate limit across both: exactly rpm requests pass in a minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await chat(i % 2 ? b : a, RATE_KEY)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
  });

  it('one budget across both: concurrent traffic on both replicas never spends past the limit', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => chat(i % 2 ? b : a, BUDGET_KEY).then((r) => r.status)));
    expect(results.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(results.filter((s) => s === 429).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    const store = await createRedisStateStore({ url: redis.url });
    const [status] = await store.getBudgetStatus([{ scope: 'team:capped', budgets: [{ period: 'daily', tokens: 300 }] }], { teamId: 'capped' });
    await store.close();
    expect(status.spentTokens).toBeLessThanOrEqual(300);
    expect(status.reservedTokens).toBe(0);
  });

  it('Redis stopped: fail-closed answers 503 fast, fail-open serves; both recover when Redis returns', async () => {
    expect((await chat(b)).status).toBe(200); // b has now verified this key
    await redis.stop();
    const t0 = performance.now();
    const closed = await chat(a);
    expect(closed.status).toBe(503);
    expect((await closed.json()).error.code).toBe('state_unavailable');
    expect(performance.now() - t0).toBeLessThan(3000);
    // Fail-open serves keys it verified recently (last known good), unmetered; an unknown key is still refused.
    expect((await chat(b)).status).toBe(200);
    expect((await chat(b, 'gw-never-seen-key-0123456789abcdefghijklmnop')).status).toBe(503);
    await redis.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect((await chat(a)).status).toBe(200);
    expect((await chat(b)).status).toBe(200);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  });
});
