/**
 * `/mcp` (every allowed server, tools namespaced `<server>__<tool>`) and `/mcp/<server>` (one server, its own
 * tool names): the MCP Streamable HTTP transport (POST, GET for the server's SSE stream, DELETE to end a
 * session). Every request is authenticated with the /v1 authenticator (gateway keys); the body is read by the
 * SDK's transport itself, so JSON-RPC errors (parse errors, wrong Accept) come in the protocol's own shape.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/authenticate.js';
import { GatewayError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';
import { mcpMetrics } from './mcp-metrics.js';
import { teamAccess } from './team-access.js';
import type { GatewaySession } from './session.js';
import type { Upstream } from './upstream.js';

/**
 * The modules built on the MCP SDK, loaded with the first /mcp request rather than at start: the SDK holds ~25 MB
 * of a process's idle memory (issue 22), and most gateways serve no MCP.
 */
interface SdkModules {
  createSession: typeof import('./session.js').createSession;
  createUpstream: typeof import('./upstream.js').createUpstream;
}
let sdk: SdkModules | undefined;
const loadSdk = async (): Promise<SdkModules> => {
  if (!sdk) {
    const [session, upstream] = await Promise.all([import('./session.js'), import('./upstream.js')]);
    sdk = { createSession: session.createSession, createUpstream: upstream.createUpstream };
  }
  return sdk;
};

export async function registerMcpRoutes(app: FastifyInstance, rt: Runtime): Promise<void> {
  // Registered now so the series' HELP/TYPE are on /metrics before the first call (dashboards find them).
  mcpMetrics(rt.metrics);
  const sessions = new Map<string, GatewaySession>();
  /** stdio servers: one process per gateway process, replaced when a reload changes its config. */
  const stdio = new Map<string, { json: string; upstream: Upstream }>();
  const shared = (name: string): Upstream | undefined => {
    const cfg = rt.config.mcp.servers[name];
    if (!cfg?.command) return undefined;
    const json = JSON.stringify(cfg);
    const have = stdio.get(name);
    if (have?.json === json) return have.upstream;
    if (have) void have.upstream.close();
    // Called by sessions only, so after the first request loaded the SDK.
    const upstream = sdk!.createUpstream(name, cfg, rt.logger, () => {
      for (const s of sessions.values()) if (!s.only || s.only === name) s.toolsChanged();
    });
    stdio.set(name, { json, upstream });
    return upstream;
  };
  const closeAll = async () => {
    await Promise.allSettled([...sessions.values()].map((s) => s.close()));
    await Promise.allSettled([...stdio.values()].map((s) => s.upstream.close()));
    stdio.clear();
  };
  // Open SSE streams would hold the server's close: sessions end when shutdown starts.
  app.addHook('preClose', (done) => void closeAll().then(() => done()));

  const handle = async (request: FastifyRequest<{ Params: { server?: string } }>, reply: FastifyReply) => {
    let principal: Principal;
    try {
      principal = await rt.auth.authenticate(request.headers);
    } catch (err) {
      if (err instanceof GatewayError) return rpcError(reply, err.status, -32001, err.message, err.code, { 'www-authenticate': 'Bearer realm="ai-gateway"' });
      rt.logger.error({ err }, 'state store unavailable during authentication');
      return rpcError(reply, 503, -32004, 'The gateway cannot verify API keys right now. Please retry.', 'state_unavailable');
    }
    const only = request.params.server;
    if (only !== undefined) {
      if (!rt.config.mcp.servers[only]) return rpcError(reply, 404, -32601, `No MCP server '${only}' is configured.`, 'not_found');
      if (!teamAccess(principal.team, rt.logger).server(only)) return rpcError(reply, 403, -32001, `MCP server '${only}' is not allowed for your team.`, 'tool_not_allowed');
    }
    const sid = request.headers['mcp-session-id'];
    let session: GatewaySession | undefined;
    if (typeof sid === 'string') {
      session = sessions.get(sid);
      // Another key's session is reported as unknown: its existence is not for this caller to learn.
      if (!session || session.keyId !== principal.key.id || session.only !== only) return rpcError(reply, 404, -32001, 'Session not found', 'not_found');
      session.principal = principal;
    } else {
      if (request.method !== 'POST') return rpcError(reply, 400, -32000, 'Bad Request: Mcp-Session-Id header is required', 'invalid_request');
      let mine = 0;
      for (const open of sessions.values()) if (open.keyId === principal.key.id) mine++;
      if (mine >= rt.config.mcp.maxSessionsPerKey) {
        return rpcError(reply, 429, -32029, `This key already has ${mine} open MCP sessions (mcp.maxSessionsPerKey); end one (DELETE) or let it expire.`, 'rate_limit_exceeded', { 'retry-after': '5' });
      }
      if (sessions.size >= rt.config.mcp.maxSessions) {
        return rpcError(reply, 503, -32000, 'Too many open MCP sessions on this gateway; retry shortly.', 'upstream_unavailable', { 'retry-after': '5' });
      }
      const { createSession } = await loadSdk();
      session = await createSession({
        rt,
        principal,
        only,
        shared,
        onInitialized: (id, s) => sessions.set(id, s),
        onClosed: (id) => sessions.delete(id),
      });
    }
    reply.hijack();
    // Hijacked: the app's onRequest header is not sent by Fastify, so set it on the raw response.
    reply.raw.setHeader('x-request-id', request.id);
    const s = session;
    s.begin();
    reply.raw.once('close', () => s.end());
    try {
      await session.transport.handleRequest(request.raw, reply.raw);
    } catch (err) {
      rt.logger.error({ err }, 'mcp request failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(rpcBody(-32603, 'Internal error', 'internal_error')));
    }
    // Not an initialize (or a failed one): no session was opened, nothing to keep.
    if (!session.id()) void session.close();
  };

  await app.register(async (scope) => {
    // The SDK's transport reads and parses the body itself (with its own size limit and JSON-RPC errors).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    for (const url of ['/mcp', '/mcp/:server']) scope.route({ method: ['GET', 'POST', 'DELETE'], url, handler: handle });
  });
}

function rpcBody(code: number, message: string, gatewayCode: string) {
  return { jsonrpc: '2.0', error: { code, message, data: { code: gatewayCode } }, id: null };
}

function rpcError(reply: FastifyReply, status: number, code: number, message: string, gatewayCode: string, headers: Record<string, string> = {}) {
  return reply.code(status).headers(headers).type('application/json').send(rpcBody(code, message, gatewayCode));
}
