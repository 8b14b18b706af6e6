import { readSse, type SseEvent } from '../sse.js';
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
 *
 * A plain iterator rather than an async generator over `readSse`: a generator adds a frame, an implicit await
 * of every `yield` and several microtask turns per chunk, on the path of every streamed token (issue 22). Same
 * contract: an error is mapped by `toProviderError`, the body is released once (drained after `[DONE]`,
 * destroyed otherwise), and after the end, an error or `return()` the iterator is done.
 */
export function openAIChunkStream(provider: string, res: UpstreamResponse, signal: AbortSignalLike): ChunkStream {
  let usage: Usage | undefined;
  function iterate(): AsyncIterator<OpenAIChunk> {
    let events: AsyncIterator<SseEvent> | undefined;
    let over = false;
    const close = (complete: boolean) => {
      over = true;
      void events?.return?.();
      res.release(complete);
    };
    const fail = (err: unknown): never => {
      const mapped = toProviderError(err, { timedOut: res.timedOut(), clientAborted: signal.aborted, provider });
      close(false);
      throw mapped;
    };
    const step = (r: IteratorResult<SseEvent>): IteratorResult<OpenAIChunk> => {
      if (over) return DONE; // returned while this read was pending
      if (r.done) {
        close(false);
        throw new ProviderError('network', 'The upstream stream ended before it was complete.', { provider });
      }
      const event = r.value;
      try {
        if (event.data === '[DONE]') {
          close(true);
          return DONE;
        }
        // Some compatible servers report a failure as a named SSE event, its data not always JSON.
        if (event.event === 'error') throw openAIStreamError(provider, errorEventPayload(event.data));
        const chunk = parseUpstreamJson<RawChunk>(provider, event.data, 'stream event', isChunkOrError);
        if (chunk.error) throw openAIStreamError(provider, chunk);
        // A usage-only event some servers send without `choices`: the pipeline and clients expect `[]`.
        chunk.choices ??= [];
        if (chunk.usage) usage = fromOpenAIUsage(chunk.usage);
        return { done: false, value: chunk as OpenAIChunk };
      } catch (err) {
        return fail(err);
      }
    };
    return {
      next() {
        if (over) return Promise.resolve(DONE);
        events ??= readSse(res.body);
        return events.next().then(step, fail);
      },
      return() {
        if (!over) close(false);
        return Promise.resolve(DONE);
      },
    };
  }
  return { [Symbol.asyncIterator]: iterate, usage: () => usage };
}

const DONE: IteratorResult<OpenAIChunk> = Object.freeze({ done: true, value: undefined });
