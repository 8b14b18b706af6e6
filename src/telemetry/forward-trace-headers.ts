/**
 * The client's W3C trace context forwarded upstream when the gateway itself does not trace. Plain string checks,
 * no OpenTelemetry import: with tracing off (the default) the SDK and API modules are never loaded.
 */

type IncomingHeaders = Record<string, string | string[] | undefined>;

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
