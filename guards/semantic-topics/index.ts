/**
 * Semantic deny topics: a topic is a name and a few example phrases; a prompt whose embedding is within the
 * threshold (cosine) of any example is on that topic. Example embeddings are computed once per topic list and
 * embedder, then reused. Without an embedder the guard is off (the embedder logged why, once).
 */
import type { Embedder } from '../../src/embeddings/embedder.js';

export interface DenyTopic {
  name: string;
  examples: string[];
}

/** Lives as long as the runtime; caches example embeddings (bounded by the number of distinct topic lists). */
export interface TopicMatcher {
  /** The closest denied topic at or above `threshold`, if any. Rejects only if the embedder fails. */
  match(text: string, topics: readonly DenyTopic[], threshold: number): Promise<{ name: string; similarity: number } | undefined>;
}

export function createTopicMatcher(embedder: () => Embedder | null): TopicMatcher {
  const cache = new Map<string, Promise<{ name: string; vectors: Float32Array[] }[]>>();

  const examplesOf = (e: Embedder, topics: readonly DenyTopic[]) => {
    const key = `${e.id}|${JSON.stringify(topics)}`;
    let entry = cache.get(key);
    if (!entry) {
      entry = (async () => {
        const vectors = await e.embed(topics.flatMap((t) => t.examples));
        let i = 0;
        return topics.map((t) => ({ name: t.name, vectors: t.examples.map(() => vectors[i++]) }));
      })();
      entry.catch(() => cache.delete(key));
      cache.set(key, entry);
    }
    return entry;
  };

  return {
    async match(text, topics, threshold) {
      const e = embedder();
      if (!e || !text.trim() || topics.length === 0) return undefined;
      const [examples, [v]] = await Promise.all([examplesOf(e, topics), e.embed([text])]);
      let best: { name: string; similarity: number } | undefined;
      for (const t of examples) {
        for (const x of t.vectors) {
          const s = dot(v, x);
          if (s >= threshold && (!best || s > best.similarity)) best = { name: t.name, similarity: s };
        }
      }
      return best;
    },
  };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
