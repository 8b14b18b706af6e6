/**
 * The pipeline's two calls into tracing. Tracing off is one property check per stage: no span, closure or
 * context object is built.
 */
import type { RequestContext } from '../pipeline/context.js';
import type { Runtime } from '../runtime.js';
import type { StageName } from './request-trace.js';
import { forwardClientTraceHeaders } from './forward-trace-headers.js';

/** At the start of the pipeline (`ctx.api` known): the request span when tracing is on, the upstream headers always. */
export function beginRequestTrace(rt: Runtime, ctx: RequestContext, headers: Record<string, string | string[] | undefined>): void {
  if (!rt.tracing) {
    ctx.upstreamHeaders = forwardClientTraceHeaders(headers, { 'x-request-id': ctx.id });
    return;
  }
  const providers = rt.config.providers;
  ctx.trace = rt.tracing.startRequestTrace(ctx, headers, (name) => providers[name]?.kind, ctx.authTiming);
}

/** Runs one pipeline stage, inside its span when the request is traced. */
export function traced<T>(ctx: RequestContext, stage: StageName, fn: () => T): T {
  return ctx.trace ? ctx.trace.stage(stage, fn) : fn();
}
