import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Checks `Authorization: Bearer <admin token>` in constant time (both sides hashed to 32 bytes first, so the
 * comparison time does not even reveal the token's length). Only the configured admin token passes — gateway
 * keys are never admin credentials. Pure; `token` must be non-empty (an empty token disables the admin API).
 */
export function isAdminToken(header: string | undefined, token: string): boolean {
  if (!token || typeof header !== 'string') return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  return timingSafeEqual(digest(m[1]), digest(token));
}

/**
 * Fastify onRequest hook for /admin: 401 `admin_unauthorized` unless the admin token is presented. The token is
 * read per request, so a reload that rotates it takes effect at once (the old one stops working); while it is
 * empty the admin API answers 404, as if it were not there.
 */
export function adminAuthHook(currentToken: () => string) {
  return async (request: FastifyRequest) => {
    const token = currentToken();
    if (!token) throw new GatewayError('not_found', `Unknown request URL: ${request.method} ${request.url.split('?')[0].slice(0, 200)}.`);
    if (!isAdminToken(request.headers.authorization, token)) {
      throw new GatewayError('admin_unauthorized', 'The admin API needs "Authorization: Bearer <admin token>". Gateway keys are not accepted.');
    }
  };
}
