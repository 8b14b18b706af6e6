import type { FastifyInstance } from 'fastify';
import type { Ingress } from '../ingress/types.js';
import { runPipeline } from '../pipeline/chat.js';
import { createRequestContext } from '../pipeline/context.js';
import type { Runtime } from '../runtime.js';
import { createNodeSink } from './node-sink.js';

/**
 * `POST <path>` answered by the pipeline through `ingress`. Hijacks the reply so SSE frames go straight to the
 * socket, unbuffered.
 */
export function registerIngressRoute(app: FastifyInstance, rt: Runtime, path: string, ingress: Ingress): void {
  const sinkOptions = { keepAliveMs: rt.config.server.sseKeepAliveMs, stallMs: rt.config.server.clientStallMs };
  app.post(path, { config: { errorEnvelope: ingress.errorEnvelope } }, async (request, reply) => {
    const ctx = createRequestContext(request.id);
    ctx.principal = request.principal;
    ctx.authTiming = request.authTiming;
    reply.hijack();
    const sink = createNodeSink(reply.raw, sinkOptions);
    sink.setHeader('x-request-id', ctx.id);
    // Pinned: a config reload during this request does not change the config it runs with.
    const running = runPipeline(rt.pin(), ctx, ingress, request.body, request.headers, sink);
    rt.inflight.add(running);
    try {
      await running;
    } finally {
      rt.inflight.delete(running);
    }
  });
}
