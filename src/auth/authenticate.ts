import { GatewayError } from '../core/errors.js';
import type { ApiKey, StateStore, Team } from '../state/state-store.js';
import { hashKey, sameHash } from './keys.js';

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

export function createAuthenticator(store: StateStore): Authenticator {
  return {
    async authenticate(headers, now = Date.now()) {
      const secret = extractKey(headers);
      if (!secret) throw invalid('You did not provide an API key. Send it as "Authorization: Bearer <key>".');
      const hash = hashKey(secret);
      const key = await store.getKeyByHash(hash);
      if (!key || !sameHash(key.hash, hash)) throw invalid('Incorrect API key provided.');
      if (key.revokedAt !== undefined && key.revokedAt <= now) throw invalid('This API key has been revoked.');
      if (key.expiresAt !== undefined && key.expiresAt <= now) throw invalid('This API key has expired.');
      const team = await store.getTeam(key.teamId);
      if (!team) throw invalid('Incorrect API key provided.');
      void store.touchKey(key.id, now).catch(() => undefined);
      return { key, team };
    },
  };
}

function extractKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const apiKey = headers['api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
}

const invalid = (message: string) => new GatewayError('invalid_api_key', message);
