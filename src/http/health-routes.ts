import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

/** /healthz: the process answers. /readyz: it can serve traffic (state store reachable, embedder loaded, some target not cut off). */
export function registerHealthRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, unknown> = {};
    let ready = true;
    try {
      await rt.store.ping();
      await rt.stateWatch.check(); // a probe is the first to learn that the store lost its data
      // `data: restoring` while the config's teams and keys are written again into a store that lost its data.
      const watch = rt.stateWatch.status();
      checks.state = { status: watch.data === 'ok' ? 'ok' : 'restoring', kind: rt.store.kind, ...watch };
      if (watch.data !== 'ok') ready = false;
    } catch {
      ready = rt.config.state.failMode === 'open';
      checks.state = { status: 'unavailable', kind: rt.store.kind, failMode: rt.config.state.failMode };
    }
    checks.providers = Object.fromEntries(
      [...rt.adapters.values()].map((a) => [a.config.name, { kind: a.config.kind, configured: a.config.apiKey !== '' }]),
    );
    // While the embedder loads at start, the topic guard would refuse (or wave through) requests and the semantic
    // cache and routes cannot work: hold traffic back until it is loaded. A load a request began (`warming`) does
    // not: every replica would turn unready together. An embedder that failed for good does not make the replica
    // unready either (every replica would fail alike); it shows as `unavailable` here and in the log.
    const embeddings = rt.vectors.status();
    checks.embeddings = { status: embeddings };
    if (embeddings === 'loading') ready = false;
    const breakers = rt.catalog.breakerStates();
    checks.breakers = breakers;
    // Not ready when every target of every provider is open: this replica could serve nothing.
    if (breakers.length && breakers.every((b) => b.state === 'open')) ready = false;
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks };
  });
}
