/**
 * The embedding-backed parts of the runtime: embedder (loaded in the background so start-up never waits for a
 * model), vector store, and the response cache on top. Until the embedder is ready — or forever when none is
 * reachable, after one warning — the semantic layer is simply skipped; the exact cache works regardless.
 *
 * The embedder loads at start when the config uses it (a semantic cache, deny topics or semantic routes, gateway-wide
 * or in a config team), and otherwise on first use (a team given a semantic cache or deny topics through the admin
 * API): a model costs a worker process of 100–400 MB, which a gateway that never embeds should not pay — the
 * shipped config names one (USE lite, from npm) so that semantic features work offline out of the box.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import { resolvePolicy } from './config/policy.js';
import { preloadWordNet } from './cache/wordnet.js';
import { sentenceSegmenter } from './cache/semantic-text.js';
import { createEmbedderOrNull, type Embedder, type EmbeddingsConfig } from './embeddings/embedder.js';
import { createEmbeddedVectorStore } from './vector/embedded-vector-store.js';
import { createQdrantVectorStore } from './vector/qdrant-vector-store.js';
import type { VectorStore } from './vector/vector-store.js';

export interface SemanticBackend {
  /** The embedder once loaded and its vector store initialised; null before that or when unavailable. Starts loading it. */
  embedder(): Embedder | null;
  readonly vectors: VectorStore;
  /** Resolves when loading finished (ready or given up); reading it starts loading. */
  readonly ready: Promise<void>;
  /**
   * `idle` until something needs the embedder; until `ready` settles, `loading` when the load began at start (the
   * config uses it: readiness waits for it) or `warming` when a request began it (readiness does not: every replica
   * meets that team's traffic within seconds, and all of them turning unready together would take the service
   * down); then `ready`, or `unavailable` when it gave up; `off` when not configured.
   */
  status(): 'off' | 'idle' | 'loading' | 'warming' | 'ready' | 'unavailable';
  close(): Promise<void>;
}

export function createSemanticBackend(config: GatewayConfig, logger: Logger): SemanticBackend {
  const vs = config.vectorStore;
  const vectors =
    vs.kind === 'qdrant'
      ? createQdrantVectorStore({ url: vs.url!, apiKey: vs.apiKey, collection: vs.collection, timeoutMs: vs.timeoutMs })
      : createEmbeddedVectorStore({ dir: vectorDir(config.state.dataDir), maxEntries: vs.maxEntries, logger });
  const off = config.embeddings.kind === 'off';
  let embedder: Embedder | null = null;
  let done = false;
  let loading: Promise<void> | undefined;
  let closed = false;
  const load = (): Promise<void> =>
    // After close, nothing starts a model worker (a request still draining would otherwise leave one behind).
    closed ? Promise.resolve() : (loading ??= createEmbedderOrNull(embeddingsConfig(config), logger)
      .then(async (e) => {
        if (!e) return;
        await vectors.init(e.dimension);
        // The cache's hit verifier reads WordNet's index, and its lookups split text into sentences: both made now,
        // while the embedder counts as loading, not at the first candidate, where they would hold up every request
        // for as long (WordNet 0.5–2 s, the sentence segmenter ~20 ms).
        preloadWordNet();
        sentenceSegmenter();
        embedder = e;
      })
      .catch((err) => logger.warn({ err: (err as Error).message }, 'semantic features disabled: vector store failed to start'))
      .finally(() => (done = true)));
  const atStart = !off && semanticFeaturesConfigured(config);
  if (atStart) void load();
  return {
    embedder: () => {
      if (!off && !loading) void load();
      return embedder;
    },
    vectors,
    get ready() {
      return off ? Promise.resolve() : load();
    },
    status: () => (off ? 'off' : !loading ? 'idle' : !done ? (atStart ? 'loading' : 'warming') : embedder ? 'ready' : 'unavailable'),
    async close() {
      closed = true;
      await loading;
      await embedder?.close();
      await vectors.close();
    },
  };
}

/** Whether the config itself uses embeddings: a semantic cache, deny topics or semantic routes (gateway-wide or a config team). */
export function semanticFeaturesConfigured(config: GatewayConfig): boolean {
  const policies = [resolvePolicy(config, {}), ...Object.values(config.teams).map((t) => resolvePolicy(config, t.policy))];
  const routes = Object.values(config.routes).flat();
  return (
    routes.some((r) => r.strategy === 'semantic') ||
    policies.some((p) => (p.cache.mode !== 'off' && p.cache.semantic !== 'off') || (p.guards.topics.enabled && p.guards.topics.deny.length > 0))
  );
}

function embeddingsConfig(config: GatewayConfig): EmbeddingsConfig {
  const e = config.embeddings;
  if (e.kind !== 'provider') return e;
  const p = config.providers[e.provider];
  return { kind: 'provider', baseUrl: p.baseUrl, apiKey: p.apiKey, model: e.model, dimension: e.dimension, maxInputTokens: e.maxInputTokens };
}

function vectorDir(dataDir: string): string {
  if (dataDir === ':memory:') return mkdtempSync(join(tmpdir(), 'gateway-vectors-'));
  const dir = join(dataDir, 'vectors');
  mkdirSync(dir, { recursive: true });
  return dir;
}
