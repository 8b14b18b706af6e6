/**
 * The gateway's long-lived parts, built once from a config: store, adapters, catalog, auth, executor, logger.
 * `createRuntime` opens connections; `close()` releases them. Routes and the pipeline only read from it.
 *
 * The config-derived parts (config, catalog, adapters, executor, guards) form a *generation* that `reload`
 * replaces atomically; a request pins the generation it started with (`pin()`), so a reload never changes a
 * request mid-flight. Old adapters are closed after a drain delay, when no pinned request can still start a call.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import { createAuthenticator, type Authenticator } from './auth/authenticate.js';
import { restoreConfig } from './bootstrap.js';
import { createJwtAuthenticator } from './auth/jwt.js';
import { createStateLossWatch, type StateLossWatch } from './state/state-loss.js';
import { createModelCatalog, type ModelCatalog } from './routing/catalog.js';
import { createExecutor, type Executor } from './routing/executor.js';
import { createAdapter } from '../providers/index.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { StateStore } from './state/state-store.js';
import { createGuardModels, createGuardRegistry, type GuardModels, type GuardRegistry } from './pipeline/team-guards.js';
import { createMetrics, type Metrics } from './metrics/index.js';
import { createTopicMatcher, type TopicMatcher } from '../guards/semantic-topics/index.js';
import { createResponseCache, type ResponseCache } from './cache/response-cache.js';
import { createSemanticBackend, type SemanticBackend } from './semantic.js';
import { createStoreRetryQueue, type StoreRetryQueue } from './pipeline/store-retry.js';
import { createUsageBuffer, type UsageBuffer } from './pipeline/usage-buffer.js';
import { createTracing, type Tracing } from './telemetry/tracing.js';

export interface Runtime {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly store: StateStore;
  readonly catalog: ModelCatalog;
  readonly auth: Authenticator;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly executor: Executor;
  readonly guards: GuardRegistry;
  readonly topics: TopicMatcher;
  /** Response cache (exact + semantic); absent only in stripped-down runtimes. */
  readonly cache?: ResponseCache;
  /** Embedder and vector store (the embedder may still be loading, or absent). */
  readonly vectors: SemanticBackend;
  /** Prometheus metrics; absent when disabled. */
  readonly metrics?: Metrics;
  /** Accounting writes deferred while the state store is unavailable. */
  readonly storeRetry: StoreRetryQueue;
  /** Notices a state store that lost its data and writes the config's teams and keys again. */
  readonly stateWatch: StateLossWatch;
  /** Usage ledger write-behind (flushed every `state.ledgerFlushMs`). */
  readonly usage: UsageBuffer;
  /** Chat requests still running (settlement included), so shutdown can wait for them. */
  readonly inflight: Set<Promise<void>>;
  /** OpenTelemetry traces; absent when `telemetry.traces.enabled` is off (then no request creates a span). */
  readonly tracing?: Tracing;
  /** A view fixed on the current generation, for one request. */
  pin(): Runtime;
  /** Swaps in a new config's generation. Throws (and changes nothing) when the new config cannot be built. */
  reload(next: GatewayConfig): void;
  close(): Promise<void>;
}

/** The parts of the runtime a config reload replaces. */
interface Generation {
  config: GatewayConfig;
  catalog: ModelCatalog;
  adapters: ReadonlyMap<string, ProviderAdapter>;
  executor: Executor;
  guards: GuardRegistry;
}

/** Settings a reload cannot apply to a running process (listeners and stores are opened once). */
const RESTART_ONLY = ['state', 'embeddings', 'vectorStore', 'telemetry'] as const;
/** `server` settings a reload applies; the others belong to the listeners, opened once. */
const SERVER_RELOADABLE = new Set(['adminToken', 'defaultMaxOutputTokens', 'logLevel', 'host', 'port']);
const ADAPTER_DRAIN_MS = 60_000;

function buildGeneration(config: GatewayConfig, logger: Logger, vectors: SemanticBackend, guardModels: GuardModels): Generation {
  const adapters = new Map<string, ProviderAdapter>();
  for (const [name, p] of Object.entries(config.providers)) adapters.set(name, createAdapter({ name, ...p }));
  // Semantic routes serve their default targets until the embedder is ready, so start-up never waits for it.
  // Without one, the embedder is not asked for (asking starts loading it: semantic.ts).
  const semanticRoutes = Object.values(config.routes).flat().some((r) => r.strategy === 'semantic');
  const embedder = semanticRoutes ? vectors.ready.then(() => vectors.embedder()) : Promise.resolve(null);
  const catalog = createModelCatalog(config, { embedder, logger });
  return { config, catalog, adapters, executor: createExecutor(adapters, { logger }), guards: createGuardRegistry(config, logger, guardModels) };
}


export interface RuntimeOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Supply a store (tests, benchmarks); otherwise one is opened from `config.state`. */
  store?: StateStore;
}

