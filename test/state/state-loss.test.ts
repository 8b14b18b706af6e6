/**
 * Losing Redis state (a restart without persistence) does not lock everyone out: the gateway notices the new data
 * set, writes the config's teams and keys again, says so in the log and on /readyz, and a settlement whose
 * reservation vanished is logged as what it is (nothing recorded), not as a write that landed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from './redis-server.js';

const available = redisServerAvailable();
if (!available.ok) console.warn(`skipping Redis state-loss tests: ${available.reason}`);

describe.skipIf(!available.ok)('a Redis that lost its data', () => {
  let redis: RedisServer;
  let upstream: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = await startRedisServer(); // no persistence: a restart empties it
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, {
      state: { kind: 'redis', redisUrl: redis.url },
      teams: { default: { allowedModels: ['*'], budgets: [{ period: 'daily', tokens: 1_000_000 }] } },
    });
  }, 30_000);
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await redis?.stop();
  });

  const ask = () => gw.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

  it("is noticed at the first unknown key: the config's teams and keys are applied again, no 401", async () => {
    await ask();
    await redis.stop();
    await redis.start();
    await new Promise((r) => setTimeout(r, 300)); // the client reconnects
    const results = await Promise.allSettled(Array.from({ length: 20 }, ask));
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const lost = gw.logs.filter((l) => /state store lost its data/.test(l.msg));
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(gw.logs.some((l) => l.msg === 'state store restored from the config' && l.teams >= 1 && l.keys >= 1)).toBe(true);
    const ready = await (await fetch(`${gw.url}/readyz`)).json();
    expect(ready.checks.state).toMatchObject({ status: 'ok', data: 'ok', restores: 1, lastLossAt: expect.any(String) });
    // A wrong key is still refused.
    await expect(gw.client({ apiKey: 'gw-not-a-key' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow(/Incorrect API key/);
  });

  it('/readyz notices it by itself, and a settlement whose reservation vanished says nothing was recorded', async () => {
    const before = gw.logs.length;
    upstream.enqueue({ chunkDelayMs: 150 });
    const stream = await gw.client().chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'one two three four' }] });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await redis.stop();
    await redis.start();
    await new Promise((r) => setTimeout(r, 300));
    const ready = await (await fetch(`${gw.url}/readyz`)).json();
    expect(ready.checks.state).toMatchObject({ data: 'ok', restores: 2 });
    while (!(await it.next()).done);
    await new Promise((r) => setTimeout(r, 200));
    // The stream's own settlement (a write deferred from the previous test may land in this window too).
    const streamLine = gw.logs.slice(before).filter((l) => l.msg === 'chat completion').at(-1)!;
    const nothing = gw.logs.slice(before).filter((l) => /found no reservation/.test(l.msg) && l.reqId === streamLine.reqId);
    expect(nothing.length).toBe(1);
    expect(nothing[0]).toMatchObject({ level: 40, write: 'budget settlement' });
    expect(gw.logs.some((l) => l.msg === 'deferred accounting write landed' && l.write === 'budget settlement')).toBe(false);
  });
});
