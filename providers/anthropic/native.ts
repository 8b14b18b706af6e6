/**
 * The same-format path: a request that came in as Anthropic Messages (core/passthrough.ts) goes to an Anthropic
 * target as the client's own body — thinking blocks and signatures, redacted thinking, cache_control, server
 * tools, every parameter — with only the model, `stream` and the guarded texts replaced, under the client's
 * `anthropic-version` and `anthropic-beta`. The answer is decoded into neutral chunks as usual (stages meter and
 * transform those), each carrying the native event it came from, so the Messages ingress relays the upstream's
 * own events.
 */
import type { ChatChunk, ChatRequest, Usage } from '../../src/core/types.js';
import { attachPassthrough, nativeBody, type AnthropicPassthrough } from '../../src/core/passthrough.js';
import { readSse } from '../sse.js';
import type { AbortSignalLike } from '../abort.js';
import { toProviderError, type UpstreamResponse } from '../transport.js';
import { ProviderError, type ChunkStream, type CompletionResult, type Target } from '../types.js';
import { fromAnthropicResponse } from './response.js';
import { createAnthropicChunkDecoder } from './stream.js';

export const isAnthropicNative = (req: ChatRequest): req is ChatRequest & { passthrough: AnthropicPassthrough } =>
  req.passthrough?.format === 'anthropic';

export function nativeRequest(req: ChatRequest & { passthrough: AnthropicPassthrough }, target: Target, stream: boolean, headers: Record<string, string>) {
  const body = nativeBody(req.passthrough, req.messages);
  body.model = target.upstreamModel;
  // A non-streamed request keeps the client's own `stream` (false or absent).
  if (stream) body.stream = true;
  return { body: JSON.stringify(body), headers: { ...headers, ...req.passthrough.headers } };
}

/** A non-streamed native answer: the neutral response, carrying the native message. */
export function fromNativeResponse(provider: string, text: string): CompletionResult {
  const result = fromAnthropicResponse(provider, text);
  attachPassthrough(result.response, { format: 'anthropic', message: JSON.parse(text) as Record<string, unknown> });
  return result;
}

/**
 * A native stream: one neutral chunk per upstream event (events without a neutral meaning give a chunk without
 * choices), each carrying its event. Truncation and error events fail as in anthropicChunkStream.
 */
export function nativeChunkStream(provider: string, res: UpstreamResponse, signal: AbortSignalLike): ChunkStream {
  const decoder = createAnthropicChunkDecoder(provider);
  let template: ChatChunk | undefined;
  async function* iterate(): AsyncGenerator<ChatChunk> {
    try {
      for await (const event of readSse(res.body)) {
        const chunks = decoder.push(event);
        // Without a stop sequence enforced by the gateway (none here: the body goes as sent), an event decodes to
        // at most one chunk.
        const chunk = chunks[0] ?? { ...(template ?? { id: 'chatcmpl-anthropic', object: 'chat.completion.chunk', created: 0, model: '' }), choices: [] };
        template ??= chunks[0] ? { ...chunks[0], choices: [] } : undefined;
        const d = chunk.choices[0]?.delta;
        attachPassthrough(chunk, {
          format: 'anthropic',
          event: event.event,
          data: event.data,
          text: d?.content ?? undefined,
          args: d?.tool_calls?.[0]?.function?.arguments,
        });
        yield chunk as ChatChunk;
        if (decoder.finished) break;
      }
    } catch (err) {
      throw toProviderError(err, { timedOut: res.timedOut(), clientAborted: signal.aborted, provider });
    } finally {
      res.release(decoder.finished);
    }
    if (!decoder.finished) throw new ProviderError('network', 'The upstream stream ended before it was complete.', { provider });
  }
  return { [Symbol.asyncIterator]: iterate, usage: (): Usage | undefined => decoder.usage() };
}
