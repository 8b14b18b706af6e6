/**
 * Embedded VectorStore: per-namespace indexes (exact scan when small, HNSW when large — see namespace-index.ts),
 * one global LRU order for the size bound, TTL checked at search time, every mutation written through to
 * SQLite under the data dir (`vectors.sqlite`).
 *
 * At `init` the rows are the source of truth. A clean `close()` also snapshots each HNSW graph (`graphs/*.hnsw`)
 * and marks the snapshots valid; the next `init` resumes those graphs instead of rebuilding them (a rebuild at
 * 100k entries takes minutes on a small machine; see bench/vector.ts). Any mutation after start marks them
 * stale, so after a crash the graphs are rebuilt from the rows and can never disagree with them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { VectorHit, VectorStore } from './vector-store.js';
import { checkVector } from './vector-check.js';
import { createNamespaceIndex, DEFAULT_HNSW, type HnswParams, type IndexedEntry, type NamespaceIndex } from './namespace-index.js';
import { isCorruptFile, moveCorruptFileAside, openVectorFile, type LoadedRows, type StoredRow, type VectorFile } from './vector-file.js';

export interface EmbeddedVectorStoreOptions {
  /** Directory for `vectors.sqlite` (created if missing). */
  dir: string;
  /** Bound on stored entries; beyond it the least recently used (written or hit) entries are evicted. Default 100 000. */
  maxEntries?: number;
  /** HNSW tuning (defaults are good to ~1M entries at 384 dims). */
  hnsw?: Partial<HnswParams>;
  /** Where recoveries at `init` are reported (a damaged file moved aside, unreadable rows dropped); default: `process.emitWarning`. */
  logger?: { warn(obj: Record<string, unknown>, msg: string): void };
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
  const check = (v: Float32Array) => checkVector(v, dimension);
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
  const graphPath = (ns: string) => join(opts.dir, 'graphs', `${createHash('sha256').update(ns).digest('hex')}.hnsw`);
  /** Resumes saved graphs for namespaces that had one; returns the namespaces restored (others are rebuilt). */
  const restoreGraphs = (rows: StoredRow[]): Set<string> => {
    const byNs = new Map<string, StoredRow[]>();
    for (const r of rows) {
      const list = byNs.get(r.ns);
      if (list) list.push(r);
      else byNs.set(r.ns, [r]);
    }
    const done = new Set<string>();
    for (const [ns, list] of byNs) {
      const path = graphPath(ns);
      if (list.length <= params.flatMax || !existsSync(path) || list.some((r) => r.label < 0)) continue;
      try {
        const entries = list.map((r) => ({ ns, id: r.id, vector: unit(r.vector), payload: r.payload, expiresAt: r.expiresAt, label: r.label }));
        namespaces.set(ns, createNamespaceIndex(dimension, params, { path, entries }));
        done.add(ns);
      } catch {
        // A snapshot that does not match its rows is ignored: the namespace is rebuilt from the rows.
      }
    }
    return done;
  };
  const drop = (ns: string, id: string) => {
    const idx = namespaces.get(ns);
    if (!idx?.remove(id)) return;
    if (idx.entries.size === 0) namespaces.delete(ns);
    lru.delete(keyOf(ns, id));
    file?.remove(ns, id);
  };

  const warn = (obj: Record<string, unknown>, msg: string) => {
    if (opts.logger) opts.logger.warn(obj, msg);
    else process.emitWarning(`${msg} ${JSON.stringify(obj)}`, 'VectorStoreWarning');
  };
  /**
   * Opens the file and reads its rows. A damaged file (not a database, a truncated copy, torn pages) does not keep
   * the semantic layer down until someone deletes it by hand: it is moved aside, one warning says so, and the
   * store starts empty (it only ever held a cache). Other errors (permissions, a full disk) are thrown as they are.
   */
  const openAndLoad = (dim: number): { f: VectorFile; rows: StoredRow[] } => {
    const path = join(opts.dir, 'vectors.sqlite');
    let f: VectorFile | undefined;
    let loaded: LoadedRows;
    try {
      f = openVectorFile(opts.dir);
      loaded = f.load(dim);
    } catch (err) {
      f?.close();
      if (!isCorruptFile(err)) throw err;
      const movedTo = moveCorruptFileAside(opts.dir);
      warn(
        { path, movedTo, reason: (err as Error).message },
        'semantic cache file is damaged: moved aside, starting with an empty semantic cache',
      );
      f = openVectorFile(opts.dir);
      loaded = f.load(dim);
    }
    if (loaded.dropped > 0) {
      warn({ path, dropped: loaded.dropped }, 'semantic cache file had unreadable entries: dropped them');
    }
    return { f, rows: loaded.rows };
  };

  return {
    async init(dim) {
      if (file) throw new Error('vector store already initialised');
      if (!Number.isInteger(dim) || dim <= 0) throw new Error(`invalid dimension ${dim}`);
      dimension = dim;
      const { f, rows } = openAndLoad(dim); // rows: least recently used first
      file = f;
      const restored = f.graphsClean() ? restoreGraphs(rows) : new Set<string>();
      // From here on the snapshots are stale until the next clean close() rewrites them.
      f.setGraphsClean(false);
      for (const r of rows) {
        if (restored.has(r.ns)) {
          const e = namespaces.get(r.ns)!.entries.get(r.id)!;
          lru.set(keyOf(r.ns, r.id), e);
        } else insert({ ns: r.ns, id: r.id, vector: r.vector, payload: r.payload, expiresAt: r.expiresAt });
      }
      seq = rows.length ? rows[rows.length - 1]!.seq : 0;
      // Expired entries, and the oldest ones if the bound shrank since the last run, go now.
      const now = Date.now();
      for (const r of rows) if (r.expiresAt && r.expiresAt <= now) drop(r.ns, r.id);
      for (const e of lru.values()) {
        if (lru.size <= maxEntries) break;
        drop(e.ns, e.id);
      }
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
      if (file) {
        // Snapshot the HNSW graphs so the next start resumes them instead of rebuilding (minutes at 100k+).
        const dirGraphs = join(opts.dir, 'graphs');
        mkdirSync(dirGraphs, { recursive: true });
        const keep = new Set<string>();
        const labels: { ns: string; id: string; label: number }[] = [];
        for (const [ns, idx] of namespaces) {
          if (!idx.approximate) continue;
          const path = graphPath(ns);
          idx.saveGraph(path);
          keep.add(basename(path));
          for (const e of idx.entries.values()) labels.push({ ns, id: e.id, label: e.label });
        }
        for (const name of readdirSync(dirGraphs)) if (!keep.has(name)) rmSync(join(dirGraphs, name), { force: true });
        file.saveLabels(labels);
        file.setGraphsClean(true);
        file.close();
      }
      namespaces.clear();
      lru.clear();
    },
  };
}
