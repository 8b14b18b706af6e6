import type { FastifyInstance } from 'fastify';
import { isAdminToken } from '../admin/admin-auth.js';
import { GatewayError } from '../core/errors.js';
import type { Metrics } from './metrics.js';

export interface MetricsAccess {
  /** `server.metrics.token`, read per request (a reload sets, rotates or clears it). */
  token: () => string;
  /** True when served on the public API port: then a token is required, and without one the route refuses. */
  publicPort: boolean;
}

/**
 * GET /metrics: the Prometheus text exposition. It names every team with its spend and budget, so on the API
 * port (where every tenant's apps connect) it needs `Authorization: Bearer <server.metrics.token>`; with no
 * token configured it refuses and says how to scrape it. On an operator listener (`server.metrics.port`) it is
 * open unless a token is set (the bind address and the network keep it private).
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, access: MetricsAccess = { token: () => '', publicPort: false }): void {
  app.get('/metrics', async (request, reply) => {
    const token = access.token();
    if (token ? !isAdminToken(request.headers.authorization, token) : access.publicPort) {
      const how = token
        ? 'Send "Authorization: Bearer <server.metrics.token>" (Prometheus: scrape_configs[].authorization.credentials).'
        : 'It lists every team, so it is not served on the API port without a token: set server.metrics.token (GATEWAY_METRICS_TOKEN in the default config) and scrape with "Authorization: Bearer <token>", or serve it on an operator listener with server.metrics.port.';
      throw new GatewayError('metrics_unauthorized', `/metrics needs the metrics token. ${how}`, { headers: { 'www-authenticate': 'Bearer realm="metrics"' } });
    }
    const text = await metrics.render();
    reply.header('content-type', metrics.contentType).header('cache-control', 'no-store');
    return text;
  });
}
