/**
 * Which configured MCP servers and tools a team may use: the team policy's `mcp.servers` / `mcp.tools`
 * allow-lists (docs/mcp.md). Unset lists allow everything configured, as `allowedModels` does; an invalid stored
 * policy allows nothing (fail closed: a typo must not open every tool).
 */
import type { Logger } from 'pino';
import type { Team } from '../state/state-store.js';
import { mcpPolicySchema } from './mcp-config.js';
import { compileGlob } from '../../guards/linear-regex.js';

/** `<server>__<tool>`: the name a tool has behind the aggregated `/mcp`, and in the team's `tools` allow-list. */
export const NAMESPACE_SEPARATOR = '__';

export interface TeamAccess {
  server(name: string): boolean;
  tool(server: string, tool: string): boolean;
  /** Why the policy could not be read, or undefined. */
  readonly invalid?: string;
}

/** Compiled per team version: the store hands out a fresh Team object per authentication. */
const cache = new Map<string, { updatedAt: number; access: TeamAccess }>();
const CACHE_MAX = 10_000;

/** The team's MCP access; an unreadable policy is logged once per team version (`logger`). */
export function teamAccess(team: Team, logger?: Logger): TeamAccess {
  const hit = cache.get(team.id);
  if (hit && hit.updatedAt === team.updatedAt) return hit.access;
  const access = compile(team);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(team.id, { updatedAt: team.updatedAt, access });
  if (access.invalid) logger?.error({ team: team.id, invalid: access.invalid }, `team ${team.id}: its mcp policy cannot be read; it is allowed no MCP server or tool until it is fixed`);
  return access;
}

function compile(team: Team): TeamAccess {
  const raw = (team.policy as Record<string, unknown>).mcp;
  if (raw === undefined) return { server: () => true, tool: () => true };
  const parsed = mcpPolicySchema.safeParse(raw);
  if (!parsed.success) return { server: () => false, tool: () => false, invalid: parsed.error.issues.map((i) => `mcp.${i.path.join('.')}: ${i.message}`).join('; ') };
  const servers = parsed.data.servers;
  // Admin-supplied globs, matched in linear time (a V8 RegExp from `*a*a*…*b` stalled the process for seconds).
  let tools: ReturnType<typeof compileGlob>[] | undefined;
  try {
    tools = parsed.data.tools?.map(compileGlob);
  } catch (err) {
    return { server: () => false, tool: () => false, invalid: `mcp.tools: ${(err as Error).message}` };
  }
  return {
    server: (name) => !servers || servers.includes('*') || servers.includes(name),
    tool: (server, tool) => {
      if (servers && !servers.includes('*') && !servers.includes(server)) return false;
      return !tools || tools.some((re) => re.test(`${server}${NAMESPACE_SEPARATOR}${tool}`));
    },
  };
}
