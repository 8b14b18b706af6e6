/**
 * Stage 5: the response cache. An exact layer (StateStore, hash of the canonical request) answers repeats; a
 * semantic layer (embedding of the last user turn, nearest neighbour inside the request's namespace) answers
 * paraphrases. Shadow mode computes both and logs what would have been served without serving it.
 */
import type { EffectiveCache } from '../config/policy.js';
import type { ChatRequest, ChatResponse } from '../core/types.js';
import type { Embedder } from '../embeddings/embedder.js';
import type { StateStore } from '../state/state-store.js';
import type { VectorHit, VectorStore } from '../vector/vector-store.js';
import { cacheKey, type CacheKey } from './cache-key.js';

export type CacheResult =
  | { status: 'bypass'; reason: string; key?: CacheKey; write: boolean }
  | { status: 'hit'; response: ChatResponse; layer: 'exact' | 'semantic'; similarity?: number }
  | { status: 'miss'; key: CacheKey; vector?: Float32Array; shadow?: { layer: 'exact' | 'semantic'; similarity?: number } };

/** Lives as long as the runtime. Never throws: a cache failure is a miss (logged by the caller's log line). */
export interface ResponseCache {
  lookup(req: ChatRequest, policy: EffectiveCache, scope: string, model: string, headers: Record<string, string | string[] | undefined>): Promise<CacheResult>;
  /** Stores an answer after a miss (or a `no-cache` bypass) when it is cacheable. */
  write(result: CacheResult, response: ChatResponse, policy: EffectiveCache): Promise<void>;
}

export interface ResponseCacheDeps {
  store: StateStore;
  vectors?: VectorStore;
  /** The embedder once it is ready; null while loading or when none is reachable (semantic layer off). */
  embedder: () => Embedder | null;
}

const ENTRY = 'cache:';

export function createResponseCache(deps: ResponseCacheDeps): ResponseCache {
  const vectorNs = (e: Embedder, key: CacheKey) => `${e.id}|${key.namespace}`;

  async function embed(text: string): Promise<{ embedder: Embedder; vector: Float32Array } | undefined> {
    const embedder = deps.embedder();
    if (!embedder || !deps.vectors) return undefined;
    const [vector] = await embedder.embed([text]);
    return { embedder, vector };
  }

  return {
    async lookup(req, policy, scope, model, headers) {
      const cc = String(headers['cache-control'] ?? '').toLowerCase();
      const key = cacheKey(req, scope, model);
      if (/\bno-store\b/.test(cc)) return { status: 'bypass', reason: 'no-store', write: false };
      const temperature = typeof req.body.temperature === 'number' ? req.body.temperature : 1;
      if (temperature > policy.maxTemperature) return { status: 'bypass', reason: 'temperature', write: false };
      // Log probabilities describe one sampling, and the stream replay of a stored answer has none to give.
      if (req.body.logprobs === true) return { status: 'bypass', reason: 'logprobs', write: false };
      if (/\bno-cache\b/.test(cc)) return { status: 'bypass', reason: 'no-cache', key, write: true };

      const shadow = policy.mode === 'shadow';
      const exact = await deps.store.cacheGet(ENTRY + key.exact);
      if (exact) {
        if (!shadow) return { status: 'hit', response: JSON.parse(exact), layer: 'exact', similarity: 1 };
        return { status: 'miss', key, shadow: { layer: 'exact', similarity: 1 } };
      }
      if (!policy.semantic || !key.queryText) return { status: 'miss', key };
      let embedded: Awaited<ReturnType<typeof embed>>;
      let best: VectorHit | undefined;
      try {
        embedded = await embed(key.queryText);
        if (!embedded) return { status: 'miss', key };
        [best] = await deps.vectors!.search(vectorNs(embedded.embedder, key), embedded.vector, { k: 1, minScore: shadow ? 0 : policy.similarityThreshold });
      } catch {
        // The embedder is restarting or the vector store is down: no semantic answer, but still a miss whose
        // answer the exact layer stores (a thrown lookup would be a bypass that stores nothing).
        return { status: 'miss', key };
      }
      if (best && best.score >= policy.similarityThreshold && !shadow) {
        const stored = await deps.store.cacheGet(ENTRY + String(best.payload.key));
        if (stored) return { status: 'hit', response: JSON.parse(stored), layer: 'semantic', similarity: best.score };
      }
      return {
        status: 'miss',
        key,
        vector: embedded.vector,
        shadow: shadow && best ? { layer: 'semantic', similarity: best.score } : undefined,
      };
    },

    async write(result, response, policy) {
      if (result.status === 'hit' || (result.status === 'bypass' && !result.write) || !result.key) return;
      if (!cacheable(response, policy)) return;
      const ttlMs = policy.ttlSeconds * 1000;
      const { key } = result;
      await deps.store.cacheSet(ENTRY + key.exact, JSON.stringify(response), ttlMs);
      if (!policy.semantic || !key.queryText || !deps.vectors) return;
      const vector = result.status === 'miss' && result.vector ? result.vector : (await embed(key.queryText))?.vector;
      const embedder = deps.embedder();
      if (vector && embedder) await deps.vectors.upsert(vectorNs(embedder, key), key.exact, vector, { key: key.exact }, ttlMs);
    },
  };
}

/**
 * Never cached: empty, truncated or filtered answers (and a streamed one that never said why it finished, whose
 * finish reason is null), and answers with tool calls unless the policy allows them.
 */
function cacheable(response: ChatResponse, policy: EffectiveCache): boolean {
  return response.choices.length > 0 && response.choices.every(
    (c) => (c.finish_reason === 'stop' || (c.finish_reason === 'tool_calls' && policy.cacheToolCalls)) && (policy.cacheToolCalls || !c.message.tool_calls?.length),
  );
}
