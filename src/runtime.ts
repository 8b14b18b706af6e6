/**
 * The gateway's long-lived parts, built once from a config: store, adapters, catalog, auth, executor, logger.
 * `createRuntime` opens connections; `close()` releases them. Routes and the pipeline only read from it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import { createAuthenticator, type Authenticator } from './auth/authenticate.js';
import { createModelCatalog, type ModelCatalog } from './routing/catalog.js';
import { createExecutor, type Executor } from './routing/executor.js';
import { createAdapter } from '../providers/index.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { StateStore } from './state/state-store.js';
import { createGuardRegistry, type GuardRegistry } from './pipeline/team-guards.js';
import { createMetrics, type Metrics } from './metrics/index.js';
import { createTopicMatcher, type TopicMatcher } from '../guards/semantic-topics/index.js';
import { createResponseCache, type ResponseCache } from './cache/response-cache.js';
import { createSemanticBackend, type SemanticBackend } from './semantic.js';

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
  close(): Promise<void>;
}


export interface RuntimeOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Supply a store (tests, benchmarks); otherwise one is opened from `config.state`. */
  store?: StateStore;
}

export async function createRuntime({ config, logger, store: given }: RuntimeOptions): Promise<Runtime> {
  const store = given ?? (await openStore(config));
  const adapters = new Map<string, ProviderAdapter>();
  for (const [name, p] of Object.entries(config.providers)) adapters.set(name, createAdapter({ name, ...p }));
  const catalog = createModelCatalog(config);
  const vectors = createSemanticBackend(config, logger);
  return {
    config,
    logger,
    store,
    catalog,
    auth: createAuthenticator(store, { failOpen: config.state.failMode === 'open' }),
    adapters,
    executor: createExecutor(adapters),
    guards: createGuardRegistry(config),
    metrics: config.server.metrics.enabled ? createMetrics() : undefined,
    vectors,
    topics: createTopicMatcher(vectors.embedder),
    cache: createResponseCache({ store, vectors: vectors.vectors, embedder: vectors.embedder }),
    async close() {
      await Promise.allSettled([...adapters.values()].map((a) => a.close()));
      await vectors.close();
      if (!given) await store.close();
    },
  };
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
