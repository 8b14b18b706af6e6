/**
 * Starts a gateway from a config: runtime, config bootstrap, HTTP listener. Used by the CLI, and by tests that
 * need a real process-like gateway in-process.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import { createApp } from './http/app.js';
import { createRuntime, type Runtime } from './runtime.js';
import { applyConfig } from './bootstrap.js';
import { warmRequestSchema } from './core/request-schema.js';
import type { StateStore } from './state/state-store.js';
import { createReloader, type Reloader } from './reload.js';

/** How long shutdown waits for cut requests to settle, and for deferred accounting writes to land. */
const SETTLE_DRAIN_MS = 5_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export interface RunningGateway {
  url: string;
  port: number;
  runtime: Runtime;
  createdKey?: string;
  /** Reloads the config file (also done on file change, and by the CLI on SIGHUP). */
  reloader: Reloader;
  close(): Promise<void>;
}

export async function startGateway(
  config: GatewayConfig,
  logger: Logger,
  configFile = '(inline)',
  opts: { store?: StateStore; watchConfig?: boolean } = {},
): Promise<RunningGateway> {
  const runtime = await createRuntime({ config, logger, store: opts.store });
  const { createdKey } = await applyConfig(config, runtime.store, logger);
  warmRequestSchema();
  const app = await createApp(runtime);
  await app.listen({ host: config.server.host, port: config.server.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  const url = `http://${host}:${port}`;
  const unconfigured = [...runtime.adapters.values()].filter((a) => !a.config.apiKey).map((a) => a.config.name);
  logger.info({ url, config: configFile, state: runtime.store.kind, providers: [...runtime.adapters.keys()] }, 'gateway listening');
  if (unconfigured.length) {
    const vars = unconfigured.map((n) => `${n.toUpperCase()}_API_KEY`).join(', ');
    logger.warn({ providers: unconfigured }, `providers without an API key: ${unconfigured.join(', ')}; set ${vars} (and *_BASE_URL for another endpoint) to use them`);
  }
  const reloader = createReloader(configFile, runtime, logger, { watch: opts.watchConfig ?? true });
  return {
    url,
    port,
    runtime,
    createdKey,
    reloader,
    async close() {
      reloader.close();
      // Stop accepting, let running requests finish up to the grace deadline, then cut what is left.
      const force = setTimeout(() => app.server.closeAllConnections(), config.server.shutdownGraceMs);
      await app.close();
      clearTimeout(force);
      // Requests cut at the deadline still settle and reach the ledger before the store closes.
      await Promise.race([Promise.allSettled([...runtime.inflight]), sleep(SETTLE_DRAIN_MS)]);
      await runtime.usage.flush();
      await runtime.storeRetry.drain(SETTLE_DRAIN_MS);
      await runtime.close();
    },
  };
}
