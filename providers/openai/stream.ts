import { readSse } from '../sse.js';
import type { AbortSignalLike } from '../abort.js';
import { toProviderError, type UpstreamResponse } from '../transport.js';
import { ProviderError, type ChunkStream } from '../types.js';
import type { Usage } from '../../src/core/types.js';
import { openAIStreamError } from './errors.js';
import { fromOpenAIUsage } from './usage.js';
import type { OpenAIChunk } from './wire.js';
import { parseUpstreamJson } from '../upstream-json.js';

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
        const chunk = parseUpstreamJson<OpenAIChunk & { error?: unknown }>(provider, event.data, 'stream event');
        if (chunk.error) throw openAIStreamError(provider, chunk as never);
        if (chunk.usage) usage = fromOpenAIUsage(chunk.usage);
        yield chunk;
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
