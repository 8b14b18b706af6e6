/**
 * `--workers N` (GATEWAY_WORKERS): N processes on the same port, every core serving, budgets still exact (Redis
 * state); refused with the reason on the embedded SQLite store.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { baseConfig, TEST_KEY } from '../helpers/test-gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../state/redis-server.js';
import { createRedisStateStore } from '../../src/state/redis/redis-state-store.js';

const available = redisServerAvailable();
if (!available.ok) console.warn(`skipping --workers tests: ${available.reason}`);

const logLines = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

describe.skipIf(!available.ok)('--workers', () => {
  let redis: RedisServer;
  let upstream: FakeUpstream;
  let gw: GatewayProcess | undefined;
  let dir: string;
  const budgets = [{ period: 'daily' as const, tokens: 600 }];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-workers-'));
    redis = await startRedisServer();
    upstream = await startFakeUpstream();
  }, 30_000);
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
    await redis?.stop();
  });

  it('two workers share the port, both serve, and a budget holds exactly across them', async () => {
    const cfg = baseConfig(upstream, { state: { kind: 'redis', redisUrl: redis.url }, teams: { default: { allowedModels: ['*'], budgets } } });
    const file = join(dir, 'redis.yaml');
    writeFileSync(file, stringify(cfg));
    gw = await startGatewayProcess(file, { GATEWAY_WORKERS: '2' });
    for (let i = 0; i < 600 && !/all workers listening/.test(gw.output()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(gw.output()).toMatch(/all workers listening/);
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => client.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 30, messages: [{ role: 'user', content: `question ${i}` }] })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(60);
    await new Promise((r) => setTimeout(r, 300));
    const store = await createRedisStateStore({ url: redis.url });
    try {
      const [status] = await store.getBudgetStatus([{ scope: 'team:default', budgets }], { teamId: 'default' });
      expect(status!.spentTokens).toBeLessThanOrEqual(600);
      expect(status!.reservedTokens).toBe(0);
    } finally {
      await store.close();
    }
    const served = new Set(logLines(gw.output()).filter((l) => l.msg === 'chat completion').map((l) => l.worker));
    expect([...served].sort()).toEqual([0, 1]);
    expect(await gw.stop()).toBe(0);
    gw = undefined;
  }, 150_000);

  it('is refused on the SQLite store, with the reason', async () => {
    const cfg = baseConfig(upstream, { state: { kind: 'sqlite', dataDir: join(dir, 'data') } });
    const file = join(dir, 'sqlite.yaml');
    writeFileSync(file, stringify(cfg));
    await expect(startGatewayProcess(file, { GATEWAY_WORKERS: '2' })).rejects.toThrow(/exited \(2\)[\s\S]*needs state.kind: redis/);
  }, 30_000);
});
