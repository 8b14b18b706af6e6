import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAnthropicAdapter } from '../../providers/anthropic/index.js';
import { anthropicChunkStream } from '../../providers/anthropic/stream.js';
import { validateChunk } from '../fakes/openai-schemas.js';
import { runAdapterContract } from './adapter.contract.js';
import { accumulate, drain, memoryResponse } from './helpers.js';
import { fromShared } from '../../src/paths.js';

const SSE = fromShared('fixtures/sse/anthropic');
const text = readFileSync(`${SSE}/text_basic_ping.sse`, 'utf8');
const firstEvents = text.split('\n\n').slice(0, 5).join('\n\n') + '\n\n';

runAdapterContract({
  kind: 'anthropic',
  create: createAnthropicAdapter,
  baseUrl: (fake) => fake.anthropicBaseUrl,
  path: '/v1/messages',
  upstreamModel: 'claude-haiku-4-5-20251001',
  checkAuth: (headers, key) => {
    expect(headers['x-api-key']).toBe(key);
    expect(headers['anthropic-version']).toBe('2023-06-01');
    expect(headers.authorization).toBeUndefined();
  },
  errorBody: (status, message) => ({
    type: 'error',
    error: { type: { 401: 'authentication_error', 404: 'not_found_error', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' }[status] ?? 'invalid_request_error', message },
  }),
  contextLengthMessage: 'prompt is too long: 210000 tokens > 200000 maximum',
  overloadedMidStream: firstEvents + readFileSync(`${SSE}/error_overloaded.sse`, 'utf8'),
  truncated: firstEvents,
});

describe('anthropic streamed tool calls', () => {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const message = (id: string) =>
    ev('message_start', { message: { id, type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 360, output_tokens: 5 } } });
  const end = ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 30 } }) + ev('message_stop', {});
  const decode = (sse: string) => drain(anthropicChunkStream('anthropic-test', memoryResponse([new TextEncoder().encode(sse)]), new AbortController().signal));

  it('a tool without parameters gets "{}" as its arguments, as OpenAI and the non-streamed answer give them', async () => {
    // The wire shape Anthropic sends for it: `input: {}` at the block's start, then one input_json_delta of "".
    const chunks = await decode(
      message('msg_1') +
        ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_random_number', input: {} } }) +
        ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '' } }) +
        ev('content_block_stop', { index: 0 }) +
        ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} } }) +
        ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"city": ' } }) +
        ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }) +
        ev('content_block_stop', { index: 1 }) +
        end,
    );
    for (const c of chunks) validateChunk(c);
    const { calls, finish } = accumulate(chunks);
    expect(calls).toEqual([
      { id: 'toolu_1', name: 'get_random_number', arguments: '{}' },
      { id: 'toolu_2', name: 'get_weather', arguments: '{"city": "Paris"}' },
    ]);
    expect(finish).toEqual(['tool_calls']);
  });
});
