import { LRUCache } from 'lru-cache';
import { GatewayError } from '../core/errors.js';
import type { ApiKey, StateStore, Team } from '../state/state-store.js';
import { hashKey, sameHash } from './keys.js';
import { StateUnavailableError } from '../state/errors.js';
import type { JwtAuthenticator } from './jwt.js';

/** Who is calling: the key and its team, as stored. */
export interface Principal {
  readonly key: ApiKey;
  readonly team: Team;
}

/**
 * Resolves `Authorization: Bearer <key>` (or Azure-style `api-key: <key>`) to a Principal.
 * Rejects with 401 `invalid_api_key` for a missing, unknown, revoked or expired key; the message never echoes it.
 */
export interface Authenticator {
  authenticate(headers: Record<string, string | string[] | undefined>, now?: number): Promise<Principal>;
}

/**
 * With `failOpen`, a key verified in the last `LAST_KNOWN_GOOD_MS` is still accepted while the store is
 * unreachable (fail-open serves known callers unmetered; it never admits an unknown key).
 */
const LAST_KNOWN_GOOD_MS = 10 * 60_000;
const LAST_KNOWN_GOOD_MAX = 10_000;

/**
 * `jwt`: the JWT issuers of the current config (undefined when none).
 * `recheck`: asked when a key is not found, in case the store lost its data (state-loss.ts); when it says it
 * restored the config's keys, the lookup runs once more.
 */
export function createAuthenticator(
  store: StateStore,
  opts: { failOpen?: boolean; recheck?: () => Promise<boolean>; jwt?: () => JwtAuthenticator | undefined } = {},
): Authenticator {
  const lastKnownGood = new LRUCache<string, { principal: Principal; at: number }>({ max: LAST_KNOWN_GOOD_MAX });

  async function lookup(hash: string, now: number): Promise<Principal | undefined> {
    if (store.getKeyAndTeamByHash) {
      // One round trip instead of two on Redis (issue 22.4).
      const found = await store.getKeyAndTeamByHash(hash);
      if (!found || !sameHash(found.key.hash, hash)) return undefined;
      return found.team ? { key: found.key, team: found.team } : undefined;
    }
    const key = await store.getKeyByHash(hash);
    if (!key || !sameHash(key.hash, hash)) return undefined;
    const team = await store.getTeam(key.teamId);
    return team ? { key, team } : undefined;
  }

  return {
    async authenticate(headers, now = Date.now()) {
      const secret = extractKey(headers);
      if (!secret) throw invalid('You did not provide an API key. Send it as "Authorization: Bearer <key>".');
      // A JWT of a configured issuer (docs/auth.md); a gateway key is not one, so it never takes this path.
      const jwt = opts.jwt?.();
      if (jwt?.accepts(secret)) return jwt.authenticate(secret, now);
      const hash = hashKey(secret);
      let principal: Principal | undefined;
      try {
        principal = await lookup(hash, now);
      } catch (err) {
        const known = opts.failOpen ? lastKnownGood.get(hash) : undefined;
        if (!(err instanceof StateUnavailableError) || !known || now - known.at > LAST_KNOWN_GOOD_MS) throw err;
        principal = known.principal;
      }
      if (!principal && opts.recheck && (await opts.recheck())) principal = await lookup(hash, now);
      if (!principal) throw invalid('Incorrect API key provided.');
      const { key } = principal;
      if (key.revokedAt !== undefined && key.revokedAt <= now) throw invalid('This API key has been revoked.');
      if (key.expiresAt !== undefined && key.expiresAt <= now) throw invalid('This API key has expired.');
      if (opts.failOpen) {
        lastKnownGood.set(hash, { principal, at: now });
      }
      void store.touchKey(key.id, now).catch(() => undefined);
      return principal;
    },
  };
}

function extractKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  // `x-api-key`: how Anthropic clients (Claude Code, @anthropic-ai/sdk) send a key.
  const apiKey = headers['api-key'] ?? headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
}

const invalid = (message: string) => new GatewayError('invalid_api_key', message);
