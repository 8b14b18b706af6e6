import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStateStore, StateUnavailableError, type StateStore } from '../../src/state/index.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from './redis-server.js';
import { runStateStoreContract } from './state-store.contract.js';

const available = redisServerAvailable();
if (!available.ok) console.warn(`[redis-store.test] skipped: ${available.reason}`);

describe.skipIf(!available.ok)('redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  runStateStoreContract('redis', {
    open: () => createRedisStateStore({ url: server.url, keyPrefix: 'contract:' }),
  });

  describe('two stores on one Redis (two replicas)', () => {
    it('share one budget and one rate limit', async () => {
      const a = await createRedisStateStore({ url: server.url, keyPrefix: 'replicas:' });
      const b = await createRedisStateStore({ url: server.url, keyPrefix: 'replicas:' });
      try {
        const scopes = [{ scope: 'team:shared' as const, budgets: [{ period: 'daily' as const, usdMicros: 100 }] }];
        const now = Date.UTC(2024, 0, 1, 12);
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).reserve({ requestId: `r${i}`, scopes, costMicros: 10, tokens: 0, leaseMs: 10_000, now })),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(10);
        // The other replica settles a reservation (teamId given: it never saw it); then the owner cannot settle again.
        const i = results.findIndex((r) => r.ok);
        const [owner, other] = i % 2 ? [a, b] : [b, a];
        expect((await other.settle({ requestId: `r${i}`, teamId: 'shared', costMicros: 10, tokens: 0, now })).settled).toBe(true);
        expect((await owner.settle({ requestId: `r${i}`, costMicros: 10, tokens: 0, now })).settled).toBe(false);
        const [status] = await a.getBudgetStatus(scopes, { now });
        expect(status).toMatchObject({ spentMicros: 10, reservedMicros: 90 });
        const limits = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).rateLimit({ scope: 'key:shared', rpm: 7, tokens: 1, now })),
        );
        expect(limits.filter((r) => r.allowed)).toHaveLength(7);
        // An admin change on one replica is seen by the other at the next call.
        await a.upsertTeam({ id: 'shared', name: 'S', allowedModels: ['*'], budgets: [], policy: {}, createdAt: now, updatedAt: now });
        await a.createKey({ id: 'k-shared', teamId: 'shared', name: 'k', prefix: 'sk', hash: 'h-shared', createdAt: now, budgets: [] });
        expect(await b.getKeyByHash('h-shared')).toMatchObject({ id: 'k-shared' });
        await b.revokeKey('k-shared', now + 1);
        expect((await a.getKeyByHash('h-shared'))?.revokedAt).toBe(now + 1);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('key and team read on every request', () => {
    it('reuses unchanged documents (stable budgets for the plan cache) and sees another replica\'s revocation and edits at once', async () => {
      const a = await createRedisStateStore({ url: server.url, keyPrefix: 'principal:' });
      const b = await createRedisStateStore({ url: server.url, keyPrefix: 'principal:' });
      try {
        const t0 = Date.UTC(2024, 0, 1);
        await b.upsertTeam({ id: 'p', name: 'P', allowedModels: ['*'], budgets: [{ period: 'daily', usdMicros: 5 }], policy: {}, createdAt: t0, updatedAt: t0 });
        await b.createKey({ id: 'pk', teamId: 'p', name: 'pk', prefix: 'sk-gw', hash: 'h-pk', createdAt: t0, budgets: [{ period: 'monthly', usdMicros: 9 }] });
        const first = (await a.getKeyAndTeamByHash!('h-pk'))!;
        const second = (await a.getKeyAndTeamByHash!('h-pk'))!;
        expect(second.key.budgets).toBe(first.key.budgets);
        expect(second.team!.budgets).toBe(first.team!.budgets);
        await b.revokeKey('pk', t0 + 1);
        expect((await a.getKeyAndTeamByHash!('h-pk'))!.key.revokedAt).toBe(t0 + 1);
        await b.upsertTeam({ ...first.team!, budgets: [{ period: 'daily', usdMicros: 1 }], updatedAt: t0 + 2 });
        expect((await a.getKeyAndTeamByHash!('h-pk'))!.team!.budgets).toEqual([{ period: 'daily', usdMicros: 1 }]);
        await b.touchKey('pk', t0 + 3);
        expect((await a.getKeyAndTeamByHash!('h-pk'))!.key.lastUsedAt).toBe(t0 + 3);
        expect(first.key.lastUsedAt).toBeUndefined();
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('Redis going away', () => {
    let store: StateStore;
    afterAll(async () => {
      await store?.close();
    });

    it('times out instead of hanging when Redis stops answering', async () => {
      store = await createRedisStateStore({ url: server.url, keyPrefix: 'hang:' });
      await store.ping();
      server.pause();
      try {
        const t0 = performance.now();
        const err = await store.getKeyByHash('x').then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StateUnavailableError);
        expect(performance.now() - t0).toBeLessThan(1000);
      } finally {
        server.resume();
      }
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
    });

    it('a ledger write that timed out but landed is not counted again by its retry', async () => {
      store = await createRedisStateStore({ url: server.url, keyPrefix: 'lost-reply:', commandTimeoutMs: 200 });
      const rec = { at: Date.UTC(2024, 0, 1), teamId: 't', keyId: 'k', model: 'm', provider: 'p', requests: 1, promptTokens: 4, completionTokens: 1, cachedTokens: 0, costMicros: 9, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0, writeId: 'w1' };
      await store.ping();
      server.pause();
      try {
        // Redis has the command in its socket buffer; the caller gives up before the reply.
        const err = await store.recordUsage(rec).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StateUnavailableError);
        expect((err as StateUnavailableError).mayHaveApplied).toBe(true); // the caller cannot tell: retry idempotently
      } finally {
        server.resume();
      }
      await store.ping();
      await store.recordUsage(rec); // the retry queue's second attempt
      const rows = await store.queryUsage({ from: rec.at, to: rec.at + 3_600_000, granularity: 'hour', teamId: 't' });
      expect(rows.map((r) => [r.requests, r.promptTokens, r.costMicros])).toEqual([[1, 4, 9]]);
      await store.close();
    });

    it('fails fast with StateUnavailableError while down and recovers when Redis is back', async () => {
      store = await createRedisStateStore({ url: server.url, keyPrefix: 'outage:' });
      await store.upsertTeam({ id: 'o', name: 'O', allowedModels: ['*'], budgets: [], policy: {}, createdAt: 1, updatedAt: 1 });
      await server.stop();
      const calls: (() => Promise<unknown>)[] = [
        () => store.getKeyByHash('x'),
        () => store.reserve({ requestId: 'o1', teamId: 'o', scopes: [{ scope: 'team:o', budgets: [{ period: 'daily', usdMicros: 10 }] }], costMicros: 1, tokens: 0, leaseMs: 1000 }),
        () => store.rateLimit({ scope: 'key:o', rpm: 5, tokens: 0 }),
        () => store.ping(),
      ];
      for (const call of calls) {
        const t0 = performance.now();
        const err = await call().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StateUnavailableError);
        expect((err as StateUnavailableError).mayHaveApplied).toBe(false); // nothing was sent: nothing to undo
        expect(performance.now() - t0).toBeLessThan(1000);
      }
      await server.start();
      const deadline = Date.now() + 5_000;
      let ok = false;
      while (!ok && Date.now() < deadline) {
        ok = await store.ping().then(() => true, () => false);
        if (!ok) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ok).toBe(true);
      // The restarted server is empty (no persistence) and lost its script cache: scripts reload transparently.
      expect((await store.rateLimit({ scope: 'key:o', rpm: 5, tokens: 0 })).allowed).toBe(true);
      expect(await store.getTeam('o')).toBeUndefined();
    });
  });
});
