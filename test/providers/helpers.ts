/**
 * Helpers for the provider tests: neutral requests from OpenAI bodies, adapter configs pointing at the fake
 * upstream, draining streams, and an in-memory UpstreamResponse to feed stream decoders byte splits directly.
 */
import { Readable } from 'node:stream';
import type { ChatRequest, OpenAIChatBody } from '../../src/core/types.js';
import type { UpstreamResponse } from '../../providers/transport.js';
import type { ChunkStream, ProviderConfig, ProviderKind, ProviderTimeouts } from '../../providers/types.js';
import type { ChatChunk } from '../../src/core/types.js';

/** What the gateway's normaliser produces for a valid body (frozen, derived facts filled in). */
export function chatRequest(body: Record<string, unknown>): ChatRequest {
  const b = body as OpenAIChatBody;
  const max = (b.max_completion_tokens ?? b.max_tokens) as number | undefined;
  return Object.freeze({
    model: String(b.model),
    messages: b.messages,
    stream: b.stream === true,
    includeUsage: (b.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
    ...(typeof max === 'number' ? { maxOutputTokens: max } : {}),
    n: typeof b.n === 'number' ? b.n : 1,
    body: b,
  });
}

export const FAST_TIMEOUTS: ProviderTimeouts = { connectMs: 1000, firstByteMs: 5000, idleMs: 5000, totalMs: 10_000 };

export function providerConfig(kind: ProviderKind, baseUrl: string, timeouts: Partial<ProviderTimeouts> = {}): ProviderConfig {
  return {
    name: `${kind}-test`,
    kind,
    baseUrl,
    apiKey: kind === 'openai' ? 'sk-test-openai-0123456789' : 'sk-ant-test-0123456789',
    headers: {},
    timeouts: { ...FAST_TIMEOUTS, ...timeouts },
    maxConnections: 8,
  };
}

export async function drain(stream: ChunkStream): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

/** Content text and reassembled tool calls (by index) of a chunk sequence, as an SDK accumulator would. */
export function accumulate(chunks: ChatChunk[]) {
  let content = '';
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  const finish: (string | null)[] = [];
  for (const c of chunks) {
    for (const ch of c.choices) {
      if (ch.delta.content) content += ch.delta.content;
      for (const t of ch.delta.tool_calls ?? []) {
        const call = (calls[t.index] ??= { arguments: '' });
        if (t.id) call.id = t.id;
        if (t.function?.name) call.name = t.function.name;
        call.arguments += t.function?.arguments ?? '';
      }
      if (ch.finish_reason) finish.push(ch.finish_reason);
    }
  }
  return { content, calls, finish };
}

/** An UpstreamResponse whose body yields exactly these pieces (to test decoders on chosen byte splits). */
export function memoryResponse(pieces: Uint8Array[]): UpstreamResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    body: Readable.from(pieces, { objectMode: false }) as unknown as UpstreamResponse['body'],
    done: () => {},
    release: () => {},
    timedOut: () => false,
  };
}
