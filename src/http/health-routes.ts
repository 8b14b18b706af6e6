import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

/** /healthz: the process answers. /readyz: it can serve traffic (state store reachable, providers configured). */
export function registerHealthRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, unknown> = {};
    let ready = true;
    try {
      await rt.store.ping();
      checks.state = { status: 'ok', kind: rt.store.kind };
    } catch {
      ready = rt.config.state.failMode === 'open';
      checks.state = { status: 'unavailable', kind: rt.store.kind, failMode: rt.config.state.failMode };
    }
    checks.providers = Object.fromEntries(
      [...rt.adapters.values()].map((a) => [a.config.name, { kind: a.config.kind, configured: a.config.apiKey !== '' }]),
    );
    const breakers = rt.catalog.breakerStates();
    checks.breakers = breakers;
    // Not ready when every target of every provider is open: this replica could serve nothing.
    if (breakers.length && breakers.every((b) => b.state === 'open')) ready = false;
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks };
  });
}
