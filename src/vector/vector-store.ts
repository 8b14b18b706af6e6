/**
 * The VectorStore contract (semantic cache entries, semantic routes/guards) and its two implementations:
 * `embedded` (in-process HNSW, persisted under the data dir) and `qdrant` (shared across replicas).
 * Both pass test/vector/vector-store.contract.ts.
 */
export { createEmbeddedVectorStore, type EmbeddedVectorStoreOptions } from './embedded-vector-store.js';
export { createQdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant-vector-store.js';

/** One search result. `score` is the cosine similarity in [-1, 1] (1 = same direction). */
export interface VectorHit {
  id: string;
  score: number;
  payload: Record<string, unknown>;
}

/**
 * A namespaced nearest-neighbour store of vectors with JSON payloads.
 * - Lifetime: `init(dimension)` once before any other call (creates or reopens the storage; a stored index of a
 *   different dimension is discarded by the embedded store and rejected by Qdrant); `close()` once at shutdown.
 * - Namespaces are strictly apart: `search(ns, …)` never returns an entry upserted under another namespace.
 * - `upsert` of an existing (ns, id) replaces vector, payload and TTL. `ttlMs` > 0 makes the entry invisible to
 *   `search` after that long (it is reclaimed later); without it the entry lives until evicted or deleted.
 * - `search` returns at most `k` hits with `score ≥ minScore`, best first. Approximate (ANN): a true neighbour may
 *   rarely be missed, a wrong-namespace or expired one never returned. Vectors need not be normalised.
 * - `size()` counts stored entries (expired ones may be counted until reclaimed).
 * - Errors: vectors of the wrong dimension reject; backend failures reject (callers treat them as a miss).
 */
export interface VectorStore {
  init(dimension: number): Promise<void>;
  upsert(ns: string, id: string, vector: Float32Array, payload: Record<string, unknown>, ttlMs?: number): Promise<void>;
  search(ns: string, vector: Float32Array, opts: { k: number; minScore?: number }): Promise<VectorHit[]>;
  delete(ns: string, id: string): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}
