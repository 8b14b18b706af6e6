import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';
import { adminCredential, setActor } from './audit-trail.js';
import type { Principal } from '../auth/authenticate.js';

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

/** Why /admin is off and how to turn it on: the answer to every /admin URL while it is (404 `admin_disabled`). */
export const ADMIN_OFF = {
  noToken:
    'The admin API is off: no admin token is configured. Set GATEWAY_ADMIN_TOKEN (read into server.adminToken by the default config) and restart the gateway or send it SIGHUP; then call /admin with "Authorization: Bearer <token>".',
  disabled: 'The admin API is disabled by server.admin.enabled: false in the config. Set it to true (and an admin token) and restart the gateway.',
  elsewhere: 'The admin API is not served on this port: server.admin.port puts it on a separate operator listener.',
} as const;

/**
 * Fastify onRequest hook for /admin: the caller is the gateway admin (the admin token) or a team admin (a gateway
 * key with `role: "team_admin"`, roles.ts); anyone else gets 401 `admin_unauthorized`. The token is read per
 * request, so a reload that rotates it takes effect at once (the old one stops working); while it is empty the
 * admin API answers 404 `admin_disabled`, saying how to enable it.
 */
export function adminAuthHook(currentToken: () => string, authenticateKey?: (authorization: string) => Promise<Principal>) {
  return async (request: FastifyRequest) => {
    const token = currentToken();
    if (!token) throw new GatewayError('admin_disabled', ADMIN_OFF.noToken);
    const header = request.headers.authorization;
    if (isAdminToken(header, token)) return setActor(request, { role: 'admin', credential: adminCredential(token) });
    const refused = 'The admin API needs "Authorization: Bearer <admin token>" or a team admin key; other gateway keys are not accepted.';
    if (!authenticateKey || typeof header !== 'string' || !/^Bearer\s+\S+\s*$/i.test(header)) throw new GatewayError('admin_unauthorized', refused);
    let principal: Principal;
    try {
      principal = await authenticateKey(header);
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'invalid_api_key') throw new GatewayError('admin_unauthorized', refused);
      throw err; // the store is unreachable: 503, not "wrong credentials"
    }
    if (principal.key.role !== 'team_admin') throw new GatewayError('admin_unauthorized', refused);
    setActor(request, { role: 'team_admin', credential: `key:${principal.key.id}`, team: principal.team.id });
  };
}
