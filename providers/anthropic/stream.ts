import { readSse } from '../sse.js';
import type { AbortSignalLike } from '../abort.js';
import { toProviderError, type UpstreamResponse } from '../transport.js';
import { ProviderError, type ChunkStream } from '../types.js';
import type { ChatChunk, Usage } from '../../src/core/types.js';
import { anthropicStreamError } from './errors.js';
import { ANTHROPIC_FINGERPRINT, toFinishReason } from './response.js';
import { fromAnthropicUsage, mergeDeltaUsage, toOpenAIUsage, type AnthropicUsageLike } from './usage.js';
import type { AnthropicErrorBody, AnthropicStreamEvent } from './wire.js';
import { parseUpstreamJson } from '../upstream-json.js';
import { createTextStopper } from './stop.js';

type Delta = ChatChunk['choices'][number]['delta'];

/**
 * Turns Anthropic stream events into OpenAI chunks, one event at a time. Stateful (block index → tool index,
 * usage so far); one decoder per stream. `push` returns the chunks an event produces (often none) and throws
 * ProviderError on an `error` event; `finished` is true once `message_stop` arrived.
 */
export interface AnthropicChunkDecoder {
  push(event: { event?: string; data: string }): ChatChunk[];
  readonly finished: boolean;
  usage(): Usage | undefined;
}

export function createAnthropicChunkDecoder(provider: string, localStops: readonly string[] = []): AnthropicChunkDecoder {
  let id = 'chatcmpl-anthropic';
  let model = '';
  const created = Math.floor(Date.now() / 1000);
  let usage: AnthropicUsageLike | undefined;
  let finished = false;
  // Content block index → its OpenAI tool_calls index, and whether any argument text was sent for it yet.
  const tools = new Map<number, { index: number; sent: boolean }>();
  // Stop sequences Anthropic refuses (whitespace-only) are applied here to the text; see stop.ts.
  const stopper = localStops.length > 0 ? createTextStopper(localStops) : undefined;
  const text = (t: string): ChatChunk[] => {
    const shown = stopper ? stopper.push(t) : t;
    return shown ? [chunk({ content: shown })] : [];
  };

  const chunk = (delta: Delta, finish: ChatChunk['choices'][number]['finish_reason'] = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: ANTHROPIC_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });

  return {
    get finished() {
      return finished;
    },
    usage: () => (usage ? fromAnthropicUsage(usage) : undefined),
    push(raw) {
      const event = parseUpstreamJson<AnthropicStreamEvent | { type: 'error'; error?: AnthropicErrorBody['error'] } | { type: 'ping' }>(
        provider,
        raw.data,
        'stream event',
      );
      switch (event.type) {
        case 'message_start':
          id = `chatcmpl-${event.message.id}`;
          model = event.message.model;
          usage = event.message.usage ?? {};
          return [chunk({ role: 'assistant', content: '' })];
        case 'content_block_start': {
          const block = event.content_block;
          if (block.type === 'text' && block.text) return text(block.text);
          if (block.type !== 'tool_use') return [];
          const index = tools.size;
          // Anthropic announces `input: {}` and streams the arguments as input_json_delta; a non-empty input here
          // is a complete argument object.
          const input = block.input && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
          tools.set(event.index, { index, sent: input !== '' });
          return [chunk({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: input } }] })];
        }
        case 'content_block_stop': {
          // A tool without parameters gets no argument text at all (one input_json_delta of ""), but clients
          // JSON.parse the arguments, as OpenAI and our non-streamed answer give them: "{}".
          const tool = tools.get(event.index);
          if (!tool || tool.sent) return [];
          tool.sent = true;
          return [chunk({ tool_calls: [{ index: tool.index, function: { arguments: '{}' } }] })];
        }
        case 'content_block_delta': {
          const d = event.delta;
          if (d.type === 'text_delta') return d.text ? text(d.text) : [];
          if (d.type === 'input_json_delta') {
            const tool = tools.get(event.index);
            if (tool === undefined || !d.partial_json) return [];
            tool.sent = true;
            return [chunk({ tool_calls: [{ index: tool.index, function: { arguments: d.partial_json } }] })];
          }
          return []; // thinking, signature and citation deltas have no chat-completions equivalent
        }
        case 'message_delta': {
          usage = mergeDeltaUsage(usage ?? {}, event.usage);
          if (!event.delta.stop_reason) return [];
          const rest = stopper?.flush();
          const reason = event.delta.stop_reason;
          const finish = stopper?.stopped && reason !== 'tool_use' ? 'stop' : toFinishReason(reason);
          return [...(rest ? [chunk({ content: rest })] : []), chunk({}, finish)];
        }
        case 'message_stop': {
          finished = true;
          return [{ ...chunk({}), choices: [], usage: toOpenAIUsage(usage ?? {}) }];
        }
        case 'error':
          throw anthropicStreamError(provider, event as AnthropicErrorBody);
        default:
          return []; // ping, and event types added after this adapter was written
      }
    },
  };
}

/**
 * Decodes an Anthropic SSE body into OpenAI chunks. A stream that ends without `message_stop` is a truncation
 * and fails with ProviderError('network'), so the client gets an error frame, never a clean end on a cut answer.
 */
export function anthropicChunkStream(provider: string, res: UpstreamResponse, signal: AbortSignalLike, localStops: readonly string[] = []): ChunkStream {
  const decoder = createAnthropicChunkDecoder(provider, localStops);
  async function* iterate(): AsyncGenerator<ChatChunk> {
    try {
      for await (const event of readSse(res.body)) {
        yield* decoder.push(event);
        if (decoder.finished) break;
      }
    } catch (err) {
      throw toProviderError(err, { timedOut: res.timedOut(), clientAborted: signal.aborted, provider });
    } finally {
      res.release(decoder.finished);
    }
    if (!decoder.finished) throw new ProviderError('network', 'The upstream stream ended before it was complete.', { provider });
  }
  return { [Symbol.asyncIterator]: iterate, usage: () => decoder.usage() };
}
