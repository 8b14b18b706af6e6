import { z } from 'zod';

/**
 * `telemetry.traces`: OpenTelemetry traces sent over OTLP/HTTP (JSON) to a collector (docs/operations.md
 * "Traces"). Off by default; when off no span is created and nothing is sent.
 */
export const telemetryConfigSchema = z
  .object({
    traces: z
      .object({
        enabled: z.boolean().default(false),
        /** The collector's OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
        endpoint: z.url({ protocol: /^https?$/ }).default('http://localhost:4318/v1/traces'),
        /** `service.name` of the spans. */
        serviceName: z.string().min(1).default('ai-gateway'),
        /**
         * Share of new traces kept (0..1). A request whose client sent a `traceparent` follows the client's
         * sampling decision instead, so one trace is never half recorded.
         */
        sampleRatio: z.number().min(0).max(1).default(1),
        /** Headers sent to the collector (e.g. an API key of a hosted backend). Never logged. */
        headers: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type TelemetryConfig = z.output<typeof telemetryConfigSchema>;
export type TracesConfig = TelemetryConfig['traces'];
