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
import { resolveViewer, scopeTeam } from './viewer.js';

const summaryQuery = z
  .object({
    team: z.string().max(64).optional(),
    days: z.enum(['1', '7', '30', '90']).default('7'),
  })
  .strict();

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
        return { role: 'team', team: viewer.teamId, key: viewer.keyId, teams: [{ id: viewer.teamId, name: team?.name ?? viewer.teamId }] };
      });
      d.get('/api/summary', async (request, reply) => {
        const viewer = await resolveViewer(request, rt);
        const q = validate(summaryQuery, request.query, 'query');
        const teamId = scopeTeam(viewer, q.team);
        reply.header('cache-control', 'no-store');
        return buildSummary(rt.store, metricsFor(rt), { teamId, days: Number(q.days) });
      });
    },
    { prefix: '/dashboard' },
  );
}
