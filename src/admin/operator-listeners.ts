/**
 * Where /admin and /metrics are served. By default on the API listener; `server.admin.port` /
 * `server.metrics.port` move them to a separate listener (one per distinct host:port, shared when both name the
 * same one), opened when the main app becomes ready and closed with it. Disabled → not registered (404).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { SideListenerConfig } from '../config/schema.js';
import { installErrorHandlers } from '../http/error-handler.js';
import { metricsFor } from '../metrics/runtime-metrics.js';
import { registerMetricsRoute } from '../metrics/metrics-route.js';
import type { Runtime } from '../runtime.js';
import { registerAdminRoutes } from './admin-routes.js';
import { ADMIN_OFF } from './admin-auth.js';
import { GatewayError } from '../core/errors.js';
import { NO_ROUTE_SCHEMAS } from '../http/no-route-schemas.js';

type Mount = (app: FastifyInstance) => Promise<void> | void;

export async function mountOperatorRoutes(app: FastifyInstance, rt: Runtime): Promise<void> {
  const { server } = rt.config;
  const side = new Map<string, { host: string; port: number; mounts: Mount[] }>();
  const place = async (cfg: SideListenerConfig, mount: Mount) => {
    if (!cfg.enabled) return;
    if (cfg.port === undefined) return mount(app);
    const host = cfg.host ?? server.host;
    const id = `${host}:${cfg.port}`;
    const entry = side.get(id) ?? { host, port: cfg.port, mounts: [] };
    entry.mounts.push(mount);
    side.set(id, entry);
  };
  await place(server.admin, (a) => registerAdminRoutes(a, rt));
  // Not on this port (off, or on its own listener): /admin URLs say so and how, instead of a bare 404.
  if (!server.admin.enabled || server.admin.port !== undefined) {
    const why = server.admin.enabled ? ADMIN_OFF.elsewhere : ADMIN_OFF.disabled;
    const refuse = async () => {
      throw new GatewayError('admin_disabled', why);
    };
    app.all('/admin', refuse);
    app.all('/admin/*', refuse);
  }
  await place(server.metrics, (a) =>
    registerMetricsRoute(a, metricsFor(rt), { token: () => rt.config.server.metrics.token, publicPort: server.metrics.port === undefined }),
  );

  for (const { host, port, mounts } of side.values()) {
    const sideApp = Fastify({ logger: false, bodyLimit: 1024 * 1024, schemaController: NO_ROUTE_SCHEMAS });
    installErrorHandlers(sideApp, (err) => rt.logger.error({ err }, 'operator request failed'));
    for (const mount of mounts) await mount(sideApp);
    app.addHook('onReady', async () => {
      await sideApp.listen({ host, port });
      rt.logger.info({ host, port }, 'operator listener (admin/metrics) listening');
    });
    app.addHook('onClose', async () => {
      await sideApp.close();
    });
  }
}
