import type { FastifyRequest } from 'fastify';
import { isAdminToken } from '../admin/admin-auth.js';
import { GatewayError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';

/**
 * Who is looking at the dashboard: the gateway admin (every team), or a gateway key — a team admin key or any
 * other (a viewer) — which sees its own team only.
 */
export type Viewer = { role: 'admin' } | { role: 'team_admin' | 'viewer'; teamId: string; keyId: string };

/**
 * Resolves the dashboard API's bearer token: the admin token (when the admin API is enabled) or a valid gateway
 * key. Throws 401 (`invalid_api_key`) otherwise, 503 when the store cannot be reached.
 */
export async function resolveViewer(request: FastifyRequest, rt: Runtime): Promise<Viewer> {
  const { adminToken, admin } = rt.config.server;
  if (admin.enabled && isAdminToken(request.headers.authorization, adminToken)) return { role: 'admin' };
  try {
    const p = await rt.auth.authenticate({ authorization: request.headers.authorization });
    return { role: p.key.role === 'team_admin' ? 'team_admin' : 'viewer', teamId: p.team.id, keyId: p.key.id };
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('state_unavailable', 'The gateway cannot verify keys right now. Please retry.');
  }
}

/**
 * The team a request may look at. A team viewer always gets its own team; asking for another one is a 404
 * (the same answer as a team that does not exist, so team ids cannot be probed). Admin: the asked team or all.
 */
export function scopeTeam(viewer: Viewer, asked: string | undefined): string | undefined {
  if (viewer.role === 'admin') return asked || undefined;
  if (asked && asked !== viewer.teamId) throw new GatewayError('not_found', `No team with id '${asked}'.`, { param: 'team' });
  return viewer.teamId;
}

/** A key filter: only within a team, and only a key of that team (another team's key is 404, like a team). */
export async function scopeKey(rt: Runtime, teamId: string | undefined, asked: string | undefined): Promise<string | undefined> {
  if (!asked) return undefined;
  const key = await rt.store.getKey(asked);
  if (!teamId || !key || key.teamId !== teamId) throw new GatewayError('not_found', `No key with id '${asked}' in this team.`, { param: 'key' });
  return asked;
}
