/**
 * The `mcp` config section (upstream MCP servers behind `/mcp`) and the team policy's `mcp` section (which of
 * them, and which of their tools, a team may use). docs/mcp.md documents both.
 */
import { z } from 'zod';
import { DEFAULT_INJECTION_THRESHOLD } from '../../guards/injection/index.js';

const decimal = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'a decimal number')]);
const rpmLimit = z.object({ rpm: z.number().int().positive() }).strict();

/** Per-tool overrides of a server's price and rate limit. */
const toolSettings = z.object({ pricePerCall: decimal.optional(), rateLimit: rpmLimit.optional() }).strict();

export const SERVER_NAME = /^[A-Za-z0-9-]+(_[A-Za-z0-9-]+)*$/;

const server = z
  .object({
    /** A Streamable HTTP server: its endpoint URL. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** Headers sent to it (its own credentials, e.g. `Authorization: Bearer ${GITHUB_TOKEN}`); never the client's key. */
    headers: z.record(z.string(), z.string()).default({}),
    /** Or a stdio server the gateway starts (once per gateway process, restarted if it exits). */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    /** Environment of the stdio process, on top of a minimal safe one (PATH, HOME…): the gateway's own is not passed. */
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    /** Bound on each call to the server (connect, tools/list, tools/call): a hung server gets an error, not a hang. */
    timeoutMs: z.number().int().positive().default(60_000),
    /** USD charged to the team's and key's budgets per tool call (reserved before, settled after, like chat). */
    pricePerCall: decimal.default(0),
    /** Calls per minute per team to each of this server's tools. */
    rateLimit: rpmLimit.optional(),
    tools: z.record(z.string(), toolSettings).default({}),
  })
  .strict()
  .refine((s) => (s.url === undefined) !== (s.command === undefined), 'an MCP server needs exactly one of `url` (Streamable HTTP) or `command` (stdio)');

export const mcpConfigSchema = z
  .object({
    servers: z
      .record(z.string().regex(SERVER_NAME, 'letters, digits, `-` and single `_` (`__` separates server and tool names)'), server)
      .default({}),
    /** A client session idle this long is closed (its upstream sessions too). */
    sessionIdleMs: z.number().int().positive().default(30 * 60_000),
    /** Open client sessions per gateway process; an initialize beyond it gets 503. */
    maxSessions: z.number().int().positive().default(1000),
    /** Open client sessions per key (or JWT user), so one caller cannot take every session; beyond it 429. */
    maxSessionsPerKey: z.number().int().positive().default(100),
    /**
     * Tool descriptions are scanned by the injection detector (a poisoned description instructs the model).
     * `hide`: the tool is left out of tools/list and calls to it are refused; `flag`: listed, with
     * `_meta["gateway/flagged"]` and a warning log line; `off`.
     */
    descriptions: z
      .object({ action: z.enum(['hide', 'flag', 'off']).default('hide'), threshold: z.number().min(0).max(1).default(DEFAULT_INJECTION_THRESHOLD) })
      .strict()
      .prefault({}),
  })
  .strict();

/**
 * Team policy `mcp`: allow-lists. `servers`: server names or `*`. `tools`: namespaced names `<server>__<tool>`
 * where `*` matches any characters (`github__*`, `*__search`, `*`). Unset: every configured server and tool.
 */
export const mcpPolicySchema = z
  .object({ servers: z.array(z.string().min(1).max(200)), tools: z.array(z.string().min(1).max(200)) })
  .partial()
  .strict();

export type McpConfig = z.output<typeof mcpConfigSchema>;
export type McpServerConfig = McpConfig['servers'][string];
export type McpPolicy = z.output<typeof mcpPolicySchema>;
