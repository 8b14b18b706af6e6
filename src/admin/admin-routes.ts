/**
 * The admin API under /admin. Every change goes straight to the StateStore, so it applies on every replica at
 * the next request (authentication and policy read the store per request). Disabled (404) when
 * `server.adminToken` is empty (read per request: a reload sets, rotates or clears it) or `server.admin.enabled`
 * is false (a listener setting, applied at start).
 */
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { adminAuthHook } from './admin-auth.js';
import { buildOpenApi } from './openapi.js';
import { createRouteTable } from './route-table.js';
import { registerKeyRoutes } from './key-routes.js';
import { registerTeamRoutes } from './team-routes.js';
import { registerUsageRoutes } from './usage-routes.js';
import { registerAuditRoutes } from './audit-routes.js';
import { createAuditRecorder } from './audit-trail.js';
import { registerTemplateRoutes } from './template-routes.js';

export const ADMIN_PREFIX = '/admin';

export async function registerAdminRoutes(app: FastifyInstance, rt: Runtime): Promise<void> {
  if (!rt.config.server.admin.enabled) return;
  await app.register(
    async (admin) => {
      // Answers carry new secrets, key lists and spend: never kept by a browser or proxy cache (errors too).
      admin.addHook('onRequest', (_request, reply, done) => {
        reply.header('cache-control', 'no-store');
        done();
      });
      admin.addHook('onRequest', adminAuthHook(() => rt.config.server.adminToken, (authorization) => rt.auth.authenticate({ authorization })));
      // A body is optional where the schema has defaults (rotate, revoke): `content-type: application/json` with
      // no body is an empty object, not a 400. Anything else is parsed as Fastify does (proto-poisoning refused).
      const json = admin.getDefaultJsonParser('error', 'error');
      admin.removeContentTypeParser('application/json');
      admin.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
        (body as string).trim() === '' ? done(null, undefined) : json(request, body as string, done),
      );
      const routes = createRouteTable(admin);
      const ctx = { store: rt.store, config: () => rt.config, audit: createAuditRecorder(rt.store, rt.logger) };
      registerTeamRoutes(routes, ctx);
      registerKeyRoutes(routes, ctx);
      registerAuditRoutes(routes, ctx);
      registerUsageRoutes(routes, rt.store);
      registerTemplateRoutes(routes, ctx);
      let doc: Record<string, unknown> | undefined;
      admin.get('/openapi.json', async () => (doc ??= buildOpenApi(routes.docs, ADMIN_PREFIX, '1')));
    },
    { prefix: ADMIN_PREFIX },
  );
}
