/**
 * StateStore cost per request: what the gateway does with its state on every request — getKeyByHash, touchKey,
 * rateLimit, reserve, settle, recordUsage — on SQLite (file, WAL) and Redis (local redis-server, loopback).
 * Sequential (one request at a time: latency) and 32 in flight (throughput). Provisional on a shared machine.
 * Run alone: `npx tsx bench/state.ts` (REDIS_URL=redis://… to use an existing Redis instead of spawning one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRedisStateStore, createSqliteStateStore, type StateStore } from '../src/state/index.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../test/state/redis-server.js';

const SEQUENTIAL = Number(process.env.BENCH_STATE_N ?? 2000);
const CONCURRENT = SEQUENTIAL * 2;
const IN_FLIGHT = 32;

async function seed(store: StateStore): Promise<void> {
  const now = Date.now();
  await store.upsertTeam({ id: 'bench', name: 'Bench', allowedModels: ['*'], budgets: [{ period: 'monthly', usdMicros: 1e12 }], policy: {}, createdAt: now, updatedAt: now });
  for (let i = 0; i < 100; i++) {
    await store.createKey({ id: `k${i}`, teamId: 'bench', name: `k${i}`, prefix: 'sk-gw', hash: `h${i}`, createdAt: now, budgets: [{ period: 'daily', usdMicros: 1e12, tokens: 1e12 }] });
  }
}

let seq = 0;
async function oneRequest(store: StateStore, run: string): Promise<void> {
  const i = seq++;
  const key = (await store.getKeyByHash(`h${i % 100}`))!;
  const now = Date.now();
  void store.touchKey(key.id, now);
  const rl = await store.rateLimit({ scope: `key:${key.id}:${run}`, rpm: 1e9, tpm: 1e12, tokens: 500 });
  if (!rl.allowed) throw new Error('rate limited in bench');
  const scopes = [
    { scope: 'team:bench' as const, budgets: [{ period: 'monthly' as const, usdMicros: 1e12 }] },
    { scope: `key:${key.id}` as const, budgets: key.budgets },
  ];
  const requestId = `${run}-${i}`;
  const r = await store.reserve({ requestId, teamId: 'bench', scopes, costMicros: 2_000, tokens: 1_500, leaseMs: 60_000 });
  if (!r.ok) throw new Error('budget denied in bench');
  await store.settle({ requestId, teamId: 'bench', costMicros: 1_234, tokens: 900 });
  await store.recordUsage({ at: now, teamId: 'bench', keyId: key.id, model: 'gpt-4o-mini', provider: 'openai', requests: 1, promptTokens: 500, completionTokens: 400, cachedTokens: 0, costMicros: 1_234, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 });
}

async function measure(store: StateStore) {
  for (let i = 0; i < 200; i++) await oneRequest(store, 'warm'); // JIT, statement and script caches
  const t0 = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) await oneRequest(store, 'seq');
  const seqUs = ((performance.now() - t0) * 1000) / SEQUENTIAL;
  const t1 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < CONCURRENT) await oneRequest(store, 'conc');
    }),
  );
  const opsPerSec = CONCURRENT / ((performance.now() - t1) / 1000);
  return { seqUs, opsPerSec };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const rows: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'bench-state-'));
  const sqlite = await createSqliteStateStore({ path: join(dir, 'state.db') });
  try {
    await seed(sqlite);
    const m = await measure(sqlite);
    rows.push(`| SQLite (file, WAL) | ${m.seqUs.toFixed(0)} | ${m.opsPerSec.toFixed(0)} |`);
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }

  let server: RedisServer | undefined;
  let url = process.env.REDIS_URL;
  if (!url && redisServerAvailable().ok) {
    server = await startRedisServer();
    url = server.url;
  }
  if (url) {
    const redis = await createRedisStateStore({ url, keyPrefix: `bench-${Date.now()}:` });
    try {
      await seed(redis);
      const m = await measure(redis);
      rows.push(`| Redis (loopback) | ${m.seqUs.toFixed(0)} | ${m.opsPerSec.toFixed(0)} |`);
    } finally {
      await redis.close();
      await server?.stop();
    }
  } else {
    rows.push('| Redis | – | – (no redis-server) |');
  }

  const markdown = [
    '| backend | µs per request (sequential) | requests/s (32 in flight) |',
    '|---|---:|---:|',
    ...rows,
    '',
    `Method: per request getKeyByHash + touchKey + rateLimit + reserve (team + key budgets) + settle + recordUsage; ` +
      `${SEQUENTIAL} sequential then ${CONCURRENT} with ${IN_FLIGHT} in flight, after 200 warm-up requests, one process. ` +
      'Provisional: shared 2-core machine.',
  ].join('\n');
  return { title: 'State store cost per request', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(`## ${r.title}\n\n${r.markdown}`));
}
