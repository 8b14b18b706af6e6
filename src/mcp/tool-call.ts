/**
 * One governed tool call: guards on the arguments, the per-tool rate limit, the budget hold (the call's price,
 * reserved before and settled after, like a chat request), the upstream call bounded by the server's timeout
 * (progress relayed, cancellation passed on), guards on the result, then one audit log line, one metric sample and
 * one usage-ledger row (model `<server>__<tool>`, provider `mcp`), whatever the outcome.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../auth/authenticate.js';
import type { Runtime } from '../runtime.js';
import { budgetExceeded } from '../pipeline/admission.js';
import { StateUnavailableError } from '../state/errors.js';
import type { Scope, ScopeBudgets } from '../state/state-store.js';
import type { McpServerConfig } from './mcp-config.js';
import { mcpMetrics, type ToolCallOutcome } from './mcp-metrics.js';
import { McpRefusal, refusal } from './refusal.js';
import { guardArguments, guardResult, type GuardAudit } from './tool-guards.js';
import type { Upstream } from './upstream.js';

export interface ToolCallInput {
  rt: Runtime;
  principal: Principal;
  sessionId: string;
  /** The tool's name as the client called it (namespaced behind /mcp). */
  name: string;
  /** Finds the upstream and its tool name, after the allow-lists (throws a refusal). */
  resolve: () => Promise<{ upstream: Upstream; tool: string }>;
  arguments: Record<string, unknown>;
  signal: AbortSignal;
  /** Relays the upstream's progress to the client (set when the client asked for progress). */
  onProgress?: (p: { progress: number; total?: number; message?: string }) => void;
}

const OUTCOME_OF_REFUSAL: Record<string, ToolCallOutcome> = {
  pii_detected: 'guard_blocked',
  invalid_arguments: 'guard_blocked',
  prompt_injection_detected: 'guard_blocked',
  rate_limit_exceeded: 'rate_limited',
  budget_exceeded: 'budget_exceeded',
  state_unavailable: 'state_unavailable',
};

export async function callTool(input: ToolCallInput): Promise<CallToolResult> {
  const { rt, principal } = input;
  const { team, key } = principal;
  const callId = `mcp_${randomUUID().replace(/-/g, '')}`;
  const t0 = performance.now();
  const audit: GuardAudit[] = [];
  // Until resolved, the audit names what the client asked for.
  let serverName = 'unknown';
  let tool = input.name;
  let priceMicros = 0;
  let outcome: ToolCallOutcome = 'ok';
  let charged = false;
  let error: string | undefined;
  let reserved = false;
  try {
    const resolved = await input.resolve().catch((err) => {
      outcome = 'not_allowed';
      throw err;
    });
    const upstream = resolved.upstream;
    const server = upstream.config;
    serverName = upstream.name;
    tool = resolved.tool;
    priceMicros = usdToMicros(server.tools[tool]?.pricePerCall ?? server.pricePerCall);
    const guards = rt.guards.forTeam(team);
    const args = guardArguments(guards, input.arguments, audit);
    await checkRateLimit(rt, team.id, upstream.name, tool, server.tools[tool]?.rateLimit ?? server.rateLimit);
    reserved = await reserve(rt, principal, callId, priceMicros, server);
    let result: CallToolResult;
    try {
      const client = await upstream.client();
      result = (await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: input.signal,
        timeout: server.timeoutMs,
        onprogress: input.onProgress,
      })) as CallToolResult;
    } catch (err) {
      throw upstreamFailure(err, upstream, tool, input.signal, (o, c) => ((outcome = o), (charged = c)));
    }
    charged = true;
    if (result.isError) outcome = 'tool_error';
    const guarded = guardResult(guards, result, audit);
    if (guarded.isError && !result.isError) outcome = 'result_blocked';
    return guarded;
  } catch (err) {
    if (err instanceof McpRefusal && outcome === 'ok') outcome = OUTCOME_OF_REFUSAL[err.refusal] ?? 'upstream_error';
    error = (err as Error).message;
    throw err;
  } finally {
    const costMicros = charged ? priceMicros : 0;
    if (reserved) {
      void rt.storeRetry.run('mcp budget settle', callId, () => rt.store.settle({ requestId: callId, teamId: team.id, costMicros, tokens: 0 }));
    }
    const latencyMs = Math.round(performance.now() - t0);
    const blocked = audit.filter((a) => a.action === 'block').length;
    for (const a of audit) rt.metrics?.recordGuard(a.guard, a.action);
    mcpMetrics(rt.metrics)?.recordToolCall(serverName, tool, outcome, latencyMs / 1000);
    void rt.usage
      .add(
        { at: Date.now(), teamId: team.id, keyId: key.id, model: `${serverName}__${tool}`, provider: 'mcp', api: 'mcp', requests: 1, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costMicros, cacheHits: 0, savedMicros: 0, errors: outcome === 'ok' ? 0 : 1, guardBlocks: blocked },
        callId,
      )
      .catch(() => undefined);
    // The audit record: who, what, how long, what happened. Arguments only as their shape (never values).
    rt.logger.info(
      {
        mcpCall: callId,
        session: input.sessionId,
        team: team.id,
        key: key.id,
        server: serverName,
        tool,
        latencyMs,
        outcome,
        costUsd: costMicros / 1e6,
        arguments: redactedShape(input.arguments),
        guards: audit.length ? audit : undefined,
        error,
      },
      'mcp tool call',
    );
  }
}

