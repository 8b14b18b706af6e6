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

/** Fastify onRequest hook for /admin: 401 `admin_unauthorized` unless the admin token is presented. */
export function adminAuthHook(token: string) {
  return async (request: FastifyRequest) => {
    if (!isAdminToken(request.headers.authorization, token)) {
      throw new GatewayError('admin_unauthorized', 'The admin API needs "Authorization: Bearer <admin token>". Gateway keys are not accepted.');
    }
  };
}
