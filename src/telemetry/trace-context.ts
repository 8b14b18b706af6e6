/**
 * W3C trace context (`traceparent` / `tracestate`) in and out, with the official propagator of
 * `@opentelemetry/core`. Headers only: the gateway never registers a global propagator or context manager,
 * so it does not change the tracing of an application that embeds it.
 */
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

type IncomingHeaders = Record<string, string | string[] | undefined>;

/** The client's trace context (the request span's parent); ROOT_CONTEXT when it sent none or an invalid one. */
export function extractClientContext(headers: IncomingHeaders): Context {
  return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

/** `traceparent` (and `tracestate`) naming the span of `context` as the parent, for an upstream request. */
export function injectTraceHeaders(context: Context, into: Record<string, string>): Record<string, string> {
  propagator.inject(context, into, defaultTextMapSetter);
  return into;
}

/** Version 00 as W3C defines it; other versions are forwarded too when they start like one (the spec's rule). */
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}(-.*)?$/;

/**
 * Tracing off: the client's `traceparent`/`tracestate` are forwarded upstream unchanged (when well formed), so a
 * provider that traces still joins the client's trace; the gateway itself then adds no span to it.
 */
export function forwardClientTraceHeaders(headers: IncomingHeaders, into: Record<string, string>): Record<string, string> {
  const parent = headers.traceparent;
  if (typeof parent !== 'string' || parent.length > 512 || !TRACEPARENT.test(parent)) return into;
  into.traceparent = parent;
  const state = headers.tracestate;
  if (typeof state === 'string' && state.length <= 512 && !/[\r\n]/.test(state)) into.tracestate = state;
  return into;
}
