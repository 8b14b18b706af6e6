/**
 * Embedded VectorStore: per-namespace indexes (exact scan when small, HNSW when large — see namespace-index.ts),
 * one global LRU order for the size bound, TTL checked at search time, every mutation written through to
 * SQLite under the data dir and the indexes rebuilt from it at `init`.
 *
 * Why rebuild instead of saving the HNSW graphs: the rows are the single source of truth, so a crash can never
 * leave a graph and its label map out of step; rebuild time is measured in bench/vector.ts.
 */
import type { VectorHit, VectorStore } from './vector-store.js';
import { createNamespaceIndex, DEFAULT_HNSW, type HnswParams, type IndexedEntry, type NamespaceIndex } from './namespace-index.js';
import { openVectorFile, type VectorFile } from './vector-file.js';

export interface EmbeddedVectorStoreOptions {
  /** Directory for `vectors.sqlite` (created if missing). */
  dir: string;
  /** Bound on stored entries; beyond it the least recently used (written or hit) entries are evicted. Default 100 000. */
  maxEntries?: number;
  /** HNSW tuning (defaults are good to ~1M entries at 384 dims). */
  hnsw?: Partial<HnswParams>;
}

/** Unambiguous map key for (ns, id): the length prefix keeps ('ab', 'c') and ('a', 'bc') apart. */
const keyOf = (ns: string, id: string) => `${ns.length}:${ns}${id}`;

export function createEmbeddedVectorStore(opts: EmbeddedVectorStoreOptions): VectorStore {
  const maxEntries = Math.max(1, opts.maxEntries ?? 100_000);
  const params: HnswParams = { ...DEFAULT_HNSW, ...opts.hnsw };
  const namespaces = new Map<string, NamespaceIndex>();
  // Global recency order: Map iteration order is insertion order, and a use re-inserts the key at the end.
  const lru = new Map<string, IndexedEntry>();
  let file: VectorFile | undefined;
  let dimension = 0;
  let seq = 0;
  let closed = false;

  const ready = (): VectorFile => {
    if (closed) throw new Error('vector store is closed');
    if (!file) throw new Error('vector store used before init()');
    return file;
  };
  const check = (v: Float32Array) => {
    if (v.length !== dimension) throw new Error(`vector has ${v.length} dimensions, the store ${dimension}`);
  };
  const unit = (v: Float32Array): Float32Array => {
    const out = Float32Array.from(v);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i]! * out[i]!;
    const n = Math.sqrt(s);
    if (n > 0) for (let i = 0; i < out.length; i++) out[i]! /= n;
    return out;
  };

  const insert = (e: Omit<IndexedEntry, 'label'>): IndexedEntry => {
    let idx = namespaces.get(e.ns);
    if (!idx) namespaces.set(e.ns, (idx = createNamespaceIndex(dimension, params)));
    const stored = idx.put(e);
    const key = keyOf(e.ns, e.id);
    lru.delete(key);
    lru.set(key, stored);
    return stored;
  };
  const drop = (ns: string, id: string) => {
    const idx = namespaces.get(ns);
    if (!idx?.remove(id)) return;
    if (idx.entries.size === 0) namespaces.delete(ns);
    lru.delete(keyOf(ns, id));
    file?.remove(ns, id);
  };

  return {
    async init(dim) {
      if (file) throw new Error('vector store already initialised');
      if (!Number.isInteger(dim) || dim <= 0) throw new Error(`invalid dimension ${dim}`);
      dimension = dim;
      file = openVectorFile(opts.dir);
      const now = Date.now();
      const rows = file.load(dim);
      // Rows come least-recently-used first; if the bound shrank since last run, the oldest go first.
      const skip = Math.max(0, rows.length - maxEntries);
      rows.forEach((r, i) => {
        if (i < skip || (r.expiresAt && r.expiresAt <= now)) file!.remove(r.ns, r.id);
        else insert({ ns: r.ns, id: r.id, vector: r.vector, payload: r.payload, expiresAt: r.expiresAt });
      });
      seq = rows.length ? rows[rows.length - 1]!.seq : 0;
    },

    async upsert(ns, id, vector, payload, ttlMs) {
      const f = ready();
      check(vector);
      const expiresAt = ttlMs && ttlMs > 0 ? Date.now() + ttlMs : 0;
      const e = insert({ ns, id, vector: unit(vector), payload, expiresAt });
      f.put({ ns, id, seq: ++seq, expiresAt, payload, vector: e.vector });
      for (const [key, victim] of lru) {
        if (lru.size <= maxEntries) break;
        if (key === keyOf(ns, id)) continue; // never evict what was just written
        drop(victim.ns, victim.id);
      }
    },

    async search(ns, vector, { k, minScore = -Infinity }) {
      const f = ready();
      check(vector);
      const idx = namespaces.get(ns);
      if (!idx || k <= 0) return [];
      const q = unit(vector);
      const now = Date.now();
      let want = k;
      let live: { entry: IndexedEntry; score: number }[] = [];
      const expired: IndexedEntry[] = [];
      // Expired entries may crowd the top-k; ask for more until k live ones are found or the index is exhausted.
      for (;;) {
        const found = idx.search(q, want);
        live = [];
        for (const h of found) {
          if (h.entry.expiresAt && h.entry.expiresAt <= now) expired.push(h.entry);
          else live.push(h);
        }
        if (live.length >= k || found.length < want || want >= idx.entries.size) break;
        want *= 4;
      }
      for (const e of new Set(expired)) drop(e.ns, e.id);
      const hits = live.filter((h) => h.score >= minScore).slice(0, k);
      for (const h of hits) {
        const key = keyOf(h.entry.ns, h.entry.id);
        lru.delete(key);
        lru.set(key, h.entry);
        f.touch(h.entry.ns, h.entry.id, ++seq);
      }
      return hits.map((h) => ({ id: h.entry.id, score: Math.min(1, h.score), payload: h.entry.payload }) satisfies VectorHit);
    },

    async delete(ns, id) {
      ready();
      drop(ns, id);
    },

    async size() {
      ready();
      return lru.size;
    },

    async close() {
      if (closed) return;
      closed = true;
      file?.close();
      namespaces.clear();
      lru.clear();
    },
  };
}
