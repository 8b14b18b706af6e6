/**
 * /dashboard: a static page (HTML, JS, CSS; uPlot served from its npm package, no CDN) and its JSON API under
 * /dashboard/api, authenticated per request with the admin token or a gateway key. Team scoping is enforced
 * here, on the server: a key sees its own team only.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { validate } from '../admin/validate.js';
import { metricsFor } from '../metrics/runtime-metrics.js';
import type { Runtime } from '../runtime.js';
import { loadDashboardAssets } from './assets.js';
import { buildSummary } from './summary.js';
import { calibrationView } from './semantic-calibration.js';
import { resolveViewer, scopeKey, scopeTeam } from './viewer.js';
import { createModelNamer } from './model-names.js';
import { usageCsv } from '../admin/usage-format.js';
import { GatewayError } from '../core/errors.js';
import { USAGE_METRICS, type UsageRow } from '../state/types.js';

const DAY = 86_400_000;
/** The longest range a view may ask for (the ledger keeps 400 days by default). */
const MAX_DAYS = 400;
const day = z.string().regex(/^\d{4}-\d\d-\d\d$/, 'a UTC date, YYYY-MM-DD');
const rangeQuery = {
  team: z.string().max(64).optional(),
  key: z.string().max(64).optional(),
  days: z.coerce.number().int().min(1).max(MAX_DAYS).optional().describe('The last N days (default 7)'),
  from: day.optional().describe('First UTC day, inclusive'),
  to: day.optional().describe('Last UTC day, inclusive'),
};
const summaryQuery = z.object(rangeQuery).strict();
const csvQuery = z.object(rangeQuery).strict();
const semanticQuery = z.object({ team: z.string().max(64).optional() }).strict();

/** `from`/`to` (whole UTC days, `to` inclusive) or `days` → epoch ms; 400 invalid_request naming the field. */
function range(q: { days?: number; from?: string; to?: string }): { days?: number; from?: number; to?: number } {
  if (q.from === undefined && q.to === undefined) return { days: q.days ?? 7 };
  if (q.from === undefined || q.to === undefined) throw new GatewayError('invalid_request', "Give both 'from' and 'to' (UTC dates, YYYY-MM-DD), or 'days'.", { param: q.from === undefined ? 'from' : 'to' });
  const from = Date.parse(`${q.from}T00:00:00Z`);
  const to = Date.parse(`${q.to}T00:00:00Z`) + DAY;
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new GatewayError('invalid_request', 'Not a calendar date.', { param: Number.isFinite(from) ? 'to' : 'from' });
  if (from >= to) throw new GatewayError('invalid_request', "'from' must not be after 'to'.", { param: 'from' });
  if (to - from > MAX_DAYS * DAY) throw new GatewayError('invalid_request', `A range is at most ${MAX_DAYS} days.`, { param: 'from' });
  return { from, to };
}

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export async function registerDashboard(app: FastifyInstance, rt: Runtime): Promise<void> {
  const assets = loadDashboardAssets();
  await app.register(
    async (d) => {
      d.addHook('onSend', async (_request, reply, payload) => {
        reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
        return payload;
      });
      const page = async (_req: unknown, reply: import('fastify').FastifyReply) =>
        reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(assets.html);
      d.get('/', page);
      d.get('/assets/:name', async (request, reply) => {
        const asset = assets.files.get((request.params as { name: string }).name);
        if (!asset) return reply.callNotFound();
        return reply.header('content-type', asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
      });

      d.get('/api/me', async (request, reply) => {
        const viewer = await resolveViewer(request, rt);
        reply.header('cache-control', 'no-store'); // names the viewer's team(s), like the summary
        if (viewer.role === 'admin') return { role: 'admin', teams: (await rt.store.listTeams()).map((t) => ({ id: t.id, name: t.name })) };
        const team = await rt.store.getTeam(viewer.teamId);
        return { role: viewer.role, team: viewer.teamId, key: viewer.keyId, teams: [{ id: viewer.teamId, name: team?.name ?? viewer.teamId }] };
      });
      d.get('/api/summary', async (request, reply) => {
        const viewer = await resolveViewer(request, rt);
        const q = validate(summaryQuery, request.query, 'query');
        const teamId = scopeTeam(viewer, q.team);
        const keyId = await scopeKey(rt, teamId, q.key);
        reply.header('cache-control', 'no-store');
        return buildSummary(rt.store, metricsFor(rt), { teamId, keyId, ...range(q), modelName: createModelNamer(rt.config) });
      });
      // The semantic cache's calibration for a team (docs/semantic.md): comparisons and agreement per band.
      d.get('/api/semantic', async (request, reply) => {
        const viewer = await resolveViewer(request, rt);
        const q = validate(semanticQuery, request.query, 'query');
        const teamId = scopeTeam(viewer, q.team);
        if (!teamId) throw new GatewayError('invalid_request', "Give the 'team' whose semantic cache calibration to show.", { param: 'team' });
        const team = await rt.store.getTeam(teamId);
        if (!team) throw new GatewayError('not_found', `No team with id '${teamId}'.`, { param: 'team' });
        reply.header('cache-control', 'no-store');
        return calibrationView(rt.store, rt.config, team);
      });
      // A CSV a developer can open in a spreadsheet, with their own team key (no admin token needed): per UTC day,
      // key and model, over the same range and scope as the page.
      d.get('/api/usage.csv', async (request, reply) => {
        const viewer = await resolveViewer(request, rt);
        const q = validate(csvQuery, request.query, 'query');
        const teamId = scopeTeam(viewer, q.team);
        const keyId = await scopeKey(rt, teamId, q.key);
        const r = range(q);
        const to = r.to ?? Math.floor(Date.now() / DAY) * DAY + DAY;
        const from = r.from ?? to - (r.days ?? 7) * DAY;
        const groupBy = ['team', 'key', 'model', 'provider'] as const;
        const rows = await rt.store.queryUsage({ from, to, granularity: 'day', teamId, keyId, groupBy: [...groupBy] });
        const name = createModelNamer(rt.config);
        const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
        reply
          .header('cache-control', 'no-store')
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="spend-${teamId ?? 'all'}-${iso(from)}-${iso(to - DAY)}.csv"`);
        return usageCsv(mergeRows(rows.map((row) => ({ ...row, model: name(row.model!) }))), [...groupBy]);
      });
    },
    { prefix: '/dashboard' },
  );
}

/** Rows that became one (same day, team, key, provider and, after naming, model) summed into one. */
function mergeRows(rows: UsageRow[]): UsageRow[] {
  const out = new Map<string, UsageRow>();
  for (const r of rows) {
    const k = [r.bucket, r.teamId, r.keyId, r.model, r.provider].join('\u0000');
    const cur = out.get(k);
    if (!cur) out.set(k, { ...r });
    else for (const m of USAGE_METRICS) cur[m] += r[m];
  }
  return [...out.values()];
}
