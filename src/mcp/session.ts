/**
 * One client session of `/mcp` or `/mcp/<server>`: an SDK `Server` on the SDK's Streamable HTTP server transport
 * (session id, SSE streams, notifications, cancellation: all the SDK's), answering tools/list and tools/call from
 * the upstream servers. Bound to the key that opened it: another key presenting its id gets 404. Streamable HTTP
 * upstreams get a session of their own per client session, closed with it.
 */
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../auth/authenticate.js';
import type { Runtime } from '../runtime.js';
import { listTools, resolveTool, type CatalogContext } from './tool-catalog.js';
import { callTool } from './tool-call.js';
import { teamAccess } from './team-access.js';
import { createUpstream, type Upstream } from './upstream.js';

export interface GatewaySession {
  /** Set once the client's initialize succeeded. */
  readonly id: () => string | undefined;
  readonly keyId: string;
  /** The server of `/mcp/<server>`; undefined behind the aggregated `/mcp`. */
  readonly only?: string;
  readonly transport: StreamableHTTPServerTransport;
  /** The latest authentication of the session's key (its team's policy may change during the session). */
  principal: Principal;
  /**
   * Brackets each HTTP request of the session: the idle timer runs only while none is open (a long tool call or
   * an open GET stream is not idleness), from the end of the last one.
   */
  begin(): void;
  end(): void;
  toolsChanged(): void;
  close(): Promise<void>;
}

export interface SessionOptions {
  rt: Runtime;
  principal: Principal;
  only?: string;
  /** Shared upstreams (stdio servers: one process per gateway), by server name. */
  shared: (name: string) => Upstream | undefined;
  onInitialized: (id: string, s: GatewaySession) => void;
  onClosed: (id: string) => void;
}

export async function createSession(opts: SessionOptions): Promise<GatewaySession> {
  const { rt, only } = opts;
  const mcp = rt.config.mcp;
  const names = only ? [only] : Object.keys(mcp.servers);
  const own: Upstream[] = [];
  const upstreams = new Map<string, Upstream>();
  for (const name of names) {
    const cfg = mcp.servers[name]!;
    let u = cfg.command ? opts.shared(name) : undefined;
    if (!u) own.push((u = createUpstream(name, cfg, rt.logger, () => session.toolsChanged())));
    upstreams.set(name, u);
  }

  const server = new Server(
    { name: 'ai-gateway', version: '0.1.0' },
    {
      capabilities: { tools: { listChanged: true } },
      instructions: only ? undefined : 'Tools of several MCP servers, named <server>__<tool>.',
    },
  );
  const catalog = (): CatalogContext => ({
    upstreams,
    only,
    access: teamAccess(session.principal.team, rt.logger),
    guards: rt.guards.forTeam(session.principal.team),
    descriptions: mcp.descriptions,
    logger: rt.logger,
  });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await listTools(catalog()) }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const ctx = catalog();
    const token = req.params._meta?.progressToken;
    return callTool({
      rt,
      principal: session.principal,
      sessionId: transport.sessionId ?? '',
      name: req.params.name,
      resolve: () => resolveTool(ctx, req.params.name),
      arguments: req.params.arguments ?? {},
      signal: extra.signal,
      onProgress:
        token === undefined
          ? undefined
          : (p) => void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: p.progress, total: p.total, message: p.message } }).catch(() => undefined),
    });
  });

  let idle: NodeJS.Timeout | undefined;
  let open = 0;
  let closed = false;
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => opts.onInitialized(id, session),
    // DELETE from the client.
    onsessionclosed: () => void session.close(),
    maxRequestBodySize: rt.config.server.bodyLimitBytes,
  });

  const session: GatewaySession = {
    id: () => transport.sessionId,
    keyId: opts.principal.key.id,
    only,
    transport,
    principal: opts.principal,
    begin() {
      open++;
      clearTimeout(idle);
    },
    end() {
      if (--open > 0 || closed) return;
      idle = setTimeout(() => {
        rt.logger.info({ session: transport.sessionId, key: session.keyId }, 'mcp session closed after being idle');
        void session.close();
      }, mcp.sessionIdleMs);
      idle.unref();
    },
    toolsChanged() {
      if (transport.sessionId) void server.sendToolListChanged().catch(() => undefined);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(idle);
      const id = transport.sessionId;
      if (id) opts.onClosed(id);
      await server.close().catch(() => undefined);
      await Promise.allSettled(own.map((u) => u.close()));
    },
  };
  await server.connect(transport);
  return session;
}
