/**
 * The embedded StateStore: one SQLite file (better-sqlite3, WAL), durable across restarts, owned by one gateway
 * process (process-lock.ts): budgets and rate limits are decided in that process's memory and written behind.
 * The default backend for a single node; several replicas share a Redis store.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StateUnavailableError } from '../errors.js';
import type { StateStore } from '../state-store.js';
import { createSqliteAdmin } from './sqlite-admin.js';
import { createSqliteBudgets } from './sqlite-budgets.js';
import { createMemoryRateLimiter } from '../memory-rate-limit.js';
import { startCheckpointer } from './checkpointer.js';
import { createSqliteUsage } from './sqlite-usage.js';
import { createSqliteCalibration } from './sqlite-calibration.js';
import { createSqliteAudit } from './sqlite-audit.js';
import { createSqliteTemplates } from './sqlite-templates.js';
import { migrate } from './schema.js';
import { acquireProcessLock } from './process-lock.js';

export interface SqliteStateStoreOptions {
  /** Database file; `':memory:'` for a throwaway store. Parent directories are created. */
  path: string;
  /** How long settled/expired reservations are remembered, so late or repeated settles stay exactly-once (settled ones: at most the last 100k). Default 24 h. */
  reservationRetentionMs?: number;
  /** Minimum time between two `lastUsedAt` writes of one key. Default 30 s. */
  touchIntervalMs?: number;
  /** How long a write waits for SQLite's lock (held briefly by the checkpointer) before failing with StateUnavailableError. Default 2 s. */
  busyTimeoutMs?: number;
}

/** SQLite error codes meaning "the storage cannot serve now" rather than "this call is wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

function wrap<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => Promise<R> {
  return async (...a: A) => {
    try {
      return fn(...a);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if ((typeof code === 'string' && UNAVAILABLE.test(code)) || (e instanceof TypeError && /database connection is not open/.test(e.message))) {
        throw new StateUnavailableError(`state database unavailable: ${(e as Error).message}`, { cause: e });
      }
      throw e;
    }
  };
}

export async function createSqliteStateStore(opts: SqliteStateStoreOptions): Promise<StateStore> {
  const onDisk = opts.path !== ':memory:';
  if (onDisk) mkdirSync(dirname(opts.path), { recursive: true });
  const lock = onDisk ? acquireProcessLock(opts.path) : undefined;
  let db: Database.Database;
  try {
    db = new Database(opts.path, { timeout: opts.busyTimeoutMs ?? 2000 });
  } catch (e) {
    lock?.release();
    throw new StateUnavailableError(`cannot open state database ${opts.path}: ${(e as Error).message}`, { cause: e });
  }
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a power loss may lose the last transactions but never corrupts; a process crash loses nothing.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  const checkpointer = onDisk ? startCheckpointer(db, opts.path) : undefined;

  const admin = createSqliteAdmin(db, opts.touchIntervalMs ?? 30_000);
  const budgets = createSqliteBudgets(db, opts.reservationRetentionMs ?? 86_400_000);
  const limiter = createMemoryRateLimiter();
  const usage = createSqliteUsage(db);
  const calibration = createSqliteCalibration(db);
  const audit = createSqliteAudit(db);
  const templates = createSqliteTemplates(db);
  const revoke = db.transaction((id: string, at: number) => {
    const key = admin.getKey(id);
    if (!key) return false;
    if (key.revokedAt === undefined) admin.updateKey(id, { revokedAt: at });
    return true;
  });

  const epoch = randomUUID();
  return {
    kind: 'sqlite',
    upsertTeam: wrap(admin.upsertTeam),
    getTeam: wrap(admin.getTeam),
    listTeams: wrap(admin.listTeams),
    deleteTeam: wrap((id: string) => admin.deleteTeam.immediate(id)),
    createKey: wrap(admin.createKey),
    getKeyByHash: wrap(admin.getKeyByHash),
    getKey: wrap(admin.getKey),
    listKeys: wrap(admin.listKeys),
    updateKey: wrap((id, patch) => admin.updateKey.immediate(id, patch)),
    revokeKey: wrap((id: string, at?: number) => revoke.immediate(id, at ?? Date.now())),
    rotateKeySecret: wrap((id, r) => admin.rotateKeySecret.immediate(id, r)),
    appendAudit: wrap(audit.appendAudit),
    listAudit: wrap(audit.listAudit),
    touchKey: wrap(admin.touchKey),
    reserve: wrap(budgets.reserve),
    extend: wrap(budgets.extend),
    settle: wrap(budgets.settle),
    getBudgetStatus: wrap((scopes, o) => budgets.status(scopes, o?.now ?? Date.now())),
    rateLimit: wrap(limiter.rateLimit),
    rateLimitRelease: wrap(limiter.rateLimitRelease),
    recordCalibration: wrap(calibration.recordCalibration),
    getCalibration: wrap(calibration.getCalibration),
    getTemplate: wrap(templates.getTemplate),
    listTemplates: wrap(templates.listTemplates),
    saveTemplate: wrap(templates.saveTemplate),
    deleteTemplate: wrap(templates.deleteTemplate),
    recordTemplateUsage: wrap(templates.recordTemplateUsage),
    queryTemplateUsage: wrap(templates.queryTemplateUsage),
    recordUsage: wrap(usage.recordUsage),
    queryUsage: wrap(usage.queryUsage),
    pruneUsage: wrap(usage.pruneUsage),
    cacheGet: wrap((key: string) => usage.cacheGet(key, Date.now())),
    cacheSet: wrap((key: string, value: string, ttlMs: number) => usage.cacheSet(key, value, ttlMs, Date.now())),
    // An open SQLite file cannot lose its data under the process: one id for the life of the store.
    dataEpoch: async () => ({ id: epoch, created: false }),
    ping: wrap(() => {
      db.prepare('SELECT 1').get();
    }),
    close: async () => {
      try {
        if (db.open) usage.flushCache();
        if (db.open) budgets.flush();
      } finally {
        await checkpointer?.close();
        if (db.open) db.close();
        lock?.release();
      }
    },
  };
}
