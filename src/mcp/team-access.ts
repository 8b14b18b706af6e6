/**
 * Which configured MCP servers and tools a team may use: the team policy's `mcp.servers` / `mcp.tools`
 * allow-lists (docs/mcp.md). Unset lists allow everything configured, as `allowedModels` does; an invalid stored
 * policy allows nothing (fail closed: a typo must not open every tool).
 */
import type { Team } from '../state/state-store.js';
import { mcpPolicySchema } from './mcp-config.js';
import { compileGlob } from '../../guards/linear-regex.js';

/** `<server>__<tool>`: the name a tool has behind the aggregated `/mcp`, and in the team's `tools` allow-list. */
export const NAMESPACE_SEPARATOR = '__';

export interface TeamAccess {
  server(name: string): boolean;
  tool(server: string, tool: string): boolean;
  /** Why the policy could not be read (logged once per team version by the caller), or undefined. */
  readonly invalid?: string;
}

const cache = new WeakMap<Team, TeamAccess>();

export function teamAccess(team: Team): TeamAccess {
  let access = cache.get(team);
  if (!access) cache.set(team, (access = compile(team)));
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
