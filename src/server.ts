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
import { warmEncoders } from './tokens/encoding.js';
import { warmGuards } from './warm-up.js';
import type { StateStore } from './state/state-store.js';
import { createReloader, type Reloader } from './reload.js';

/** How long shutdown waits for cut requests to settle, and for deferred accounting writes to land. */
const SETTLE_DRAIN_MS = 5_000;
/** While draining on shutdown, how often connections that became idle are closed. */
const IDLE_SWEEP_MS = 100;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export interface RunningGateway {
  url: string;
  port: number;
  runtime: Runtime;
  createdKey?: string;
  /** Reloads the config file (also done on file change, and by the CLI on SIGHUP). */
  reloader: Reloader;
  /** Graceful shutdown (see docs/operations.md). Idempotent: a second call returns the same promise. */
  close(): Promise<void>;
}

export async function startGateway(
  config: GatewayConfig,
  logger: Logger,
  configFile = '(inline)',
  opts: { store?: StateStore; watchConfig?: boolean } = {},
): Promise<RunningGateway> {
  const runtime = await createRuntime({ config, logger, store: opts.store });
  const { createdKey, createdKeyId } = await applyConfig(config, runtime.store, logger);
  await runtime.stateWatch.check(); // learns the data set's id, to notice when it is lost
  // What the first request would otherwise build inside its own latency: the request schema, the tokenizers.
  warmRequestSchema();
  warmEncoders(Object.entries(config.models).flatMap(([name, m]) => [name, m.upstream]));
  const warmed = await warmGuards(runtime);
  if (warmed.length) logger.info({ teams: warmed }, 'input guards compiled and run once before ready');
  const app = await createApp(runtime);
  try {
    await app.listen({ host: config.server.host, port: config.server.port, backlog: config.server.listenBacklog });
  } catch (err) {
    // A first-run key created above was never shown: revoke it, so the next start creates and prints another
    // (otherwise team default would hold a key nobody has, and no new one would ever be printed).
    if (createdKeyId) await runtime.store.revokeKey(createdKeyId).catch(() => undefined);
    await app.close().catch(() => undefined);
    await runtime.close().catch(() => undefined);
    throw listenError(err, config.server.host, config.server.port);
  }
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
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    runtime,
    createdKey,
    reloader,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };

  async function shutdown(): Promise<void> {
    reloader.close();
    // Stop accepting, let running requests finish up to the grace deadline, then cut what is left.
    const force = setTimeout(() => app.server.closeAllConnections(), config.server.shutdownGraceMs);
    // Node closes the connections idle when closing starts, but not those that become idle later: a client
    // that keeps its connection alive after its stream (the official SDKs do) would hold shutdown until the
    // deadline. Sweep them while draining.
    const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
    await app.close();
    clearTimeout(force);
    clearInterval(sweep);
    // Requests cut at the deadline still settle and reach the ledger before the store closes.
    await Promise.race([Promise.allSettled([...runtime.inflight]), sleep(SETTLE_DRAIN_MS)]);
    await runtime.usage.flush();
    await runtime.storeRetry.drain(SETTLE_DRAIN_MS);
    await runtime.close();
  }
}

/** `listen` failures an operator can fix, in one clear sentence (no stack trace). */
function listenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const where = `port ${port} on ${host}`;
  const message =
    code === 'EADDRINUSE'
      ? `${where} is already in use (another gateway or program); choose another with --port or server.port`
      : code === 'EACCES'
        ? `${where} needs privileges this process lacks; use a port above 1023`
        : code === 'EADDRNOTAVAIL'
          ? `${host} is not an address of this machine; check --host or server.host`
          : undefined;
  return message ? Object.assign(new Error(message), { code, operatorError: true }) : (err as Error);
}
