/**
 * Who may do what in the admin API. Three roles:
 * - gateway admin (the admin token): everything;
 * - team admin (a gateway key with `role: "team_admin"`): its own team's keys (create, change, rotate, revoke;
 *   budgets and rate limits no higher than the team's), budget status, usage and audit trail; never teams;
 * - viewer (any other gateway key): no admin API; its team's spend on the dashboard.
 * Routes allow the gateway admin only unless they list `team_admin` (route-table.ts): deny by default. Another
 * team's objects are 404 to a team admin, as if they did not exist (ids cannot be probed).
 */
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';
import type { Budget, RateLimits, Team } from '../state/types.js';
import { actorOf } from './audit-trail.js';

export type AdminRole = 'admin' | 'team_admin';

export type Access = { role: 'admin' } | { role: 'team_admin'; team: string };

export function accessOf(request: FastifyRequest): Access {
  const a = actorOf(request);
  return a.role === 'team_admin' && a.team ? { role: 'team_admin', team: a.team } : { role: 'admin' };
}

export const forbidden = (what: string) =>
  new GatewayError('admin_forbidden', `A team admin key cannot ${what}; ask a gateway admin (admin token).`);

/** 404 for a team admin asking about another team. */
export function checkTeam(access: Access, teamId: string, param = 'id'): void {
  if (access.role === 'team_admin' && teamId !== access.team) {
    throw new GatewayError('not_found', `No ${param === 'team' ? 'team' : 'object'} with id '${teamId}'.`, { param });
  }
}

/** The team filter a query gets: a team admin's own team whatever was asked (another team is 404). */
export function scopedTeam(access: Access, asked: string | undefined): string | undefined {
  if (access.role === 'admin') return asked;
  if (asked !== undefined) checkTeam(access, asked, 'team');
  return access.team;
}

/**
 * A team admin gives keys budgets and rate limits within the team's: for a period and unit the team limits, a
 * key's limit may not be higher (a key cannot be promised more than its team can spend).
 */
export function checkWithinTeam(access: Access, team: Team, budgets: Budget[] | undefined, limits: RateLimits | null | undefined): void {
  if (access.role !== 'team_admin') return;
  for (const [i, b] of (budgets ?? []).entries()) {
    const t = team.budgets.find((x) => x.period === b.period);
    if (t?.usdMicros !== undefined && b.usdMicros !== undefined && b.usdMicros > t.usdMicros) {
      throw new GatewayError('admin_forbidden', `budgets.${i}: a team admin key cannot set a ${b.period} USD limit above the team's ($${t.usdMicros / 1e6}).`, { param: `budgets.${i}.usd` });
    }
    if (t?.tokens !== undefined && b.tokens !== undefined && b.tokens > t.tokens) {
      throw new GatewayError('admin_forbidden', `budgets.${i}: a team admin key cannot set a ${b.period} token limit above the team's (${t.tokens}).`, { param: `budgets.${i}.tokens` });
    }
  }
  for (const unit of ['rpm', 'tpm'] as const) {
    const cap = team.rateLimits?.[unit];
    const asked = limits?.[unit];
    if (cap !== undefined && asked !== undefined && asked > cap) {
      throw new GatewayError('admin_forbidden', `rateLimits.${unit}: a team admin key cannot set more than the team's ${cap}.`, { param: `rateLimits.${unit}` });
    }
  }
}
