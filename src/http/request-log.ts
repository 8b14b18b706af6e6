import type { Logger } from 'pino';
import type { RequestContext } from '../pipeline/context.js';

/** The one log line per chat request: who, what, how it went. Never prompt/completion text or secrets. */
export function logChatRequest(logger: Logger, ctx: RequestContext): void {
  if (!logger.isLevelEnabled('info')) return;
  const u = ctx.usage;
  logger.info(
    {
      reqId: ctx.id,
      team: ctx.principal?.team.id,
      keyId: ctx.principal?.key.id,
      model: ctx.model?.name,
      provider: ctx.target?.provider,
      upstreamModel: ctx.target?.upstreamModel,
      stream: ctx.stream,
      status: ctx.status,
      code: ctx.errorCode,
      latencyMs: round(performance.now() - ctx.startedAt),
      ttfbMs: ctx.ttfbMs !== undefined ? round(ctx.ttfbMs) : undefined,
      overheadMs: round(Math.max(0, (ctx.ttfbMs ?? performance.now() - ctx.startedAt) - ctx.upstreamMs)),
      attempts: ctx.attempts.length > 1 || ctx.attempts.some((a) => !a.ok) ? ctx.attempts : ctx.attempts.length,
      tokens: u ? { prompt: u.promptTokens, completion: u.completionTokens, cached: u.cachedTokens, estimated: u.estimated || undefined } : undefined,
      costMicros: ctx.costMicros,
      route: ctx.model?.decision,
      ...ctx.notes,
    },
    'chat completion',
  );
}

const round = (ms: number) => Math.round(ms * 100) / 100;
