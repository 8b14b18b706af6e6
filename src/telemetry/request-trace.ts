/**
 * The spans of one request: a SERVER span named after the API (`chat`, `responses`, `messages`, `embeddings`)
 * carrying the GenAI semantic-convention attributes and the gateway's own, one INTERNAL child per pipeline stage
 * and one CLIENT child per upstream attempt. Exists only when tracing is on (`ctx.trace`); the pipeline and the
 * executor check for it before anything is built, so tracing off costs no span objects.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ChatRequest } from '../core/types.js';
import { isGatewayError } from '../core/errors.js';
import type { RequestContext } from '../pipeline/context.js';
import type { AttemptRecord } from '../routing/executor.js';
import type { Target } from '../../providers/types.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  GATEWAY,
  GEN_AI_OPERATION_NAME,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MAX_TOKENS,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_SYSTEM,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
} from './attributes.js';
import { extractClientContext, injectTraceHeaders } from './trace-context.js';

/** `routing` resolves the model and route; `route_plan` orders its targets (strategy, health, semantic rules). */
export type StageName = 'auth' | 'admission' | 'input_guards' | 'cache_lookup' | 'routing' | 'route_plan';

/** One upstream attempt's span: the headers its provider request carries, ended with the attempt's record. */
export interface AttemptSpan {
  /** `x-request-id`, `traceparent` (this attempt's span as parent) and `tracestate`. */
  readonly headers: Record<string, string>;
  end(record: AttemptRecord): void;
}

export interface RequestTrace {
  /** Runs `fn` (sync or async) inside a child span of the request; a throw marks the span failed. */
  stage<T>(name: StageName, fn: () => T): T;
  /** Request attributes known once the body is decoded. */
  request(req: ChatRequest): void;
  /** Starts the CLIENT span of one upstream attempt. */
  attempt(target: Target): AttemptSpan;
  /** Sets the outcome attributes and ends the request span (after usage is settled). */
  end(ctx: RequestContext): void;
}

/** Stage timing measured before the request span existed (authentication runs in an HTTP hook). */
export interface EarlyStage {
  /** performance.now() values. */
  start: number;
  end: number;
}

/** Provider name → provider kind (`openai`, `anthropic`), for `gen_ai.provider.name`. */
export type ProviderKinds = (provider: string) => string | undefined;

const epochMs = (perfNow: number) => performance.timeOrigin + perfNow;

export function startRequestTrace(
  tracer: Tracer,
  ctx: RequestContext,
  headers: Record<string, string | string[] | undefined>,
  kindOf: ProviderKinds,
  auth?: EarlyStage,
): RequestTrace {
  const operation = ctx.api === 'embeddings' ? 'embeddings' : 'chat';
  const client = extractClientContext(headers);
  const span = tracer.startSpan(
    ctx.api,
    {
      kind: SpanKind.SERVER,
      startTime: epochMs(auth?.start ?? ctx.startedAt),
      attributes: {
        [GEN_AI_OPERATION_NAME]: operation,
        [GATEWAY.api]: ctx.api,
        [GATEWAY.requestId]: ctx.id,
        [GATEWAY.team]: ctx.principal?.team.id,
        [GATEWAY.keyId]: ctx.principal?.key.id,
      },
    },
    client,
  );
  const parent: Context = trace.setSpan(client, span);
  if (auth) tracer.startSpan('auth', { startTime: epochMs(auth.start) }, parent).end(epochMs(auth.end));

  return {
    stage<T>(name: StageName, fn: () => T): T {
      const child = tracer.startSpan(name, undefined, parent);
      let result: T;
      try {
        result = fn();
      } catch (err) {
        endFailed(child, err);
        throw err;
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => {
            child.end();
            return value;
          },
          (err: unknown) => {
            endFailed(child, err);
            throw err;
          },
        ) as T;
      }
      child.end();
      return result;
    },
    request(req) {
      span.setAttributes({
        [GEN_AI_REQUEST_MODEL]: req.model,
        [GEN_AI_REQUEST_MAX_TOKENS]: req.maxOutputTokens,
        [GATEWAY.stream]: req.stream,
      });
    },
    attempt(target) {
      const kind = kindOf(target.provider);
      const child = tracer.startSpan(
        `${operation} ${target.upstreamModel}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [GEN_AI_OPERATION_NAME]: operation,
            [GEN_AI_PROVIDER_NAME]: kind,
            [GEN_AI_SYSTEM]: kind,
            [GEN_AI_REQUEST_MODEL]: target.upstreamModel,
            [GATEWAY.provider]: target.provider,
          },
        },
        parent,
      );
      return {
        headers: injectTraceHeaders(trace.setSpan(parent, child), { 'x-request-id': ctx.id }),
        end(record) {
          const attrs: Attributes = {
            [GATEWAY.attemptQueueMs]: record.queueMs,
            [GATEWAY.attemptWaitMs]: record.waitMs,
            [GATEWAY.attemptProbe]: record.probe,
            [ATTR_HTTP_RESPONSE_STATUS_CODE]: record.status ?? (record.ok ? 200 : undefined),
          };
          if (!record.ok) {
            attrs[ATTR_ERROR_TYPE] = record.errorClass ?? 'internal';
            attrs[GATEWAY.attemptErrorClass] = record.errorClass;
            child.setStatus({ code: SpanStatusCode.ERROR, message: record.errorClass });
          }
          child.setAttributes(attrs);
          child.end();
        },
      };
    },
    end(ctx) {
      const kind = ctx.target ? kindOf(ctx.target.provider) : undefined;
      const guards = ctx.notes.guards as { guard: string; action: string }[] | undefined;
      span.setAttributes({
        [GEN_AI_PROVIDER_NAME]: kind,
        [GEN_AI_SYSTEM]: kind,
        [GEN_AI_RESPONSE_MODEL]: ctx.target?.upstreamModel,
        [GEN_AI_USAGE_INPUT_TOKENS]: ctx.usage?.promptTokens,
        [GEN_AI_USAGE_OUTPUT_TOKENS]: ctx.usage?.completionTokens,
        [GATEWAY.team]: ctx.principal?.team.id,
        [GATEWAY.keyId]: ctx.principal?.key.id,
        [GATEWAY.costUsd]: ctx.costMicros !== undefined ? ctx.costMicros / 1e6 : undefined,
        [GATEWAY.cache]: ctx.cache,
        [GATEWAY.guardActions]: guards?.length ? guards.map((g) => `${g.guard}:${g.action}`) : undefined,
        [GATEWAY.guardBlocks]: ctx.guardBlocks || undefined,
        [GATEWAY.attempts]: ctx.attempts.length,
        [GATEWAY.errorCode]: ctx.errorCode,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: ctx.status || undefined,
      });
      if (ctx.errorCode) span.setAttribute(ATTR_ERROR_TYPE, ctx.errorCode);
      // Server spans: a refusal (4xx) is the client's outcome, not a gateway failure (OpenTelemetry HTTP conventions).
      if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: ctx.errorCode });
      span.end();
    },
  };
}

function endFailed(span: Span, err: unknown): void {
  const code = isGatewayError(err) ? err.code : err instanceof Error ? err.name : 'error';
  span.setAttribute(ATTR_ERROR_TYPE, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end();
}
