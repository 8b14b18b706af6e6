/**
 * The trace pipeline of one gateway process: a tracer provider (not registered globally: an application
 * embedding the gateway keeps its own), a batch span processor and the OTLP/HTTP (JSON) exporter. Built only
 * when `telemetry.traces.enabled`; otherwise the runtime has no Tracing and requests create no span objects.
 * The SDK, the exporter and what they pull in (~180 module files) are imported only then: a gateway without
 * tracing (the default) does not load them at start (issue 22.6).
 */
import type { Tracer } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { fromRoot } from '../paths.js';
import { createLogThrottle } from '../util/log-throttle.js';
import type { TracesConfig } from './telemetry-config.js';
import type { RequestContext } from '../pipeline/context.js';
import type { EarlyStage, ProviderKinds, RequestTrace } from './request-trace.js';

export interface Tracing {
  readonly tracer: Tracer;
  /** The request span of one request (request-trace.ts, loaded with the SDK). */
  startRequestTrace(ctx: RequestContext, headers: Record<string, string | string[] | undefined>, kindOf: ProviderKinds, auth?: EarlyStage): RequestTrace;
  /** Sends the spans still buffered; a failed export is logged (as in the background), not thrown. */
  flush(): Promise<void>;
  /** Flushes, then stops exporting. */
  shutdown(): Promise<void>;
}

/** Batching bounds: spans wait at most 1 s, and at most 8192 are held if the collector is slow (then dropped). */
const BATCH = { scheduledDelayMillis: 1000, maxQueueSize: 8192, maxExportBatchSize: 512, exportTimeoutMillis: 10_000 };

export async function createTracing(config: TracesConfig, logger: Logger): Promise<Tracing | undefined> {
  if (!config.enabled) return undefined;
  const [{ ExportResultCode }, { OTLPTraceExporter }, { resourceFromAttributes }, { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler }, { startRequestTrace }, { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION }] = await Promise.all([
    import('@opentelemetry/core'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('./request-trace.js'),
    import('./attributes.js'),
  ]);
  const version = (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
  const exporter = loggingExporter(new OTLPTraceExporter({ url: config.endpoint, headers: { ...config.headers }, timeoutMillis: 10_000 }), logger, config.endpoint, ExportResultCode.SUCCESS);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version }),
    // A client's sampling decision (its traceparent flags) wins; new traces are kept at `sampleRatio`.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, BATCH)],
  });
  const tracer = provider.getTracer('ai-gateway', version);
  return {
    tracer,
    startRequestTrace: (ctx, headers, kindOf, auth) => startRequestTrace(tracer, ctx, headers, kindOf, auth),
    flush: () => provider.forceFlush().catch(() => undefined),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The exporter, with failed exports logged (rate-limited): the SDK reports them only through its diagnostic
 * logger, which nobody sees, and an operator whose collector is down should find out from the gateway's log.
 */
function loggingExporter(inner: SpanExporter, logger: Logger, endpoint: string, success: number): SpanExporter {
  const throttle = createLogThrottle(60_000);
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        if (result.code !== success) {
          const log = throttle.take();
          if (log) logger.warn({ collector: new URL(endpoint).host, spans: spans.length, err: result.error?.message, ...log }, 'trace export failed');
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
