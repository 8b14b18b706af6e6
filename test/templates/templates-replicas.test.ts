/**
 * Templates are shared state: two gateway replicas on one Redis. A template created and published through one
 * replica's admin API is what the other replica's clients get at their next request, and a rollback through the
 * second is seen by the first — no restart, no cache to wait for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../helpers/admin-request.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../state/redis-server.js';

const available = redisServerAvailable();
if (!available.ok) console.warn(`[templates-replicas] skipped: ${available.reason}`);
const ADMIN = 'admin-token-for-template-replicas-0123';

describe.skipIf(!available.ok)('templates across two replicas on one Redis', () => {
  let redis: RedisServer;
  let upstream: FakeUpstream;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    redis = await startRedisServer();
    upstream = await startFakeUpstream();
    const overrides = { server: { adminToken: ADMIN }, state: { kind: 'redis', redisUrl: redis.url } };
    a = await startTestGateway(upstream, overrides);
    b = await startTestGateway(upstream, overrides);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await upstream?.close();
    await redis?.stop();
  });

  it('publishes on one replica, serves on the other; rolls back on the other, seen on the first', async () => {
    const on = (gw: TestGateway) => (method: string, path: string, body?: unknown) => adminRequest(gw.url, ADMIN, method, path, body);
    const ask = async (gw: TestGateway) => (await gw.client().responses.create({ prompt: { id: 'faq', variables: { q: 'hours?' } } })).output_text;
    expect((await on(a)('POST', '/templates', { id: 'faq', messages: [{ role: 'user', content: 'v1: {{q}}' }], model: 'gpt-4o-mini', publish: true })).status).toBe(201);
    expect(await ask(b)).toBe('Hello from gpt-4o-mini: v1: hours?');
    await on(a)('POST', '/templates/faq/versions', { messages: [{ role: 'user', content: 'v2: {{q}}' }], model: 'gpt-4o-mini', publish: true });
    expect(await ask(b)).toBe('Hello from gpt-4o-mini: v2: hours?');
    await on(b)('POST', '/templates/faq/rollback');
    expect(await ask(a)).toBe('Hello from gpt-4o-mini: v1: hours?');
    expect((await on(a)('GET', '/templates/faq')).json).toMatchObject({ published: 1, history: [{ version: 1 }, { version: 2 }, { version: 1 }] });
  });
});
