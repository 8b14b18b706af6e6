/** /admin/usage: the usage ledger by team/key/model/provider at hour or day granularity, as JSON or CSV. */
import type { StateStore } from '../state/state-store.js';
import type { RouteTable } from './route-table.js';
import { accessOf, scopedTeam } from './roles.js';
import { usageQueryInput } from './schemas.js';
import { presentUsageRow, toUsageQuery, usageCsv } from './usage-format.js';

export function registerUsageRoutes(routes: RouteTable, store: StateStore): void {
  const tag = 'usage';
  routes.add({ method: 'GET', url: '/usage', summary: 'Usage over a range (format=csv for a CSV export)', tag, query: usageQueryInput, teamAdmin: true }, async ({ query, reply, request }) => {
    const q = toUsageQuery({ ...query, team: scopedTeam(accessOf(request), query.team) });
    const rows = await store.queryUsage(q);
    if (query.format === 'csv') return sendCsv(reply, usageCsv(rows, q.groupBy ?? []), q.from, q.to);
    return { object: 'list', from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), granularity: q.granularity, data: rows.map(presentUsageRow) };
  });
  routes.add({ method: 'GET', url: '/usage.csv', summary: 'Usage over a range as CSV', tag, query: usageQueryInput.omit({ format: true }), produces: 'text/csv', teamAdmin: true }, async ({ query, reply, request }) => {
    const q = toUsageQuery({ ...query, team: scopedTeam(accessOf(request), query.team) });
    return sendCsv(reply, usageCsv(await store.queryUsage(q), q.groupBy ?? []), q.from, q.to);
  });
}

function sendCsv(reply: import('fastify').FastifyReply, csv: string, from: number, to: number) {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="usage-${day(from)}-${day(to)}.csv"`);
  return csv;
}
