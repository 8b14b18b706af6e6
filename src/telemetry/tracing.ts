/**
 * The trace pipeline of one gateway process: a tracer provider (not registered globally: an application
 * embedding the gateway keeps its own), a batch span processor and the OTLP/HTTP (JSON) exporter. Built only
 * when `telemetry.traces.enabled`; otherwise the runtime has no Tracing and requests create no span objects.
 */
import type { Tracer } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { fromRoot } from '../paths.js';
import { createLogThrottle } from '../util/log-throttle.js';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from './attributes.js';
import type { TracesConfig } from './telemetry-config.js';

export interface Tracing {
  readonly tracer: Tracer;
  /** Sends the spans still buffered; a failed export is logged (as in the background), not thrown. */
  flush(): Promise<void>;
  /** Flushes, then stops exporting. */
  shutdown(): Promise<void>;
}

/** Batching bounds: spans wait at most 1 s, and at most 8192 are held if the collector is slow (then dropped). */
const BATCH = { scheduledDelayMillis: 1000, maxQueueSize: 8192, maxExportBatchSize: 512, exportTimeoutMillis: 10_000 };

export function createTracing(config: TracesConfig, logger: Logger): Tracing | undefined {
  if (!config.enabled) return undefined;
  const version = (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
  const exporter = loggingExporter(new OTLPTraceExporter({ url: config.endpoint, headers: { ...config.headers }, timeoutMillis: 10_000 }), logger, config.endpoint);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version }),
    // A client's sampling decision (its traceparent flags) wins; new traces are kept at `sampleRatio`.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, BATCH)],
  });
  return {
    tracer: provider.getTracer('ai-gateway', version),
    flush: () => provider.forceFlush().catch(() => undefined),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The exporter, with failed exports logged (rate-limited): the SDK reports them only through its diagnostic
 * logger, which nobody sees, and an operator whose collector is down should find out from the gateway's log.
 */
function loggingExporter(inner: SpanExporter, logger: Logger, endpoint: string): SpanExporter {
  const throttle = createLogThrottle(60_000);
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) {
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
