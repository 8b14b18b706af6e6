/**
 * Provider embedder: the `/embeddings` endpoint of an OpenAI-kind provider, over undici. Vectors are
 * re-normalised here because not every OpenAI-compatible server returns unit vectors.
 */
import { request } from 'undici';
import { l2normalise, type Embedder } from './embedder.js';

export interface ProviderEmbedderOptions {
  /** e.g. `https://api.openai.com/v1` (the `/embeddings` path is appended). */
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Known output width; skips the start-up probe call. Responses of another width are rejected. */
  dimension?: number;
  /**
   * Tokens the model reads of one input (default 128, the shortest common window: set the model's own, e.g.
   * 8191 for OpenAI's text-embedding-3 models). The semantic cache keeps each embedded text within it.
   */
  maxInputTokens?: number;
  /** Per-call timeout (default 10 s). */
  timeoutMs?: number;
  /** Max inputs per HTTP call (default 256). */
  batchSize?: number;
}

interface EmbeddingsResponse {
  data?: { index: number; embedding: number[] }[];
}

export async function createProviderEmbedder(opts: ProviderEmbedderOptions): Promise<Embedder> {
  // `<base path>/embeddings`, keeping a query the base URL carries (Azure-style `?api-version=…`), as the chat
  // transport does.
  const base = new URL(opts.baseUrl);
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}/embeddings${base.search}`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const batchSize = Math.max(1, opts.batchSize ?? 256);
  let closed = false;

  // Never echo the key, even when a server puts the request's Authorization header in its error body.
  const redact = (text: string) => (opts.apiKey ? text.split(opts.apiKey).join('[redacted]') : text);

  const call = async (texts: string[]): Promise<Float32Array[]> => {
    // OpenAI rejects a whole batch ("'$.input' is invalid") when one input is the empty string; a single space is
    // accepted and means as little.
    const input = texts.map((t) => (t === '' ? ' ' : t));
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.apiKey}` },
      body: JSON.stringify({ model: opts.model, input, encoding_format: 'float' }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    // The status and a short excerpt only: the body may echo input, and never the key.
    if (res.statusCode !== 200) throw new Error(`embeddings endpoint answered ${res.statusCode}: ${redact(text).slice(0, 200)}`);
    let body: EmbeddingsResponse;
    try {
      body = JSON.parse(text) as EmbeddingsResponse;
    } catch {
      throw new Error(`embeddings endpoint answered 200 with a body that is not JSON: ${redact(text).slice(0, 200)}`);
    }
    if (!Array.isArray(body.data) || body.data.length !== input.length) {
      throw new Error(`embeddings endpoint returned ${body.data?.length ?? 'no'} vectors for ${input.length} inputs`);
    }
    return [...body.data].sort((a, b) => a.index - b.index).map((d) => {
      // A server that ignores encoding_format answers base64 strings; others may send nulls. Either would become
      // NaN components, which no vector store can compare.
      const e: unknown = d?.embedding;
      if (!Array.isArray(e) || e.length === 0 || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new Error('embeddings endpoint returned an embedding that is not a list of finite numbers');
      }
      return l2normalise(Float32Array.from(e as number[]));
    });
  };

  const dimension = opts.dimension ?? (await call(['probe']))[0]!.length;

  return {
    id: `provider:${opts.model}`,
    dimension,
    maxInputTokens: opts.maxInputTokens ?? 128,
    async embed(texts: string[]): Promise<Float32Array[]> {
      if (closed) throw new Error('embedder is closed');
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await call(texts.slice(i, i + batchSize))));
      for (const v of out) {
        if (v.length !== dimension) throw new Error(`embedding has ${v.length} dimensions, expected ${dimension}`);
      }
      return out;
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
