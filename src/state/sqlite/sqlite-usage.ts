/** Usage ledger (hourly aggregates, queried with SQL GROUP BY) and the exact cache, in SQLite. */
import type { Database, Statement } from 'better-sqlite3';
import { DAY_MS, hourOf } from '../periods.js';
import { USAGE_METRICS, USAGE_WRITE_RETENTION_MS, type UsageDimension, type UsageQuery, type UsageRecord, type UsageRow } from '../types.js';

const COLUMN: Record<(typeof USAGE_METRICS)[number], string> = {
  requests: 'requests',
  promptTokens: 'prompt_tokens',
  completionTokens: 'completion_tokens',
  cachedTokens: 'cached_tokens',
  costMicros: 'cost_micros',
  cacheHits: 'cache_hits',
  savedMicros: 'saved_micros',
  errors: 'errors',
  guardBlocks: 'guard_blocks',
};
const DIMENSION: Record<UsageDimension, { column: string; field: 'teamId' | 'keyId' | 'model' | 'provider' | 'api' | 'endUser' | 'tag' }> = {
  team: { column: 'team_id', field: 'teamId' },
  key: { column: 'key_id', field: 'keyId' },
  model: { column: 'model', field: 'model' },
  provider: { column: 'provider', field: 'provider' },
  api: { column: 'api', field: 'api' },
  user: { column: 'end_user', field: 'endUser' },
  tag: { column: 'tag', field: 'tag' },
};

export function createSqliteUsage(db: Database) {
  const cols = USAGE_METRICS.map((m) => COLUMN[m]);
  const record = db.prepare(
    `INSERT INTO usage_hourly (hour, team_id, key_id, model, provider, api, end_user, tag, ${cols.join(', ')})
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${cols.map(() => '?').join(', ')})
     ON CONFLICT(hour, team_id, key_id, model, provider, api, end_user, tag) DO UPDATE SET
     ${cols.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
  );
  const prune = db.prepare('DELETE FROM usage_hourly WHERE hour < ?');
  const claimWrite = db.prepare('INSERT OR IGNORE INTO usage_writes (write_id, at) VALUES (?, ?)');
  const pruneWrites = db.prepare('DELETE FROM usage_writes WHERE at < ?');
  // A write with an id counts only if the id is new, in the same transaction as the increment.
  const recordOnce = db.transaction((r: UsageRecord, now: number) => {
    if (r.writeId !== undefined && claimWrite.run(r.writeId, now).changes === 0) return;
    record.run(hourOf(r.at), r.teamId, r.keyId, r.model, r.provider, r.api ?? 'chat', r.endUser ?? '', r.tag ?? '', ...USAGE_METRICS.map((m) => r[m]));
  });
  const cacheGet = db.prepare<[string, number], { value: string }>('SELECT value FROM exact_cache WHERE key = ? AND expires_at > ?');
  const cacheSet = db.prepare(
    'INSERT INTO exact_cache (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
  );
  const cachePrune = db.prepare('DELETE FROM exact_cache WHERE expires_at <= ?');
  // Cache entries are written behind, in one transaction per CACHE_WRITE_BEHIND_MS: a single-row commit cost ~45 µs
  // of CPU on the request path, one row of a batch of 16 ~13 µs. Reads look at the queue first, so a write is
  // visible at once; close() writes what is queued. A batch SQLite refuses is dropped: an entry is an optimisation,
  // and the next miss of that request stores it again.
  let pendingCache = new Map<string, { value: string; expiresAt: number }>();
  let cacheTimer: NodeJS.Timeout | undefined;
  const writeCache = db.transaction((entries: Map<string, { value: string; expiresAt: number }>) => {
    for (const [key, e] of entries) cacheSet.run(key, e.value, e.expiresAt);
  });
  const writeQueued = () => {
    if (cacheTimer) clearTimeout(cacheTimer);
    cacheTimer = undefined;
    if (pendingCache.size === 0) return;
    const batch = pendingCache;
    pendingCache = new Map();
    writeCache(batch);
    pruneCache(Date.now());
  };
  const flushCache = () => {
    try {
      writeQueued();
    } catch {
      // dropped, as said above; the store's own health check reports a database that stays unavailable
    }
  };
  // Queries vary by filters and grouping: prepare each distinct SQL text once.
  const queries = new Map<string, Statement<unknown[]>>();
  // Expired rows are deleted on the write path, at most once a minute each.
  const pruneCache = oncePerMinute((now) => cachePrune.run(now));
  const pruneWriteIds = oncePerMinute((now) => pruneWrites.run(now - USAGE_WRITE_RETENTION_MS));

  return {
    recordUsage(r: UsageRecord) {
      const now = Date.now();
      recordOnce(r, now);
      pruneWriteIds(now);
    },
    queryUsage(q: UsageQuery): UsageRow[] {
      const dims = [...new Set(q.groupBy ?? [])].map((d) => DIMENSION[d]);
      const bucket = q.granularity === 'day' ? `(hour - (hour % ${DAY_MS}))` : 'hour';
      const where = ['hour >= ?', 'hour < ?'];
      const params: (string | number)[] = [hourOf(q.from), q.to];
      for (const [d, v] of [['team', q.teamId], ['key', q.keyId], ['model', q.model], ['provider', q.provider], ['api', q.api], ['user', q.endUser], ['tag', q.tag]] as const) {
        if (v === undefined) continue;
        where.push(`${DIMENSION[d].column} = ?`);
        params.push(v);
      }
      const groupCols = [bucket, ...dims.map((d) => d.column)];
      const sql = `SELECT ${bucket} AS bucket, ${dims.map((d) => `${d.column} AS ${d.field}`).concat(
        USAGE_METRICS.map((m) => `sum(${COLUMN[m]}) AS ${m}`),
      ).join(', ')} FROM usage_hourly WHERE ${where.join(' AND ')} GROUP BY ${groupCols.join(', ')} ORDER BY ${groupCols.join(', ')}`;
      let stmt = queries.get(sql);
      if (!stmt) queries.set(sql, (stmt = db.prepare<unknown[]>(sql)));
      return stmt.all(...params) as UsageRow[];
    },
    pruneUsage: (before: number) => prune.run(before).changes,
    cacheGet(key: string, now: number) {
      const queued = pendingCache.get(key);
      if (queued) return queued.expiresAt > now ? queued.value : undefined;
      return cacheGet.get(key, now)?.value;
    },
    cacheSet(key: string, value: string, ttlMs: number, now: number) {
      pendingCache.set(key, { value, expiresAt: now + ttlMs });
      if (pendingCache.size >= CACHE_BATCH_MAX) writeQueued();
      // Kept referenced (as the budgets' write-behind), so a process that ends without close() still writes.
      else cacheTimer ??= setTimeout(flushCache, CACHE_WRITE_BEHIND_MS);
    },
    /** Writes the queued cache entries now (close() calls it); a batch SQLite refuses is dropped. */
    flushCache,
  };
}

/** Cache entries are written at most this long after they were stored… */
const CACHE_WRITE_BEHIND_MS = 20;
/** …or at once when this many are queued. */
const CACHE_BATCH_MAX = 256;

/** Runs `fn` when at least a minute has passed since it last ran. */
function oncePerMinute(fn: (now: number) => unknown): (now: number) => void {
  let last = 0;
  return (now) => {
    if (now - last <= 60_000) return;
    last = now;
    fn(now);
  };
}
