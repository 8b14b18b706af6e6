/**
 * Teams and keys in Redis, all under the `{admin}` hash tag. A key lives in a hash at `kh:<sha256>` (fields
 * json, lu = last used) so authentication is a single HMGET; `kid:<id>` points from id to hash.
 * Admin writes are rare: updates use compare-and-set so concurrent admin edits never lose each other silently.
 */
import { LRUCache } from 'lru-cache';
import type { ApiKey, KeyRotation, KeyUpdate, Team } from '../types.js';
import { rotated, seenThroughPrevious } from '../key-secrets.js';
import { CAS_KEY, CREATE_KEY, READ_KEY, READ_PRINCIPAL, ROTATE_KEY, TOUCH_KEY } from './lua-misc.js';
import { createScript, type RedisLike } from './redis-client.js';
import type { RedisKeys } from './redis-keys.js';

const parseKey = (json: string | null | undefined, lu: string | null | undefined): ApiKey | undefined => {
  if (!json) return undefined;
  const key = JSON.parse(json) as ApiKey;
  if (lu) key.lastUsedAt = Number(lu);
  return key;
};

export function createRedisAdmin(client: RedisLike, k: RedisKeys, touchIntervalMs: number) {
  const createKeyScript = createScript(client, CREATE_KEY);
  const readKeyScript = createScript(client, READ_KEY);
  const casScript = createScript(client, CAS_KEY);
  const touchScript = createScript(client, TOUCH_KEY);
  const rotateScript = createScript(client, ROTATE_KEY);
  const principalScript = createScript(client, READ_PRINCIPAL);
  // Parsed key and team documents by their exact text. Redis is still read on every request (a revocation or an
  // edit on any replica counts at once); identical text only skips JSON.parse, and the same objects let the
  // budget-plan cache (keyed by the budgets array) hit as it does on SQLite — without it every request rebuilt its
  // plans, and the garbage took 19 % of a request's CPU on Redis against 3 % on SQLite. The objects are shared,
  // as the SQLite store's cached ones are: callers never mutate them.
  const parsed = new LRUCache<string, ApiKey | Team>({ max: 10_000 });
  const parseOnce = <T extends ApiKey | Team>(text: string, make: () => T): T => {
    let v = parsed.get(text) as T | undefined;
    if (v === undefined) parsed.set(text, (v = make()));
    return v;
  };
  const touched = new Map<string, number>();

  const readById = async (id: string) => {
    const r = (await readKeyScript.run([k.keyId(id)], [k.keyHashPrefix])) as [string, string | null, string | null] | null;
    return r ? { hash: r[0], json: r[1], key: parseKey(r[1], r[2]) } : undefined;
  };

  /** Read-modify-write of one key document with optimistic concurrency. */
  const modifyKey = async (id: string, change: (key: ApiKey) => ApiKey | undefined): Promise<ApiKey | undefined> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const cur = await readById(id);
      if (!cur?.key || !cur.json) return undefined;
      const next = change(cur.key);
      if (!next) return cur.key;
      const { lastUsedAt, ...doc } = next;
      if ((await casScript.run([k.keyHash(cur.hash)], [cur.json, JSON.stringify(doc)])) === 1) return next;
    }
    throw new Error(`key ${id} is being modified concurrently; retry`);
  };

  const getKeyByHash = async (hash: string): Promise<ApiKey | undefined> => {
    const [json, lu, alias] = await client.hmget(k.keyHash(hash), 'json', 'lu', 'alias');
    if (json) return parseKey(json, lu);
    if (!alias) return undefined;
    // A secret a rotation replaced: the key as seen through it (revoked at the end of its grace period).
    const key = (await readById(alias))?.key;
    return key?.previous?.hash === hash ? seenThroughPrevious(key) : undefined;
  };

  return {
    async upsertTeam(team: Team) {
      await client.multi().set(k.team(team.id), JSON.stringify(team)).sadd(k.teams, team.id).exec();
    },
    async getTeam(id: string) {
      const v = await client.get(k.team(id));
      return v ? (JSON.parse(v) as Team) : undefined;
    },
    async listTeams() {
      const ids = (await client.smembers(k.teams)).sort();
      if (!ids.length) return [];
      const docs = await client.mget(...ids.map(k.team));
      return docs.filter((d): d is string => !!d).map((d) => JSON.parse(d) as Team);
    },
    async deleteTeam(id: string) {
      const keyIds = await client.smembers(k.teamKeys(id));
      const hashes = keyIds.length ? await client.mget(...keyIds.map(k.keyId)) : [];
      const tx = client.multi().del(k.team(id)).srem(k.teams, id).del(k.teamKeys(id));
      keyIds.forEach((kid, i) => {
        tx.del(k.keyId(kid)).srem(k.keys, kid);
        const h = hashes[i];
        if (h) tx.del(k.keyHash(h));
      });
      const res = await tx.exec();
      return res?.[0]?.[1] === 1;
    },
    async createKey(key: ApiKey) {
      const { lastUsedAt, ...doc } = key;
      const ok = await createKeyScript.run(
        [k.keyId(key.id), k.keyHash(key.hash), k.keys, k.teamKeys(key.teamId)],
        [key.id, key.hash, JSON.stringify(doc)],
      );
      if (ok !== 1) throw new Error(`a key with id ${key.id} or the same secret already exists`);
      if (lastUsedAt !== undefined) await client.hset(k.keyHash(key.hash), 'lu', lastUsedAt);
    },
    getKeyByHash,
    /** Key and team in one round trip (every request authenticates); a replaced secret takes the two-step path. */
    async getKeyAndTeamByHash(hash: string): Promise<{ key: ApiKey; team: Team | undefined } | undefined> {
      const [json, lu, alias, teamJson] = (await principalScript.run([k.keyHash(hash)], [k.team('')])) as (string | null)[];
      if (json) {
        const key = parseOnce(`k\u0000${lu ?? ''}\u0000${json}`, () => parseKey(json, lu)!);
        return { key, team: teamJson ? parseOnce(`t\u0000${teamJson}`, () => JSON.parse(teamJson) as Team) : undefined };
      }
      if (!alias) return undefined;
      const key = await getKeyByHash(hash);
      if (!key) return undefined;
      const team = await client.get(k.team(key.teamId));
      return { key, team: team ? (JSON.parse(team) as Team) : undefined };
    },
    async rotateKeySecret(id: string, r: KeyRotation) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const cur = await readById(id);
        if (!cur?.key || !cur.json) return undefined;
        const { lastUsedAt, ...doc } = rotated(cur.key, r);
        const aliasUntil = r.previousUntil + 86_400_000;
        const res = await rotateScript.run(
          [k.keyId(id), k.keyHash(r.hash)],
          [cur.hash, cur.json, JSON.stringify(doc), k.keyHashPrefix, id, aliasUntil, r.hash, cur.key.previous?.hash ?? ''],
        );
        if (res === 0) throw new Error(`a key with the same secret already exists`);
        if (res === 1) return { ...doc, ...(lastUsedAt !== undefined ? { lastUsedAt } : {}) } as ApiKey;
      }
      throw new Error(`key ${id} is being modified concurrently; retry`);
    },
    getKey: async (id: string) => (await readById(id))?.key,
    async listKeys(teamId?: string) {
      const ids = (await client.smembers(teamId === undefined ? k.keys : k.teamKeys(teamId))).sort();
      const keys = await Promise.all(ids.map(async (id) => (await readById(id))?.key));
      return keys.filter((x): x is ApiKey => !!x);
    },
    updateKey: (id: string, patch: KeyUpdate) => modifyKey(id, (key) => ({ ...key, ...patch })),
    async revokeKey(id: string, at: number) {
      const r = await modifyKey(id, (key) => (key.revokedAt === undefined ? { ...key, revokedAt: at } : undefined));
      return r !== undefined;
    },
    async touchKey(id: string, at: number) {
      const last = touched.get(id);
      if (last !== undefined && at - last < touchIntervalMs && at >= last) return;
      touched.set(id, at);
      await touchScript.run([k.keyId(id)], [k.keyHashPrefix, at]);
    },
  };
}
