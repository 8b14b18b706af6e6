/**
 * Qdrant VectorStore (@qdrant/js-client-rest) for many gateway replicas sharing one semantic cache.
 * - One collection, created at `init` with the embedder's dimension and cosine distance.
 * - Namespace = keyword payload field `ns` (indexed) that every search must match; TTL = integer payload field
 *   `expiresAt` (epoch ms, indexed) that searches exclude once past, and a periodic delete-by-filter reclaims.
 * - Point ids must be unsigned ints or UUIDs in Qdrant, so (ns, id) is hashed to a stable UUID; the caller's id
 *   is kept in the payload.
 * Size is bounded by Qdrant's own capacity, not by this client (no eviction here).
 * The client is imported at `init`: it brings its own copy of undici, ~4 MB of heap that a gateway on the embedded
 * store would otherwise carry (and mark at every full GC) without ever using it.
 */
import { createHash } from 'node:crypto';
import type { QdrantClient } from '@qdrant/js-client-rest';
import type { VectorHit, VectorStore } from './vector-store.js';
import { checkVector } from './vector-check.js';

export interface QdrantVectorStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  /** How often expired points are deleted (default 10 min; 0 = never). */
  sweepIntervalMs?: number;
  /**
   * Client-side limit on each upsert/search/delete/count (default 5 s). The Qdrant client's own default is 5 minutes,
   * and a search sits on the request path: a hung Qdrant must cost a cache miss, not a stalled request.
   */
  timeoutMs?: number;
  /** Limit on each call made by `init` and by the expiry sweep (collection creation, indexes; default 60 s). */
  adminTimeoutMs?: number;
}

interface StoredPayload {
  ns: string;
  id: string;
  expiresAt?: number;
  data: Record<string, unknown>;
}

/** Stable UUID (RFC 4122 layout, version nibble 5) from (ns, id); length-prefixed so no two pairs collide by concatenation. */
export function pointId(ns: string, id: string): string {
  const h = createHash('sha256').update(`${ns.length}:${ns}`).update(id).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createQdrantVectorStore(opts: QdrantVectorStoreOptions): VectorStore {
  let client: QdrantClient | undefined;
  let admin: QdrantClient | undefined;
  const collection = opts.collection;
  let dimension = 0;
  let sweeper: NodeJS.Timeout | undefined;
  let closed = false;

  const ready = (): QdrantClient => {
    if (closed) throw new Error('vector store is closed');
    if (!dimension || !client) throw new Error('vector store used before init()');
    return client;
  };
  const check = (v: Float32Array) => checkVector(v, dimension);
  const sweep = (c: QdrantClient) =>
    c.delete(collection, { wait: false, filter: { must: [{ key: 'expiresAt', range: { lte: Date.now() } }] } });

  /**
   * An existing collection must hold vectors of this dimension compared by cosine (scores of another distance
   * are not comparable with `minScore`). Just after another replica created it, Qdrant may answer 5xx for a moment
   * while its shards come up: a few short retries.
   */
  const checkExisting = async (c: QdrantClient, dim: number) => {
    let info: Awaited<ReturnType<QdrantClient['getCollection']>>;
    for (let attempt = 0; ; attempt++) {
      try {
        info = await c.getCollection(collection);
        break;
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (attempt >= 4 || status === undefined || status < 500) throw err;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
    const vectors = info.config.params.vectors as { size?: number; distance?: string } | undefined;
    if (vectors?.size === undefined) {
      throw new Error(`Qdrant collection ${collection} has named vectors, not one unnamed vector: use another collection`);
    }
    if (vectors.size !== dim) {
      throw new Error(`Qdrant collection ${collection} holds ${vectors.size}-dimension vectors, the embedder makes ${dim}: use another collection`);
    }
    if (vectors.distance !== undefined && vectors.distance !== 'Cosine') {
      throw new Error(`Qdrant collection ${collection} uses ${vectors.distance} distance, the store needs Cosine: use another collection`);
    }
  };

  return {
    async init(dim) {
      if (!Number.isInteger(dim) || dim <= 0) throw new Error(`invalid dimension ${dim}`);
      const { QdrantClient } = await import('@qdrant/js-client-rest');
      const base = { url: opts.url, apiKey: opts.apiKey, checkCompatibility: false };
      client ??= new QdrantClient({ ...base, timeout: opts.timeoutMs ?? 5_000 });
      const c = (admin ??= new QdrantClient({ ...base, timeout: opts.adminTimeoutMs ?? 60_000 }));
      let created = false;
      if (!(await c.collectionExists(collection)).exists) {
        try {
          await c.createCollection(collection, { vectors: { size: dim, distance: 'Cosine' } });
          created = true;
        } catch (err) {
          // Another replica starting at the same moment created it first (409, or 400 before Qdrant 1.8): use
          // theirs, after the same checks as for any existing collection.
          if (!(await c.collectionExists(collection)).exists) throw err;
        }
      }
      if (!created) await checkExisting(c, dim);
      // Idempotent: creating an existing payload index is accepted by Qdrant.
      await c.createPayloadIndex(collection, { field_name: 'ns', field_schema: 'keyword', wait: true });
      await c.createPayloadIndex(collection, { field_name: 'expiresAt', field_schema: 'integer', wait: true });
      dimension = dim;
      const every = opts.sweepIntervalMs ?? 600_000;
      if (every > 0) {
        sweeper = setInterval(() => void sweep(c).catch(() => undefined), every);
        sweeper.unref();
      }
    },

    async upsert(ns, id, vector, payload, ttlMs) {
      const c = ready();
      check(vector);
      const p: StoredPayload = { ns, id, data: payload };
      if (ttlMs && ttlMs > 0) p.expiresAt = Date.now() + ttlMs;
      await c.upsert(collection, {
        wait: true,
        points: [{ id: pointId(ns, id), vector: Array.from(vector), payload: p as unknown as Record<string, unknown> }],
      });
    },

    async search(ns, vector, { k, minScore }) {
      const c = ready();
      check(vector);
      if (k <= 0) return [];
      const res = await c.query(collection, {
        query: Array.from(vector),
        limit: k,
        score_threshold: minScore,
        with_payload: true,
        filter: {
          must: [{ key: 'ns', match: { value: ns } }],
          // Points without expiresAt never match a range, so they are never excluded here.
          must_not: [{ key: 'expiresAt', range: { lte: Date.now() } }],
        },
      });
      const hits: VectorHit[] = [];
      for (const pt of res.points) {
        const p = pt.payload as unknown as StoredPayload | undefined;
        // Belt and braces: the filter already guarantees this; a wrong-namespace hit must never be served.
        if (!p || p.ns !== ns) continue;
        hits.push({ id: p.id, score: pt.score, payload: p.data ?? {} });
      }
      return hits;
    },

    async delete(ns, id) {
      const c = ready();
      await c.delete(collection, { wait: true, points: [pointId(ns, id)] });
    },

    async size() {
      const c = ready();
      return (await c.count(collection, { exact: true })).count;
    },

    async close() {
      closed = true;
      if (sweeper) clearInterval(sweeper);
    },
  };
}
