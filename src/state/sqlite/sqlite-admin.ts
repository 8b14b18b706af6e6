/**
 * Teams and keys in SQLite: JSON documents with indexed columns for the lookups the gateway makes. The two reads
 * every request makes (key by hash, its team) are served from memory: this process owns the store
 * (process-lock.ts), so every write passes here and drops what it changes. Unknown hashes are not remembered, so
 * guessing keys cannot grow the cache.
 */
import type { Database } from 'better-sqlite3';
import type { ApiKey, KeyRotation, KeyUpdate, Team } from '../types.js';
import { rotated, seenThroughPrevious } from '../key-secrets.js';

export function createSqliteAdmin(db: Database, touchIntervalMs: number) {
  // A secret replaced by a rotation is looked up by this index (an unknown hash costs one index probe, as before).
  db.exec("CREATE INDEX IF NOT EXISTS api_keys_previous_hash ON api_keys (json_extract(json, '$.previous.hash'))");
  const s = {
    upsertTeam: db.prepare('INSERT INTO teams (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json'),
    getTeam: db.prepare<[string], { json: string }>('SELECT json FROM teams WHERE id = ?'),
    listTeams: db.prepare<[], { json: string }>('SELECT json FROM teams ORDER BY id'),
    deleteTeam: db.prepare('DELETE FROM teams WHERE id = ?'),
    deleteTeamKeys: db.prepare('DELETE FROM api_keys WHERE team_id = ?'),
    insertKey: db.prepare('INSERT INTO api_keys (id, team_id, hash, json, last_used_at) VALUES (?, ?, ?, ?, ?)'),
    keyByHash: db.prepare<[string], KeyRow>('SELECT json, last_used_at FROM api_keys WHERE hash = ?'),
    keyById: db.prepare<[string], KeyRow>('SELECT json, last_used_at FROM api_keys WHERE id = ?'),
    listKeys: db.prepare<[], KeyRow>('SELECT json, last_used_at FROM api_keys ORDER BY id'),
    listTeamKeys: db.prepare<[string], KeyRow>('SELECT json, last_used_at FROM api_keys WHERE team_id = ? ORDER BY id'),
    updateKey: db.prepare('UPDATE api_keys SET json = ? WHERE id = ?'),
    touch: db.prepare('UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?'),
    keyByPreviousHash: db.prepare<[string], KeyRow>("SELECT json, last_used_at FROM api_keys WHERE json_extract(json, '$.previous.hash') = ?"),
    rotateKey: db.prepare('UPDATE api_keys SET hash = ?, json = ? WHERE id = ?'),
  };
  // Last write per key in this process: keeps touchKey from writing on every request.
  const touched = new Map<string, number>();
  const teams = new Map<string, Team>();
  const keysByHash = new Map<string, ApiKey>();
  const hashById = new Map<string, string>();

  const readKey = (row: KeyRow | undefined): ApiKey | undefined => {
    if (!row) return undefined;
    const key = JSON.parse(row.json) as ApiKey;
    if (row.last_used_at !== null) key.lastUsedAt = row.last_used_at;
    return key;
  };
  const getKey = (id: string) => readKey(s.keyById.get(id));

  return {
    upsertTeam(team: Team) {
      teams.delete(team.id);
      s.upsertTeam.run(team.id, JSON.stringify(team));
    },
    getTeam(id: string) {
      const cached = teams.get(id);
      if (cached) return cached;
      const row = s.getTeam.get(id);
      if (!row) return undefined;
      const team = JSON.parse(row.json) as Team;
      teams.set(id, team);
      return team;
    },
    listTeams: () => s.listTeams.all().map((r) => JSON.parse(r.json) as Team),
    deleteTeam: db.transaction((id: string) => {
      teams.delete(id);
      keysByHash.clear();
      hashById.clear();
      s.deleteTeamKeys.run(id);
      return s.deleteTeam.run(id).changes > 0;
    }),
    createKey(key: ApiKey) {
      const { lastUsedAt, ...doc } = key;
      s.insertKey.run(key.id, key.teamId, key.hash, JSON.stringify(doc), lastUsedAt ?? null);
    },
    getKeyByHash(hash: string) {
      const cached = keysByHash.get(hash);
      if (cached) return cached;
      const current = readKey(s.keyByHash.get(hash));
      const byPrevious = current ? undefined : readKey(s.keyByPreviousHash.get(hash));
      const key = current ?? (byPrevious && seenThroughPrevious(byPrevious));
      if (key) {
        keysByHash.set(hash, key);
        hashById.set(key.id, hash);
      }
      return key;
    },
    getKey,
    listKeys: (teamId?: string) =>
      (teamId === undefined ? s.listKeys.all() : s.listTeamKeys.all(teamId)).map((r) => readKey(r)!),
    updateKey: db.transaction((id: string, patch: KeyUpdate | { revokedAt: number }) => {
      const key = getKey(id);
      if (!key) return undefined;
      keysByHash.delete(key.hash);
      if (key.previous) keysByHash.delete(key.previous.hash);
      const { lastUsedAt, ...doc } = { ...key, ...patch };
      s.updateKey.run(JSON.stringify(doc), id);
      return { ...doc, ...(lastUsedAt !== undefined ? { lastUsedAt } : {}) } as ApiKey;
    }),
    rotateKeySecret: db.transaction((id: string, r: KeyRotation) => {
      const key = getKey(id);
      if (!key) return undefined;
      keysByHash.delete(key.hash);
      if (key.previous) keysByHash.delete(key.previous.hash);
      const { lastUsedAt, ...doc } = rotated(key, r);
      s.rotateKey.run(r.hash, JSON.stringify(doc), id);
      return { ...doc, ...(lastUsedAt !== undefined ? { lastUsedAt } : {}) } as ApiKey;
    }),
    touchKey(id: string, at: number) {
      const last = touched.get(id);
      if (last !== undefined && at - last < touchIntervalMs && at >= last) return;
      touched.set(id, at);
      s.touch.run(at, id);
      const cached = keysByHash.get(hashById.get(id) ?? '');
      if (cached) cached.lastUsedAt = Math.max(cached.lastUsedAt ?? 0, at);
    },
  };
}

interface KeyRow {
  json: string;
  last_used_at: number | null;
}
