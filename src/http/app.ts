/**
 * The Fastify app: HTTP concerns only (routing, body limits, auth hook, error envelope). The pipeline does the
 * rest. `createApp` takes a built Runtime so tests and benchmarks can start as many gateways as they like.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { installErrorHandlers, writeClientError } from './error-handler.js';
import { GatewayError } from '../core/errors.js';
import { registerIngressRoute } from './ingress-route.js';
import { chatIngress } from '../ingress/chat/index.js';
import { messagesIngress } from '../ingress/messages/index.js';
import { registerCountTokensRoute } from '../ingress/messages/count-tokens.js';
import { embeddingsIngress } from '../ingress/embeddings/index.js';
import { responsesIngress } from '../ingress/responses/index.js';
import { registerModelRoutes } from './models-route.js';
import { registerHealthRoutes } from './health-routes.js';
import { authHook } from './auth-hook.js';
import { logRefusedRequest } from './request-log.js';
import { mountOperatorRoutes } from '../admin/operator-listeners.js';
import { registerDashboard } from '../dashboard/dashboard-routes.js';
import { httpTimeouts } from './http-timeouts.js';
import { registerMcpRoutes } from '../mcp/mcp-routes.js';
import { refuseNonFiniteNumbers } from './finite-numbers.js';
import { installJsonBodyParser } from './json-body.js';
import { NO_ROUTE_SCHEMAS } from './no-route-schemas.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Routes answered by the request pipeline (one per ingress). */
const PIPELINE_ROUTES = new Set(['/v1/chat/completions', '/v1/messages', '/v1/responses', '/v1/embeddings']);

export async function createApp(rt: Runtime): Promise<FastifyInstance> {
  const timeouts = httpTimeouts(rt.config.server.requestTimeoutMs);
  const app = Fastify({
    logger: false,
    bodyLimit: rt.config.server.bodyLimitBytes,
    // Behind a trusted load balancer a client-chosen id is useful for tracing; anything odd gets a fresh one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : `req_${randomUUID().replace(/-/g, '')}`;
    },
    // Bounds receiving a request (a slowloris head, a client stalling mid-body), checked every second
    // (http-timeouts.ts); responses, including long streams, are not limited. No socket inactivity timeout
    // (fastify's connectionTimeout): a stream may be silent upstream longer than any fixed value.
    requestTimeout: timeouts.requestTimeout,
    http: timeouts,
    routerOptions: { maxParamLength: 200 },
    schemaController: NO_ROUTE_SCHEMAS,
    // Fastify's own 503 while closing is not in OpenAI's envelope: the onRequest hook below answers instead.
    return503OnClosing: false,
    // Errors raised before routing (bad URL escapes, over-long path parameters) in OpenAI's envelope too.
    frameworkErrors: (err, _request, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      const envelope = new GatewayError('invalid_request', 'The request URL is invalid.', { status }).toEnvelope();
      void (reply as unknown as { code(n: number): { send(b: unknown): void } }).code(status).send(envelope);
    },
    // Malformed HTTP (framing, header overflow) never reaches Fastify's handlers: answer on the socket directly.
    clientErrorHandler: (err, socket) => writeClientError(err, socket),
  });
  installErrorHandlers(app, (err) => rt.logger.error({ err }, 'request failed'));
  // Every body this API takes is JSON: a text/plain one (a browser fetch without a content-type) gets 415
  // unsupported_media_type like any other type, not a misleading "must be a JSON object".
  app.removeContentTypeParser('text/plain');
  // Fastify's JSON parser behind a fast path for bodies that cannot be poisoned or overflow (json-body.ts).
  installJsonBodyParser(app);
  // ±Infinity (what JSON.parse makes of 1e400) is refused on every route with a 400 naming the param.
  app.addHook('preValidation', refuseNonFiniteNumbers);
  // Set when close() starts (SIGTERM). A request that still arrives on a busy keep-alive connection is refused,
  // retryably and with `connection: close`, so the client's retry opens a connection to another replica.
  let draining = false;
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  // Callback style, not async: this runs for every request and an async hook costs a promise each time.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (draining) return done(new GatewayError('shutting_down', 'This gateway replica is shutting down; retry the request.', { headers: { connection: 'close' } }));
    done();
  });

  await app.register(async (v1) => {
    v1.addHook('onRequest', authHook(rt));
    // Chat requests log their own line when their pipeline finishes; requests the error handler answered
    // before that (401, 400 invalid_json, 413, 415) get one here.
    v1.addHook('onResponse', (request, reply, done) => {
      if (request.errorCode !== undefined) {
        logRefusedRequest(rt.logger, request, reply);
        // The pipeline never ran for it, so it never reached recordRequest: count it here (chat requests only).
        if (PIPELINE_ROUTES.has(request.routeOptions.url ?? '')) rt.metrics?.recordRefused(reply.statusCode, request.principal?.team.id, request.errorCode);
      }
      done();
    });
    registerIngressRoute(v1, rt, '/chat/completions', chatIngress);
    registerIngressRoute(v1, rt, '/messages', messagesIngress);
    registerCountTokensRoute(v1, rt);
    registerIngressRoute(v1, rt, '/embeddings', embeddingsIngress);
    registerIngressRoute(v1, rt, '/responses', responsesIngress);
    registerModelRoutes(v1, rt);
  }, { prefix: '/v1' });
  // MCP gateway (docs/mcp.md): its own auth (gateway keys), body parsing and JSON-RPC errors.
  await registerMcpRoutes(app, rt);
  registerHealthRoutes(app, rt);
  // /admin and /metrics: here, on their own port, or off (server.admin / server.metrics).
  await mountOperatorRoutes(app, rt);
  if (rt.config.server.dashboard.enabled) await registerDashboard(app, rt);
  return app;
}
