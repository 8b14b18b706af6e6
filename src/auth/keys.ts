import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Gateway keys look like `gw-<43 base64url chars>` (256 bits); the prefix makes leaked keys easy to scan for. */
export const KEY_PREFIX = 'gw-';

export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** sha256 hex of the secret: what the store keeps. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The first characters, safe to display (the rest of a 256-bit key stays unguessable). */
export function displayPrefix(secret: string): string {
  return secret.slice(0, KEY_PREFIX.length + 6);
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
