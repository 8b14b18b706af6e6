/**
 * The tools a session sees: every allowed server's tools behind `/mcp` as `<server>__<tool>`, or one server's
 * tools under their own names behind `/mcp/<server>`. Tools the team may not use are left out; tools whose
 * description the injection detector scores as poisoned are left out (`descriptions.action: hide`) or listed
 * with `_meta["gateway/flagged"]` (`flag`); descriptions pass the team's PII guard.
 */
import type { Logger } from 'pino';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { createInjectionDetector, type InjectionDetector } from '../../guards/injection/index.js';
import type { TeamGuards } from '../pipeline/team-guards.js';
import type { McpConfig } from './mcp-config.js';
import { refusal } from './refusal.js';
import { NAMESPACE_SEPARATOR, type TeamAccess } from './team-access.js';
import { descriptionScore, guardDescription } from './tool-guards.js';
import type { Upstream } from './upstream.js';

export interface CatalogContext {
  upstreams: ReadonlyMap<string, Upstream>;
  /** Set behind `/mcp/<server>`: that server only, tools under their own names. */
  only?: string;
  access: TeamAccess;
  guards: TeamGuards;
  descriptions: McpConfig['descriptions'];
  logger: Logger;
}

/** Loaded once per process, when the first description is scanned (shared: it only reads). */
let detector: InjectionDetector | undefined;
const scores = new WeakMap<Tool, { score: number; signals: string[] }>();

function verdict(ctx: CatalogContext, server: string, tool: Tool): 'ok' | 'flag' | 'hide' {
  if (ctx.descriptions.action === 'off') return 'ok';
  let s = scores.get(tool);
  if (!s) {
    s = descriptionScore((detector ??= createInjectionDetector()), tool);
    scores.set(tool, s);
    // Once per tool definition the server gives (a changed list is scanned and logged again).
    if (s.score >= ctx.descriptions.threshold) {
      ctx.logger.warn({ server, tool: tool.name, score: round(s.score), signals: s.signals, action: ctx.descriptions.action }, 'mcp tool description looks like a prompt injection');
    }
  }
  if (s.score < ctx.descriptions.threshold) return 'ok';
  return ctx.descriptions.action;
}

export function exposedName(ctx: CatalogContext, server: string, tool: string): string {
  return ctx.only ? tool : `${server}${NAMESPACE_SEPARATOR}${tool}`;
}

/** The session's tools/list. An aggregated list leaves out a server that fails (logged); one server's list fails with it. */
export async function listTools(ctx: CatalogContext): Promise<Tool[]> {
  const servers = ctx.only ? [ctx.only] : [...ctx.upstreams.keys()].filter((s) => ctx.access.server(s));
  const lists = await Promise.all(
    servers.map(async (server) => {
      try {
        return { server, tools: await ctx.upstreams.get(server)!.tools() };
      } catch (err) {
        if (ctx.only) throw refusal('upstream_unavailable', `MCP server '${server}' could not list its tools: ${(err as Error).message.slice(0, 300)}`);
        ctx.logger.warn({ server, err: (err as Error).message }, 'mcp server left out of the aggregated tools/list: it failed to list its tools');
        return { server, tools: [] as Tool[] };
      }
    }),
  );
  const out: Tool[] = [];
  for (const { server, tools } of lists) {
    for (const tool of tools) {
      if (!ctx.access.tool(server, tool.name)) continue;
      const v = verdict(ctx, server, tool);
      if (v === 'hide') continue;
      const shown = { ...guardDescription(ctx.guards, tool), name: exposedName(ctx, server, tool.name) };
      if (v === 'flag') shown._meta = { ...tool._meta, 'gateway/flagged': 'possible prompt injection in the description' };
      out.push(shown);
    }
  }
  return out;
}

/** The upstream and tool a tools/call name means, after the team's allow-lists and the description check. */
export async function resolveTool(ctx: CatalogContext, name: string): Promise<{ upstream: Upstream; tool: string }> {
  let server: string;
  let tool: string;
  if (ctx.only) {
    server = ctx.only;
    tool = name;
  } else {
    const at = name.indexOf(NAMESPACE_SEPARATOR);
    if (at <= 0) throw refusal('tool_not_found', `Unknown tool '${name}': tools behind /mcp are named <server>${NAMESPACE_SEPARATOR}<tool>.`);
    server = name.slice(0, at);
    tool = name.slice(at + NAMESPACE_SEPARATOR.length);
  }
  const upstream = ctx.upstreams.get(server);
  if (!upstream) throw refusal('tool_not_found', `Unknown tool '${name}': no MCP server '${server}' is configured.`);
  if (!ctx.access.tool(server, tool)) throw refusal('tool_not_allowed', `Tool '${name}' is not allowed for your team.`);
  let tools: Tool[];
  try {
    tools = await upstream.tools();
  } catch (err) {
    throw refusal('upstream_unavailable', `MCP server '${server}' could not list its tools: ${(err as Error).message.slice(0, 300)}`);
  }
  const def = tools.find((t) => t.name === tool);
  if (!def) throw refusal('tool_not_found', `Unknown tool '${name}': MCP server '${server}' has no tool '${tool}'.`);
  if (verdict(ctx, server, def) === 'hide') {
    throw refusal('tool_description_flagged', `Tool '${name}' is withheld by the gateway: its description looks like a prompt injection.`);
  }
  return { upstream, tool };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
