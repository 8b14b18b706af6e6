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
