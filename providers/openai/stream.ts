import { readSse } from '../sse.js';
import type { AbortSignalLike } from '../abort.js';
import { toProviderError, type UpstreamResponse } from '../transport.js';
import { ProviderError, type ChunkStream } from '../types.js';
import type { Usage } from '../../src/core/types.js';
import { openAIStreamError } from './errors.js';
import { fromOpenAIUsage } from './usage.js';
import type { OpenAIChunk } from './wire.js';
import { parseUpstreamJson } from '../upstream-json.js';

/** A stream event as sent: a chunk, possibly without `choices` (usage-only), or an `{"error":…}` event. */
type RawChunk = Omit<OpenAIChunk, 'choices'> & { choices?: OpenAIChunk['choices'] | null; error?: unknown };

/**
 * Anything else (no `choices`, no usage, no error; or not an object) is not a chunk: the upstream's fault, a
 * retryable `server` error, rather than a TypeError further down the pipeline (a 500 "gateway bug").
 */
const isChunkOrError = (c: RawChunk): boolean =>
  c !== null && typeof c === 'object' && (Array.isArray(c.choices) || (c.choices == null && (c.usage != null || c.error != null)));

function errorEventPayload(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return {}; // a plain-text message: never shown to clients for a server-side failure
  }
}

/**
 * Decodes an OpenAI SSE body into chunks. A stream that ends without `data: [DONE]` is a truncation and
 * fails (so the client gets an error frame, never a clean end on a cut answer).
 */
export function openAIChunkStream(provider: string, res: UpstreamResponse, signal: AbortSignalLike): ChunkStream {
  let usage: Usage | undefined;
  async function* iterate(): AsyncGenerator<OpenAIChunk> {
    let finished = false;
    try {
      for await (const event of readSse(res.body)) {
        if (event.data === '[DONE]') {
          finished = true;
          break;
        }
        // Some compatible servers report a failure as a named SSE event, its data not always JSON.
        if (event.event === 'error') throw openAIStreamError(provider, errorEventPayload(event.data));
        const chunk = parseUpstreamJson<RawChunk>(provider, event.data, 'stream event', isChunkOrError);
        if (chunk.error) throw openAIStreamError(provider, chunk);
        // A usage-only event some servers send without `choices`: the pipeline and clients expect `[]`.
        chunk.choices ??= [];
        if (chunk.usage) usage = fromOpenAIUsage(chunk.usage);
        yield chunk as OpenAIChunk;
      }
    } catch (err) {
      throw toProviderError(err, { timedOut: res.timedOut(), clientAborted: signal.aborted, provider });
    } finally {
      res.release(finished);
    }
    if (!finished) throw new ProviderError('network', 'The upstream stream ended before it was complete.', { provider });
  }
  return { [Symbol.asyncIterator]: iterate, usage: () => usage };
}
