import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestContext } from '../pipeline/context.js';
import { microsToUsd } from '../usage/pricing.js';

/** The one log line per chat request: who, what, how it went. Never prompt/completion text or secrets. */
export function logChatRequest(logger: Logger, ctx: RequestContext): void {
  if (!logger.isLevelEnabled('info')) return;
  const u = ctx.usage;
  logger.info(
    {
      reqId: ctx.id,
      api: ctx.api,
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
      // The attempts in full when there is something to see: a failover, a failure, a wait for a capped connection.
      attempts: ctx.attempts.length > 1 || ctx.attempts.some((a) => !a.ok || a.queueMs !== undefined) ? ctx.attempts : ctx.attempts.length,
      tokens: u ? { prompt: u.promptTokens, completion: u.completionTokens, cached: u.cachedTokens, estimated: u.estimated || undefined } : undefined,
      costMicros: ctx.costMicros,
      costUsd: ctx.costMicros !== undefined ? microsToUsd(ctx.costMicros) : undefined,
      route: ctx.model?.decision,
      ...ctx.notes,
    },
    'chat completion',
  );
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * The log line of an API request refused before the chat pipeline ran (no or unknown key, a body that is not
 * JSON, too large, the wrong content type): without it an operator asked "why does my app get 401?" finds no
 * trace. Status, code and timing only; never headers or the body.
 */
export function logRefusedRequest(logger: Logger, request: FastifyRequest, reply: FastifyReply): void {
  if (!logger.isLevelEnabled('info')) return;
  logger.info(
    {
      reqId: request.id,
      method: request.method,
      path: request.url.split('?')[0].slice(0, 200),
      team: request.principal?.team.id,
      keyId: request.principal?.key.id,
      status: reply.statusCode,
      code: request.errorCode,
      latencyMs: round(reply.elapsedTime),
    },
    'request refused',
  );
}
