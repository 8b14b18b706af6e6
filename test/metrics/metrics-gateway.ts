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

export interface MetricsGateway {
  url: string;
  app: FastifyInstance;
  runtime: Runtime;
  metrics: Metrics;
  close(): Promise<void>;
}

export async function startMetricsGateway(upstream: FakeUpstream, overrides: Record<string, any> = {}): Promise<MetricsGateway> {
  const config = configSchema.parse(baseConfig(upstream, overrides));
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
    app,
    runtime,
    metrics,
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}
