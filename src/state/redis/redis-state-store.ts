/**
 * The scale-out StateStore on Redis (ioredis): budgets, rate limits and key lookups shared by every gateway
 * replica. Atomic operations are Lua scripts; the key layout (redis-keys.ts) is Redis Cluster compatible.
 * Unreachable Redis → StateUnavailableError within `commandTimeoutMs`; the client reconnects by itself.
 */
import { randomUUID } from 'node:crypto';
import { assertAmounts } from '../budget-plan.js';
import type { StateStore } from '../state-store.js';
import { rateResult, RATE_WINDOW_MS } from '../rate-window.js';
import type { RateLimitInput, Scope } from '../types.js';
import { DATA_EPOCH, RATE_LIMIT, RATE_LIMIT_RELEASE } from './lua-misc.js';
import { createRedisAdmin } from './redis-admin.js';
import { createRedisBudgets } from './redis-budgets.js';
import { connectionOptions, createScript, guarded, Redis, waitReady, type RedisLike } from './redis-client.js';
import { redisKeys } from './redis-keys.js';
import { createRedisUsage } from './redis-usage.js';
import { createRedisCalibration } from './redis-calibration.js';
import { createRedisAudit } from './redis-audit.js';
import { createRedisTemplates } from './redis-templates.js';

export interface RedisStateStoreOptions {
  /** `redis://host:port/db`; ignored when `client` is given. */
  url?: string;
  /** A caller-owned client (e.g. an ioredis Cluster). It should use `connectionOptions()` to fail fast; not closed by `close()`. */
  client?: RedisLike;
  /** Prefix of every key, to share one Redis between deployments. Default `gw:`. */
  keyPrefix?: string;
  /** Per-command timeout; a call never waits longer for Redis. Default 500 ms. */
  commandTimeoutMs?: number;
  /** How long settled/expired reservations are kept for exactly-once late settles. Default 24 h. */
  reservationRetentionMs?: number;
  /** Minimum time between two `lastUsedAt` writes of one key by this process. Default 30 s. */
  touchIntervalMs?: number;
  /** How long admin audit entries are kept. Default 400 days. */
  auditRetentionMs?: number;
  /** Called on connection errors (throttled by ioredis reconnects); default: ignore (calls report them). */
  onError?: (err: Error) => void;
}

export async function createRedisStateStore(opts: RedisStateStoreOptions): Promise<StateStore> {
  const timeout = opts.commandTimeoutMs ?? 500;
  const owned = !opts.client;
  const client: RedisLike = opts.client ?? new Redis(opts.url ?? 'redis://127.0.0.1:6379', connectionOptions(timeout));
  // Without a listener ioredis prints every connection error; the store reports them through its calls instead.
  client.on('error', (err: Error) => opts.onError?.(err));
  await waitReady(client, Math.max(timeout, 1000));

  const k = redisKeys(opts.keyPrefix ?? 'gw:');
  const admin = createRedisAdmin(client, k, opts.touchIntervalMs ?? 30_000);
  const calibration = createRedisCalibration(client, opts.keyPrefix ?? 'gw:');
  const audit = createRedisAudit(client, opts.keyPrefix ?? 'gw:', opts.auditRetentionMs ?? 400 * 86_400_000);
  const templates = createRedisTemplates(client, opts.keyPrefix ?? 'gw:');
  const keyTeam = async (keyId: string) => (await admin.getKey(keyId))?.teamId;
  const budgets = createRedisBudgets(client, k, opts.reservationRetentionMs ?? 86_400_000, keyTeam);
  const usage = createRedisUsage(client, k);
  const rateScript = createScript(client, RATE_LIMIT);
  const rateReleaseScript = createScript(client, RATE_LIMIT_RELEASE);
  const r = client as Redis;
  const epochScript = createScript(client, DATA_EPOCH);

  return {
    kind: 'redis',
    upsertTeam: guarded(admin.upsertTeam),
    getTeam: guarded(admin.getTeam),
    listTeams: guarded(admin.listTeams),
    deleteTeam: guarded(admin.deleteTeam),
    createKey: guarded(admin.createKey),
    getKeyByHash: guarded(admin.getKeyByHash),
    getKeyAndTeamByHash: guarded(admin.getKeyAndTeamByHash),
    getKey: guarded(admin.getKey),
    listKeys: guarded(admin.listKeys),
    updateKey: guarded(admin.updateKey),
    revokeKey: guarded((id: string, at?: number) => admin.revokeKey(id, at ?? Date.now())),
    rotateKeySecret: guarded(admin.rotateKeySecret),
    appendAudit: guarded(audit.appendAudit),
    listAudit: guarded(audit.listAudit),
    touchKey: guarded(admin.touchKey),
    reserve: guarded(budgets.reserve),
    extend: guarded(budgets.extend),
    settle: guarded(budgets.settle),
    getBudgetStatus: guarded(budgets.status),
    rateLimit: guarded(async (i: RateLimitInput) => {
      assertAmounts('rateLimit', { tokens: i.tokens, rpm: i.rpm, tpm: i.tpm });
      const now = i.now ?? Date.now();
      const res = (await rateScript.run([k.rateLog(i.scope), k.rateState(i.scope)], [now, RATE_WINDOW_MS, i.rpm ?? -1, i.tpm ?? -1, i.tokens])) as (number | string)[];
      const [allowed, count, sum, reset, retry] = res.slice(0, 5).map(Number) as [number, number, number, number, number];
      return rateResult(allowed === 1, i.rpm, i.tpm, count, sum, reset, retry, String(res[5]));
    }),
    rateLimitRelease: guarded(async (scope: Scope, entry: string) => {
      await rateReleaseScript.run([k.rateLog(scope), k.rateState(scope)], [entry]);
    }),
    recordCalibration: guarded(calibration.recordCalibration),
    getCalibration: guarded(calibration.getCalibration),
    getTemplate: guarded(templates.getTemplate),
    listTemplates: guarded(templates.listTemplates),
    saveTemplate: guarded(templates.saveTemplate),
    deleteTemplate: guarded(templates.deleteTemplate),
    recordTemplateUsage: guarded(templates.recordTemplateUsage),
    queryTemplateUsage: guarded(templates.queryTemplateUsage),
    recordUsage: guarded(usage.recordUsage),
    queryUsage: guarded(usage.queryUsage),
    pruneUsage: guarded(usage.pruneUsage),
    cacheGet: guarded(async (key: string) => (await r.get(k.cache(key))) ?? undefined),
    cacheSet: guarded(async (key: string, value: string, ttlMs: number) => {
      await r.set(k.cache(key), value, 'PX', Math.max(1, Math.round(ttlMs)));
    }),
    dataEpoch: guarded(async () => {
      const [id, created] = (await epochScript.run([k.epoch()], [randomUUID()])) as [string, number];
      return { id: String(id), created: Number(created) === 1 };
    }),
    ping: guarded(async () => {
      await r.ping();
    }),
    close: async () => {
      if (owned) r.disconnect();
    },
  };
}
