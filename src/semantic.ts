/**
 * The embedding-backed parts of the runtime: embedder (loaded in the background so start-up never waits for a
 * model), vector store, and the response cache on top. Until the embedder is ready — or forever when none is
 * reachable, after one warning — the semantic layer is simply skipped; the exact cache works regardless.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import { preloadSynonyms } from './cache/synonyms.js';
import { createEmbedderOrNull, type Embedder, type EmbeddingsConfig } from './embeddings/embedder.js';
import { createEmbeddedVectorStore } from './vector/embedded-vector-store.js';
import { createQdrantVectorStore } from './vector/qdrant-vector-store.js';
import type { VectorStore } from './vector/vector-store.js';

export interface SemanticBackend {
  /** The embedder once loaded and its vector store initialised; null before that or when unavailable. */
  embedder(): Embedder | null;
  readonly vectors: VectorStore;
  /** Resolves when loading finished (ready or given up). */
  readonly ready: Promise<void>;
  /** `loading` until `ready` settles; then `ready`, or `unavailable` when it gave up; `off` when not configured. */
  status(): 'off' | 'loading' | 'ready' | 'unavailable';
  close(): Promise<void>;
}

export function createSemanticBackend(config: GatewayConfig, logger: Logger): SemanticBackend {
  const vs = config.vectorStore;
  const vectors =
    vs.kind === 'qdrant'
      ? createQdrantVectorStore({ url: vs.url!, apiKey: vs.apiKey, collection: vs.collection, timeoutMs: vs.timeoutMs })
      : createEmbeddedVectorStore({ dir: vectorDir(config.state.dataDir), maxEntries: vs.maxEntries, logger });
  let embedder: Embedder | null = null;
  let loading = config.embeddings.kind !== 'off';
  const ready = createEmbedderOrNull(embeddingsConfig(config), logger)
    .then(async (e) => {
      if (!e) return;
      await vectors.init(e.dimension);
      // The cache's hit verifier reads WordNet's index: now, while the embedder counts as loading, not at the
      // first candidate, where it would hold up every request for as long (0.5–2 s).
      preloadSynonyms();
      embedder = e;
    })
    .catch((err) => logger.warn({ err: (err as Error).message }, 'semantic features disabled: vector store failed to start'))
    .finally(() => (loading = false));
  return {
    embedder: () => embedder,
    vectors,
    ready,
    status: () => (config.embeddings.kind === 'off' ? 'off' : loading ? 'loading' : embedder ? 'ready' : 'unavailable'),
    async close() {
      await ready;
      await embedder?.close();
      await vectors.close();
    },
  };
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
