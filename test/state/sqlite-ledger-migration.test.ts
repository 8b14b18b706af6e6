/**
 * A data directory written before the ledger had its `api` and end-user columns keeps its history: the rows are
 * carried over as `chat` with no end user, and new rows are told apart by both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStateStore } from '../../src/state/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-ledger-mig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite ledger migration', () => {
  it('carries hourly rows of the old layout over as chat, with no end user', async () => {
    const path = join(dir, 'state.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE usage_hourly (
      hour INTEGER NOT NULL, team_id TEXT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0,
      completion_tokens INTEGER NOT NULL DEFAULT 0, cached_tokens INTEGER NOT NULL DEFAULT 0,
      cost_micros INTEGER NOT NULL DEFAULT 0, cache_hits INTEGER NOT NULL DEFAULT 0,
      saved_micros INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, guard_blocks INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (hour, team_id, key_id, model, provider)) WITHOUT ROWID;`);
    // The other tables of versions 1–3, as an older gateway left them.
    old.exec(`CREATE TABLE teams (id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE api_keys (id TEXT PRIMARY KEY, team_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, json TEXT NOT NULL, last_used_at INTEGER);
      CREATE TABLE budget_counters (id TEXT PRIMARY KEY, sm INTEGER NOT NULL DEFAULT 0, st INTEGER NOT NULL DEFAULT 0, soft_usd INTEGER NOT NULL DEFAULT 0, soft_tok INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE rate_log (scope TEXT NOT NULL, at INTEGER NOT NULL, tokens INTEGER NOT NULL);
      CREATE TABLE exact_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX exact_cache_expiry ON exact_cache (expires_at);
      CREATE TABLE usage_writes (write_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX usage_writes_at ON usage_writes (at);`);
    const h = Date.UTC(2026, 0, 5, 10);
    old.prepare('INSERT INTO usage_hourly (hour, team_id, key_id, model, provider, requests, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?)').run(h, 't', 'k', 'm', 'p', 7, 700);
    old.pragma('user_version = 3');
    old.close();

    const store = await createSqliteStateStore({ path });
    try {
      await store.recordUsage({ at: h, teamId: 't', keyId: 'k', model: 'm', provider: 'p', api: 'messages', endUser: 'alice', requests: 1, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costMicros: 5, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 });
      const rows = await store.queryUsage({ from: h, to: h + 3_600_000, granularity: 'hour', teamId: 't', groupBy: ['api', 'user'] });
      expect(rows.map((r) => [r.api, r.endUser, r.requests, r.costMicros])).toEqual([
        ['chat', '', 7, 700],
        ['messages', 'alice', 1, 5],
      ]);
    } finally {
      await store.close();
    }
  });
});
