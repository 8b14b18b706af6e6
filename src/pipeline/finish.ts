/**
 * Stage 9: after the answer is written (or failed), settle the budget hold, add the request to the usage ledger,
 * and write the log line. Runs once per request, off the client's critical path, and never throws.
 */
import { emptyUsage, type Usage } from '../core/types.js';
import type { UsageRecord } from '../state/state-store.js';
import { logChatRequest } from '../http/request-log.js';
import type { Runtime } from '../runtime.js';
import type { Admission } from './admission.js';
import type { RequestContext } from './context.js';

export async function finishChat(rt: Runtime, ctx: RequestContext, admission: Admission | undefined): Promise<void> {
  const usage = ctx.usage ?? emptyUsage();
  if (admission) await rt.storeRetry.run('budget settlement', ctx.id, () => admission.settle(usage));
  if (ctx.principal) await rt.usage.add(ledgerRecord(ctx, usage), ctx.id);
  rt.metrics?.recordRequest(ctx);
  // Breakers change state only on failures and half-open probes: refresh their gauges then, not per request.
  if (rt.metrics && ctx.attempts.some((a) => !a.ok || a.probe)) {
    for (const b of rt.catalog.breakerStates()) rt.metrics.setBreakerState(b.provider, b.model, b.state);
  }
  logChatRequest(rt.logger, ctx);
}

/** The usage ledger row of one request (or of a call made for it, such as an LLM judge's). */
export function ledgerRecord(ctx: RequestContext, usage: Usage): UsageRecord {
  return {
    at: ctx.startedAtMs,
    teamId: ctx.principal!.team.id,
    keyId: ctx.principal!.key.id,
    model: ctx.model?.name ?? '(unknown)',
    provider: ledgerProvider(ctx),
    api: ctx.api,
    endUser: ctx.endUser ?? '',
    tag: ctx.tag ?? '',
    requests: 1,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    cachedTokens: usage.cachedTokens,
    costMicros: ctx.costMicros ?? 0,
    cacheHits: ctx.cache === 'hit' ? 1 : 0,
    savedMicros: ctx.savedMicros ?? 0,
    errors: ctx.status >= 400 && ctx.status !== 499 && ctx.guardBlocks === 0 ? 1 : 0,
    guardBlocks: ctx.guardBlocks,
  };
}

/**
 * The ledger's provider of a request: the one that served it, else the last one tried; a request that reached no
 * provider is recorded under its refusal cause, `(refused: <error code>)` (budget_exceeded, rate_limit_exceeded,
 * a guard's code…), so spend views and the usage export can break refusals down by cause (docs/dashboard.md).
 */
export function ledgerProvider(ctx: RequestContext): string {
  const provider = ctx.target?.provider ?? ctx.attempts[ctx.attempts.length - 1]?.provider;
  if (provider) return provider;
  return ctx.errorCode ? `(refused: ${ctx.errorCode})` : '(none)';
}
