/** /admin/audit: the admin audit trail, filtered, as JSON or JSON lines (an export for a SIEM or an archive). */
import { z } from 'zod';
import type { AuditQuery } from '../state/state-store.js';
import type { RouteTable } from './route-table.js';
import { accessOf, scopedTeam } from './roles.js';
import { parseTime } from './schemas.js';
import type { AdminContext } from './team-routes.js';

const ID = z.string().min(1).max(200);
const time = z
  .string()
  .refine((s) => Number.isFinite(parseTime(s)) && Math.abs(parseTime(s)) <= 8.64e15, 'an ISO 8601 time or epoch milliseconds')
  .optional();

export const auditQueryInput = z
  .object({
    from: time.describe('Inclusive start (ISO 8601 or epoch ms)'),
    to: time.describe('Exclusive end'),
    team: ID.optional(),
    action: z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'e.g. key.rotate').optional(),
    target: ID.optional().describe('A team or key id'),
    actor: ID.optional().describe("The credential (admin-token:…, key:…) or the x-audit-actor name"),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    format: z.enum(['json', 'jsonl']).default('json'),
  })
  .strict();

export function toAuditQuery(q: z.output<typeof auditQueryInput>): AuditQuery {
  return {
    from: q.from !== undefined ? parseTime(q.from) : undefined,
    to: q.to !== undefined ? parseTime(q.to) : undefined,
    team: q.team,
    action: q.action,
    targetId: q.target,
    actor: q.actor,
    limit: q.limit,
  };
}

export function registerAuditRoutes(routes: RouteTable, { store }: AdminContext): void {
  routes.add({ method: 'GET', url: '/audit', summary: 'Admin changes, newest first (format=jsonl: JSON lines export)', tag: 'audit', query: auditQueryInput, teamAdmin: true }, async ({ query, reply, request }) => {
    const entries = await store.listAudit(toAuditQuery({ ...query, team: scopedTeam(accessOf(request), query.team) }));
    if (query.format === 'jsonl') {
      reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="audit.jsonl"');
      return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
    }
    return { object: 'list', data: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) };
  });
}
