/**
 * The nearest-neighbour index of ONE namespace. Each namespace has its own index, so a search can never see
 * another namespace's entries (strict separation by construction, not by a filter that an ANN search might
 * get wrong or make slow: a global HNSW filtered to a rare namespace degrades to scanning the whole graph).
 *
 * Small namespaces (the common case for a cache keyed by team + model + prompt context) use an exact scan,
 * which below ~1k vectors is as fast as HNSW and has perfect recall; a namespace that grows past
 * `flatMax` is promoted to an HNSW graph (hnswlib-node), and demoted again when it shrinks to half of that.
 */
import hnswlib from 'hnswlib-node';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** One stored vector. `vector` is unit length; `expiresAt` is epoch ms, 0 = never. */
export interface IndexedEntry {
  ns: string;
  id: string;
  vector: Float32Array;
  payload: Record<string, unknown>;
  expiresAt: number;
  label: number;
}

export interface ScoredEntry {
  entry: IndexedEntry;
  score: number;
}

/**
 * Mutable per-namespace index. Not thread-safe (single event loop). `search` returns up to `k` entries
 * (expired ones included: the caller filters them, so it can reclaim them), best first, score = cosine.
 */
export interface NamespaceIndex {
  readonly entries: ReadonlyMap<string, IndexedEntry>;
  /** Adds or replaces (same id) an entry. */
  put(entry: Omit<IndexedEntry, 'label'>): IndexedEntry;
  remove(id: string): IndexedEntry | undefined;
  search(query: Float32Array, k: number): ScoredEntry[];
  /** True when the namespace is served by an HNSW graph (for tests and metrics). */
  readonly approximate: boolean;
  /** Writes the HNSW graph to `path` (no-op returning false for an exact-scan namespace). */
  saveGraph(path: string): boolean;
}

/** A saved graph plus the entries (with the labels they had in it) to resume from instead of rebuilding. */
export interface GraphSnapshot {
  path: string;
  entries: IndexedEntry[];
}

export interface HnswParams {
  /** Entries up to which an exact scan is used (default 1024). */
  flatMax: number;
  m: number;
  efConstruction: number;
  efSearch: number;
}

export const DEFAULT_HNSW: HnswParams = { flatMax: 1024, m: 16, efConstruction: 64, efSearch: 96 };

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Creates an index, empty or resumed from a snapshot. Resuming throws if the graph file does not hold exactly the
 * given labels (the caller then rebuilds from its rows).
 */
export function createNamespaceIndex(dimension: number, params: HnswParams = DEFAULT_HNSW, snapshot?: GraphSnapshot): NamespaceIndex {
  const entries = new Map<string, IndexedEntry>();
  const byLabel = new Map<number, IndexedEntry>();
  let nextLabel = 0;
  let graph: Hnsw | undefined;
  let deletedSlots = 0;

  if (snapshot) {
    const g = new HierarchicalNSW('cosine', dimension);
    g.readIndexSync(snapshot.path, true);
    const ids = g.getIdsList(); // every label in the graph, including marked-deleted ones
    const inGraph = new Set(ids);
    if (g.getNumDimensions() !== dimension || !snapshot.entries.every((e) => inGraph.has(e.label))) {
      throw new Error(`graph snapshot ${snapshot.path} does not match its rows`);
    }
    for (const e of snapshot.entries) {
      entries.set(e.id, e);
      byLabel.set(e.label, e);
      nextLabel = Math.max(nextLabel, e.label + 1);
    }
    // Labels without a row are dead slots: make sure they are marked deleted (most already are).
    for (const label of ids) {
      if (byLabel.has(label)) continue;
      nextLabel = Math.max(nextLabel, label + 1);
      try {
        g.markDelete(label);
      } catch {
        // already marked deleted
      }
    }
    deletedSlots = ids.length - snapshot.entries.length;
    graph = g;
  }

  /**
   * Adds a new label, or (`update`) moves an existing label's point in place. An update must not take a deleted
   * slot: hnswlib would then give the label a second node and leave the old one (old vector) live in the graph,
   * so searches near the old vector would still find the entry, and a search could return it twice.
   */
  const graphAdd = (g: Hnsw, e: IndexedEntry, update = false) => {
    if (update) return g.addPoint(Array.from(e.vector), e.label, false);
    if (deletedSlots === 0 && g.getCurrentCount() >= g.getMaxElements()) g.resizeIndex(g.getMaxElements() * 2);
    g.addPoint(Array.from(e.vector), e.label, deletedSlots > 0);
    if (deletedSlots > 0) deletedSlots--;
  };

  const promote = () => {
    const g = new HierarchicalNSW('cosine', dimension);
    g.initIndex({ maxElements: Math.max(2 * entries.size, 2048), m: params.m, efConstruction: params.efConstruction, randomSeed: 42, allowReplaceDeleted: true });
    deletedSlots = 0;
    for (const e of entries.values()) graphAdd(g, e);
    graph = g;
  };

  return {
    entries,
    get approximate() {
      return graph !== undefined;
    },
    saveGraph(path) {
      if (!graph) return false;
      graph.writeIndexSync(path);
      return true;
    },
    put(input) {
      const old = entries.get(input.id);
      // Reusing the label makes hnswlib update the point in place.
      const entry: IndexedEntry = { ...input, label: old ? old.label : nextLabel++ };
      if (old) entries.delete(input.id); // re-insert keeps Map order = recency
      entries.set(entry.id, entry);
      byLabel.set(entry.label, entry);
      if (graph) graphAdd(graph, entry, old !== undefined);
      else if (entries.size > params.flatMax) promote();
      return entry;
    },
    remove(id) {
      const e = entries.get(id);
      if (!e) return undefined;
      entries.delete(id);
      byLabel.delete(e.label);
      if (graph) {
        if (entries.size < params.flatMax / 2) graph = undefined; // native memory is freed with the object
        else {
          graph.markDelete(e.label);
          deletedSlots++;
        }
      }
      return e;
    },
    search(query, k) {
      const want = Math.min(k, entries.size);
      if (want <= 0) return [];
      if (graph) {
        graph.setEf(Math.max(params.efSearch, want));
        const res = graph.searchKnn(Array.from(query), want);
        const out: ScoredEntry[] = [];
        for (let i = 0; i < res.neighbors.length; i++) {
          const e = byLabel.get(res.neighbors[i]!);
          if (e) out.push({ entry: e, score: 1 - res.distances[i]! });
        }
        return out;
      }
      // Exact scan keeping a small sorted top-k.
      const top: ScoredEntry[] = [];
      for (const e of entries.values()) {
        const score = dot(query, e.vector);
        if (top.length === want && score <= top[want - 1]!.score) continue;
        let i = top.length === want ? want - 1 : top.length;
        if (top.length === want) top.pop();
        while (i > 0 && top[i - 1]!.score < score) i--;
        top.splice(i, 0, { entry: e, score });
      }
      return top;
    },
  };
}
