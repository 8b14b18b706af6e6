/**
 * A real gateway (runtime, pipeline, HTTP app on a free port) over a fake upstream, exposing the runtime's
 * metrics (created by `createRuntime` when `server.metrics.enabled`).
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { applyConfig } from '../../src/bootstrap.js';
import { configSchema } from '../../src/config/schema.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics/index.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { baseConfig } from '../helpers/test-gateway.js';

/** The metrics token these gateways get unless a test sets its own (`/metrics` on the API port needs one). */
export const METRICS_TOKEN = 'metrics-test-token-5b1e0c';

export interface MetricsGateway {
  url: string;
  /** GET /metrics on the API port with the metrics token; the exposition text. */
  scrape(): Promise<string>;
  app: FastifyInstance;
  runtime: Runtime;
  metrics: Metrics;
  close(): Promise<void>;
}

export async function startMetricsGateway(upstream: FakeUpstream, overrides: Record<string, any> = {}): Promise<MetricsGateway> {
  const withToken = { ...overrides, server: { ...overrides.server, metrics: { token: METRICS_TOKEN, ...overrides.server?.metrics } } };
  const config = configSchema.parse(baseConfig(upstream, withToken));
  const logger = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
  const runtime = await createRuntime({ config, logger });
  const metrics = runtime.metrics!;
  await applyConfig(config, runtime.store, logger);
  const app = await createApp(runtime);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async scrape() {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
      return res.text();
    },
    app,
    runtime,
    metrics,
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}
