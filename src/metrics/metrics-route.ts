import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/** GET /metrics: the Prometheus text exposition. Unauthenticated (bind it to a separate port to restrict it). */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.render();
    reply.header('content-type', metrics.contentType).header('cache-control', 'no-store');
    return text;
  });
}