async function checkRateLimit(rt: Runtime, teamId: string, server: string, tool: string, limit: { rpm: number } | undefined) {
  if (!limit) return;
  let r;
  try {
    r = await rt.store.rateLimit({ scope: `team:${teamId}:mcp:${server}__${tool}` as Scope, rpm: limit.rpm, tokens: 0 });
  } catch (err) {
    if (err instanceof StateUnavailableError && rt.config.state.failMode === 'open') return;
    throw stateUnavailable(err);
  }
  if (!r.allowed) {
    const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
    throw refusal('rate_limit_exceeded', `Rate limit reached for tool '${tool}' of MCP server '${server}': ${limit.rpm} calls per minute per team. Retry in ${seconds} s.`, {
      retryAfterMs: r.retryAfterMs,
    });
  }
}

/** Holds the call's price on the team's and key's budgets. Returns whether a hold was made (to settle). */
async function reserve(rt: Runtime, { team, key }: Principal, callId: string, priceMicros: number, server: McpServerConfig): Promise<boolean> {
  const scopes: ScopeBudgets[] = [];
  if (team.budgets.length) scopes.push({ scope: `team:${team.id}`, budgets: team.budgets });
  if (key.budgets.length) scopes.push({ scope: `key:${key.id}`, budgets: key.budgets });
  // A free call spends nothing: it is never refused for a used-up budget (it is still rate limited and audited).
  if (scopes.length === 0 || priceMicros === 0) return false;
  let result;
  try {
    result = await rt.store.reserve({ requestId: callId, teamId: team.id, scopes, costMicros: priceMicros, tokens: 0, leaseMs: server.timeoutMs + 60_000 });
  } catch (err) {
    if (err instanceof StateUnavailableError && rt.config.state.failMode === 'open') return false;
    throw stateUnavailable(err);
  }
  if (!result.ok) throw refusal('budget_exceeded', budgetExceeded(result).message, { scope: result.scope.split(':')[0], period: result.period });
  return true;
}

function stateUnavailable(err: unknown): Error {
  if (!(err instanceof StateUnavailableError)) return err as Error;
  return refusal('state_unavailable', 'The gateway cannot check rate limits and budgets right now. Please retry.');
}

/**
 * The client's error for a failed upstream call; `set` records the outcome and whether the call is charged (the
 * server may have done the work: a timeout or a cancellation is charged, an unreachable server is not).
 */
function upstreamFailure(err: unknown, upstream: Upstream, tool: string, signal: AbortSignal, set: (o: ToolCallOutcome, charged: boolean) => void): Error {
  const e = err as { code?: unknown; message?: string; data?: unknown };
  if (signal.aborted) {
    set('cancelled', true);
    return err as Error;
  }
  if (e.code === ErrorCode.RequestTimeout) {
    set('timeout', true);
    return refusal('upstream_timeout', `MCP server '${upstream.name}' did not answer tools/call '${tool}' within ${upstream.config.timeoutMs} ms; the call was cancelled.`);
  }
  if (err instanceof McpError && e.code !== ErrorCode.ConnectionClosed) {
    // A JSON-RPC error the server answered with: passed on with its code, message and data, without the SDK's
    // "MCP error n:" prefixes (our client adds one, and an SDK-built server sends its own in the message).
    set('upstream_error', false);
    return Object.assign(new Error((e.message ?? '').replace(/^(MCP error -?\d+: )+/, '')), { code: e.code, data: e.data });
  }
  set('upstream_error', false);
  // The connection itself failed (an expired upstream session, an exited stdio process): reconnect next time.
  upstream.reset();
  return refusal('upstream_unavailable', `MCP server '${upstream.name}' could not be reached: ${(e.message ?? 'unknown error').slice(0, 300)}`);
}

function usdToMicros(v: number | string): number {
  return Math.round(Number(v) * 1e6);
}

/** `{to: "<string:17>", n: "<number>"}`: what was sent, never the values. */
function redactedShape(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return `<string:${value.length}>`;
  if (value === null || typeof value !== 'object') return `<${value === null ? 'null' : typeof value}>`;
  if (depth > 4) return '<…>';
  if (Array.isArray(value)) return value.slice(0, 10).map((v) => redactedShape(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, 50)) out[k] = redactedShape(v, depth + 1);
  return out;
}
