/**
 * Connections to upstream MCP servers, with the official SDK's client. A Streamable HTTP server gets one upstream
 * session per client session (its own session state and per-session auth stay per client); a stdio server is one
 * process per gateway process, shared by every session (stdio servers serve one client; JSON-RPC ids keep
 * concurrent calls apart), started at first use and started again after it exits.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { McpServerConfig } from './mcp-config.js';

const CLIENT_INFO = { name: 'ai-gateway', version: '0.1.0' };

export interface Upstream {
  readonly name: string;
  readonly config: McpServerConfig;
  /** Connected client (connects on first call; a failed connect is retried by the next call). */
  client(): Promise<Client>;
  /** Every tool of the server (all pages), cached until the server says its list changed. */
  tools(): Promise<Tool[]>;
  /** Drops the connection after a transport failure (an expired upstream session, an exited process): the next call reconnects. */
  reset(): void;
  /** Ends the upstream session (DELETE for Streamable HTTP, so the server frees it) and the connection. */
  close(): Promise<void>;
}

export function createUpstream(name: string, config: McpServerConfig, logger: Logger, onToolsChanged?: () => void): Upstream {
  let connecting: Promise<Client> | undefined;
  let listing: Promise<Tool[]> | undefined;
  let closed = false;
  const ends = new WeakMap<Client, () => Promise<unknown>>();
  const drop = async (c: Promise<Client>) => {
    const client = await c.catch(() => undefined);
    if (!client) return;
    await ends.get(client)?.();
    await client.close().catch(() => undefined);
  };

  async function connect(current: () => Promise<Client> | undefined): Promise<Client> {
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    client.onclose = () => {
      // The process exited or the server ended the session: the next call connects again. Only if this client is
      // still the current one: after a reset a newer connection may already be in place.
      if (connecting && connecting === current()) {
        connecting = undefined;
        listing = undefined;
      }
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      listing = undefined;
      onToolsChanged?.();
    });
    const transport = config.url
      ? new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } })
      : stdioTransport(name, config, logger);
    // Streamable HTTP: end the upstream session too, so the server frees it at once rather than at its expiry.
    const end = transport instanceof StreamableHTTPClientTransport ? () => transport.terminateSession().catch(() => undefined) : async () => undefined;
    ends.set(client, end);
    try {
      await client.connect(transport, { timeout: config.timeoutMs });
    } catch (err) {
      await client.close().catch(() => undefined);
      throw err;
    }
    if (closed) await client.close().catch(() => undefined);
    return client;
  }

  const upstream: Upstream = {
    name,
    config,
    client() {
      if (closed) return Promise.reject(new Error(`MCP server '${name}' connection closed`));
      if (connecting) return connecting;
      let mine: Promise<Client> | undefined;
      mine = connect(() => mine).catch((err) => {
        if (connecting === mine) connecting = undefined;
        throw err;
      });
      connecting = mine;
      return mine;
    },
    tools() {
      listing ??= (async () => {
        const client = await upstream.client();
        const all: Tool[] = [];
        let cursor: string | undefined;
        // Bounded: a server that pages forever must not hold the session.
        for (let page = 0; page < 100; page++) {
          const r = await client.listTools(cursor ? { cursor } : undefined, { timeout: config.timeoutMs });
          all.push(...r.tools);
          cursor = r.nextCursor;
          if (!cursor) break;
        }
        return all;
      })().catch((err) => {
        listing = undefined;
        // Not an answer from the server but a failed connection (e.g. its session expired): reconnect next time.
        if (!(err instanceof McpError)) upstream.reset();
        throw err;
      });
      return listing;
    },
    reset() {
      const c = connecting;
      connecting = undefined;
      listing = undefined;
      if (c) void drop(c);
    },
    async close() {
      closed = true;
      const c = connecting;
      connecting = undefined;
      if (c) await drop(c);
    },
  };
  return upstream;
}

function stdioTransport(name: string, config: McpServerConfig, logger: Logger): StdioClientTransport {
  const transport = new StdioClientTransport({
    command: config.command!,
    args: config.args,
    // The SDK's minimal environment (PATH, HOME, …), never the gateway's own (provider keys, admin token).
    env: { ...getDefaultEnvironment(), ...config.env },
    cwd: config.cwd,
    stderr: 'pipe',
  });
  // The server's stderr is its log: kept at debug level, line by line, so a chatty server cannot flood the log.
  transport.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logger.debug({ mcpServer: name, stderr: line.slice(0, 2000) }, 'mcp stdio server stderr');
  });
  return transport;
}
