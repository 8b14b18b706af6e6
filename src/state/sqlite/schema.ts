/** SQLite schema of the StateStore. Versioned by `user_version`; each entry of MIGRATIONS runs once, in order. */
import type { Database } from 'better-sqlite3';

const MIGRATIONS: string[] = [
  `
  CREATE TABLE teams (id TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY, team_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, json TEXT NOT NULL, last_used_at INTEGER
  );
  CREATE INDEX api_keys_team ON api_keys (team_id);
  -- One row per scope × period × period start: spent and held (reserved) amounts, soft flags per kind.
  CREATE TABLE budget_counters (
    id TEXT PRIMARY KEY,
    sm INTEGER NOT NULL DEFAULT 0, st INTEGER NOT NULL DEFAULT 0,
    rm INTEGER NOT NULL DEFAULT 0, rt INTEGER NOT NULL DEFAULT 0,
    soft_usd INTEGER NOT NULL DEFAULT 0, soft_tok INTEGER NOT NULL DEFAULT 0
  );
  -- status: a = active (holding), e = expired (hold released), s = settled.
  CREATE TABLE reservations (
    request_id TEXT PRIMARY KEY, status TEXT NOT NULL, hm INTEGER NOT NULL, ht INTEGER NOT NULL,
    lease_ms INTEGER NOT NULL, expires_at INTEGER NOT NULL, plan TEXT NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX reservations_active ON reservations (status, expires_at);
  CREATE INDEX reservations_updated ON reservations (updated_at);
  -- Sliding-window log of allowed requests, plus a running token sum per scope.
  CREATE TABLE usage_hourly (
    hour INTEGER NOT NULL, team_id TEXT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0, cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost_micros INTEGER NOT NULL DEFAULT 0, cache_hits INTEGER NOT NULL DEFAULT 0,
    saved_micros INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, guard_blocks INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, team_id, key_id, model, provider)
  ) WITHOUT ROWID;
  CREATE TABLE exact_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX exact_cache_expiry ON exact_cache (expires_at);
  `,
  // Holds live in the owning process's memory (sqlite-budgets.ts): reservation rows and held amounts go.
  `
  DROP TABLE reservations;
  ALTER TABLE budget_counters DROP COLUMN rm;
  ALTER TABLE budget_counters DROP COLUMN rt;
  `,
  // Ledger write ids, so a repeated write is recorded once (types.ts UsageRecord.writeId); kept 1 h.
  `
  CREATE TABLE usage_writes (write_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX usage_writes_at ON usage_writes (at);
  `,
  // The ledger gains the API a request came in through and its end user (both in the key: rows stay aggregates).
  `
  CREATE TABLE usage_hourly_v2 (
    hour INTEGER NOT NULL, team_id TEXT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
    api TEXT NOT NULL DEFAULT 'chat', end_user TEXT NOT NULL DEFAULT '',
    requests INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0, cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost_micros INTEGER NOT NULL DEFAULT 0, cache_hits INTEGER NOT NULL DEFAULT 0,
    saved_micros INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, guard_blocks INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, team_id, key_id, model, provider, api, end_user)
  ) WITHOUT ROWID;
  INSERT INTO usage_hourly_v2 (hour, team_id, key_id, model, provider, requests, prompt_tokens, completion_tokens,
    cached_tokens, cost_micros, cache_hits, saved_micros, errors, guard_blocks)
    SELECT hour, team_id, key_id, model, provider, requests, prompt_tokens, completion_tokens, cached_tokens,
      cost_micros, cache_hits, saved_micros, errors, guard_blocks FROM usage_hourly;
  DROP TABLE usage_hourly;
  ALTER TABLE usage_hourly_v2 RENAME TO usage_hourly;
  `,
  // …and the request's metadata tag (state.usageTag).
  `
  CREATE TABLE usage_hourly_v3 (
    hour INTEGER NOT NULL, team_id TEXT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
    api TEXT NOT NULL DEFAULT 'chat', end_user TEXT NOT NULL DEFAULT '', tag TEXT NOT NULL DEFAULT '',
    requests INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0, cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost_micros INTEGER NOT NULL DEFAULT 0, cache_hits INTEGER NOT NULL DEFAULT 0,
    saved_micros INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, guard_blocks INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, team_id, key_id, model, provider, api, end_user, tag)
  ) WITHOUT ROWID;
  INSERT INTO usage_hourly_v3 (hour, team_id, key_id, model, provider, api, end_user, requests, prompt_tokens,
    completion_tokens, cached_tokens, cost_micros, cache_hits, saved_micros, errors, guard_blocks)
    SELECT hour, team_id, key_id, model, provider, api, end_user, requests, prompt_tokens, completion_tokens,
      cached_tokens, cost_micros, cache_hits, saved_micros, errors, guard_blocks FROM usage_hourly;
  DROP TABLE usage_hourly;
  ALTER TABLE usage_hourly_v3 RENAME TO usage_hourly;
  `,
];

export function migrate(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
