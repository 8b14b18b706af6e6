/** Key rotation in place, shared by both stores. Pure. */
import type { ApiKey, KeyRotation } from './types.js';

/**
 * The key as seen through the secret its last rotation replaced: that secret's hash and prefix, revoked at the
 * end of the grace period (or earlier, when the key itself was revoked earlier). Authentication then treats it
 * like any key with a pending revocation, under the same id, budgets and usage history.
 */
export function seenThroughPrevious(key: ApiKey): ApiKey | undefined {
  const p = key.previous;
  if (!p) return undefined;
  return { ...key, hash: p.hash, prefix: p.prefix, revokedAt: Math.min(key.revokedAt ?? Infinity, p.until) };
}

/** The key document after a rotation: the new secret, and the replaced one kept as `previous`. */
export function rotated(key: ApiKey, r: KeyRotation): ApiKey {
  return { ...key, hash: r.hash, prefix: r.prefix, previous: { hash: key.hash, prefix: key.prefix, until: r.previousUntil } };
}