export async function createRuntime({ config, logger, store: given }: RuntimeOptions): Promise<Runtime> {
  const store = given ?? (await openStore(config));
  const vectors = createSemanticBackend(config, logger);
  // Loaded guard models and judge verdicts outlive a reload's generation (team-guards.ts).
  const guardModels = createGuardModels();
  let gen = buildGeneration(config, logger, vectors, guardModels);
  const retired = new Set<NodeJS.Timeout>();
  const storeRetry = createStoreRetryQueue(logger);
  // Restores with the config of the moment (a reload may have changed it since the start).
  const stateWatch = createStateLossWatch({ store, logger, restore: () => restoreConfig(gen.config, store, logger) });
  // JWT issuers follow config reloads (a new issuer, a rotated audience) like the generation does.
  let jwt = createJwtAuthenticator(config.auth, store);
  const shared = {
    logger,
    store,
    stateWatch,
    auth: createAuthenticator(store, { failOpen: config.state.failMode === 'open', recheck: stateWatch.check, jwt: () => jwt }),
    metrics: config.server.metrics.enabled ? createMetrics({ keySeries: config.server.metrics.keySeries }) : undefined,
    vectors,
    topics: createTopicMatcher(vectors.embedder),
    cache: createResponseCache({ store, vectors: vectors.vectors, embedder: vectors.embedder, logger }),
    storeRetry,
    usage: createUsageBuffer(store, storeRetry, config.state.ledgerFlushMs),
    inflight: new Set<Promise<void>>(),
    tracing: await createTracing(config.telemetry.traces, logger),
  };
  const pruneTimer = scheduleUsagePrune(store, config, logger);
  const closeAdapters = (g: Generation) => Promise.allSettled([...g.adapters.values()].map((a) => a.close()));

  let pinned: Runtime | undefined;
  let pinnedGen: Generation | undefined;
  const runtime: Runtime = {
    ...shared,
    get config() {
      return gen.config;
    },
    get catalog() {
      return gen.catalog;
    },
    get adapters() {
      return gen.adapters;
    },
    get executor() {
      return gen.executor;
    },
    get guards() {
      return gen.guards;
    },
    pin() {
      // One pinned view per generation, shared by its requests (it is read-only).
      if (!pinned || pinnedGen !== gen) {
        const view: Runtime = { ...runtime, ...gen, pin: () => view };
        pinned = view;
        pinnedGen = gen;
      }
      return pinned;
    },
    reload(next) {
      for (const key of RESTART_ONLY) {
        if (JSON.stringify(next[key]) !== JSON.stringify(gen.config[key])) logger.warn({ setting: key }, `config section "${key}" changed: it takes effect at the next restart`);
      }
      for (const [key, value] of Object.entries(next.server)) {
        if (SERVER_RELOADABLE.has(key) || JSON.stringify(value) === JSON.stringify(gen.config.server[key as keyof typeof next.server])) continue;
        logger.warn({ setting: `server.${key}` }, `config setting "server.${key}" changed: it takes effect at the next restart`);
      }
      logger.level = next.server.logLevel;
      const old = gen;
      jwt = createJwtAuthenticator(next.auth, store);
      gen = buildGeneration({ ...next, state: old.config.state, embeddings: old.config.embeddings, vectorStore: old.config.vectorStore, telemetry: old.config.telemetry }, logger, vectors, guardModels);
      const timer = setTimeout(() => {
        retired.delete(timer);
        void closeAdapters(old);
      }, ADAPTER_DRAIN_MS);
      timer.unref();
      retired.add(timer);
    },
    async close() {
      clearInterval(pruneTimer);
      shared.storeRetry.close();
      stateWatch.close();
      shared.usage.close();
      await closeAdapters(gen);
      for (const t of retired) clearTimeout(t);
      await vectors.close();
      // After the requests drained: their last spans are sent before the process exits.
      await shared.tracing?.shutdown().catch(() => undefined);
      if (!given) await store.close();
    },
  };
  shared.metrics?.watchUpstreamConnections(() => [...runtime.adapters].map(([name, a]) => [name, a.connections()] as const));
  return runtime;
}

/** Usage-ledger retention: prunes hours older than `state.usageRetentionDays`, at start and hourly (idempotent across replicas). */
function scheduleUsagePrune(store: StateStore, config: GatewayConfig, logger: Logger): NodeJS.Timeout {
  const prune = () => {
    const before = Date.now() - config.state.usageRetentionDays * 86_400_000;
    store.pruneUsage(before).catch((err) => logger.warn({ err: (err as Error).message }, 'usage retention prune failed'));
  };
  setImmediate(prune);
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  return timer;
}

async function openStore(config: GatewayConfig): Promise<StateStore> {
  const { state } = config;
  if (state.kind === 'redis') {
    if (!state.redisUrl) throw new Error('state.redisUrl is required when state.kind is redis');
    // Loaded on demand so single-node installs never load ioredis.
    const { createRedisStateStore } = await import('./state/redis/redis-state-store.js');
    return createRedisStateStore({ url: state.redisUrl });
  }
  const { createSqliteStateStore } = await import('./state/sqlite/sqlite-state-store.js');
  // `:memory:` keeps everything in the process (tests, throwaway runs).
  if (state.dataDir === ':memory:') return createSqliteStateStore({ path: ':memory:' });
  mkdirSync(state.dataDir, { recursive: true });
  return createSqliteStateStore({ path: join(state.dataDir, 'gateway.sqlite') });
}
