/**
 * Semantic routing: each rule is described by example utterances; a prompt goes to the rule whose closest
 * example is most similar (cosine), if that similarity reaches the threshold. Rule examples are embedded once,
 * when the route is built; each request costs one embedding and a dot product per example.
 */
import type { Embedder } from '../embeddings/embedder.js';

/** The outcome of matching one prompt: the winning rule, or -1 (use the route's default targets). */
export interface SemanticMatch {
  rule: number;
  /** Best similarity seen (for the log line); NaN when nothing was compared. */
  similarity: number;
  /** Why no rule was picked, when none was. */
  reason?: 'below_threshold' | 'no_embedder' | 'not_ready' | 'embed_failed' | 'empty_prompt';
}

/**
 * Matches prompts against rules. Lifetime: the catalog's. `match` never rejects and never waits for start-up:
 * until the embedder is loaded and the examples embedded, or after any embedding failure, it answers "no rule"
 * (the default targets serve), as the design asks of every semantic feature.
 */
export interface SemanticRules {
  /** Resolves once the examples are embedded (or that failed, or there is no embedder). */
  readonly ready: Promise<void>;
  match(text: string): Promise<SemanticMatch>;
}

/** The embedder, or a promise of it (it may load in the background); null/undefined = none. */
export type EmbedderSource = Embedder | null | undefined | Promise<Embedder | null>;

export interface SemanticLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export function createSemanticRules(
  routeName: string,
  rules: readonly { name: string; examples: readonly string[] }[],
  threshold: number,
  embedderSource: EmbedderSource,
  logger?: SemanticLogger,
): SemanticRules {
  /** Example vectors, flattened, with the rule each belongs to; set once embedded. */
  let vectors: Float32Array[] = [];
  let owners: number[] = [];
  let embedder: Embedder | null = null;
  let state: 'loading' | 'ready' | 'off' | 'failed' = 'loading';

  const ready = (async () => {
    const e = await Promise.resolve(embedderSource).catch(() => null);
    if (!e) return void (state = 'off');
    const texts: string[] = [];
    const who: number[] = [];
    rules.forEach((r, i) => r.examples.forEach((e) => (texts.push(e), who.push(i))));
    try {
      vectors = await e.embed(texts);
      owners = who;
      embedder = e;
      state = 'ready';
    } catch (err) {
      state = 'failed';
      logger?.warn({ route: routeName, reason: (err as Error).message }, 'semantic route: could not embed rule examples; default targets will serve');
    }
  })();

  return {
    ready,
    async match(text) {
      if (state !== 'ready' || !embedder) {
        const reason = state === 'loading' ? 'not_ready' : state === 'failed' ? 'embed_failed' : 'no_embedder';
        return { rule: -1, similarity: NaN, reason };
      }
      if (!text.trim()) return { rule: -1, similarity: NaN, reason: 'empty_prompt' };
      let q: Float32Array;
      try {
        [q] = (await embedder.embed([text])) as [Float32Array];
      } catch {
        return { rule: -1, similarity: NaN, reason: 'embed_failed' };
      }
      let best = -1;
      let bestSim = -Infinity;
      for (let i = 0; i < vectors.length; i++) {
        const sim = dot(q, vectors[i]!);
        if (sim > bestSim) {
          bestSim = sim;
          best = owners[i]!;
        }
      }
      if (best < 0 || bestSim < threshold) return { rule: -1, similarity: bestSim, reason: 'below_threshold' };
      return { rule: best, similarity: bestSim };
    },
  };
}

/** Cosine similarity of two L2-normalised vectors. */
function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}
