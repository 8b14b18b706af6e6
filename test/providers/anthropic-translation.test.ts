import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropicAdapter } from '../../providers/anthropic/index.js';
import { ProviderError, type ProviderAdapter } from '../../providers/types.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { validateChunk, validateResponse } from '../fakes/openai-schemas.js';
import { accumulate, chatRequest, drain, providerConfig } from './helpers.js';
import { fromShared } from '../../src/paths.js';

const SSE = fromShared('fixtures/sse/anthropic');
const target = { provider: 'anthropic-test', upstreamModel: 'claude-haiku-4-5' };
const signal = () => new AbortController().signal;

describe('anthropic adapter: translation seen by the upstream and by the client', () => {
  let fake: FakeUpstream;
  let adapter: ProviderAdapter;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    adapter = createAnthropicAdapter(providerConfig('anthropic', fake.anthropicBaseUrl));
  });
  afterAll(async () => {
    await adapter.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());
  const sent = () => fake.requests[fake.requests.length - 1].body;

  it('hoists system/developer messages, merges turns, sends parallel tool calls and their results in order', async () => {
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
      { role: 'user', content: 'Weather in Paris and the time in Tokyo?' },
      { role: 'user', content: 'Quickly please.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Asia/Tokyo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '18C and sunny' },
      { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: '21:04' }] },
    ];
    const { response } = await adapter.complete(chatRequest({ model: 'claude', messages }), target, signal());
    const body = sent();
    expect(body.system).toBe('You are terse.\n\nUse metric units.');
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and the time in Tokyo?' }, { type: 'text', text: 'Quickly please.' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_b', name: 'get_time', input: { zone: 'Asia/Tokyo' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_a', content: '18C and sunny' },
          { type: 'tool_result', tool_use_id: 'call_b', content: '21:04' },
        ],
      },
    ]);
    // the fake validates alternation and tool_use/tool_result pairing, then echoes the results
    expect(response.choices[0].message.content).toBe('Hello from claude-haiku-4-5: 18C and sunny 21:04');
  });

  it('translates images, tools, tool_choice, stop, sampling, max tokens, user and response_format', async () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const tools = [{ type: 'function', function: { name: 'lookup', description: 'Find a thing', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    await adapter.complete(
      chatRequest({
        model: 'claude',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: png } }, { type: 'image_url', image_url: { url: 'https://example.com/a.webp' } }, { type: 'text', text: 'hi' }] }],
        tools,
        tool_choice: 'required',
        parallel_tool_calls: false,
        stop: ['END', '  '],
        temperature: 1.6,
        top_p: 0.5,
        max_completion_tokens: 77,
        max_tokens: 99,
        user: 'user-42',
        response_format: { type: 'json_object' },
        seed: 7,
      }),
      target,
      signal(),
    );
    const body = sent();
    expect(body.messages[0].content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.webp' } },
      { type: 'text', text: 'hi' },
    ]);
    expect(body.tools).toEqual([{ name: 'lookup', description: 'Find a thing', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }]);
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(body.stop_sequences).toEqual(['END']);
    expect(body.temperature).toBe(1); // OpenAI's 0..2 clamped to Anthropic's 0..1
    expect(body.top_p).toBeUndefined(); // not both: recent Claude models reject the pair
    expect(body.max_tokens).toBe(77);
    expect(body.metadata).toEqual({ user_id: 'user-42' });
    expect(body.system).toMatch(/JSON object/);
    expect(body.seed).toBeUndefined();

    const choices: [unknown, unknown][] = [
      ['auto', { type: 'auto' }],
      ['none', { type: 'none' }],
      [{ type: 'function', function: { name: 'lookup' } }, { type: 'tool', name: 'lookup' }],
    ];
    for (const [openai, anthropic] of choices) {
      await adapter.complete(chatRequest({ model: 'c', messages: [{ role: 'user', content: 'x' }], tools, tool_choice: openai }), target, signal());
      expect(sent().tool_choice).toEqual(anthropic);
    }
  });

  it('defaults max_tokens, maps strict json_schema to output_config and drops sampling for models that reject it', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    const msg = [{ role: 'user', content: 'x' }];
    await adapter.complete(chatRequest({ model: 'c', messages: msg, response_format: { type: 'json_schema', json_schema: { name: 's', strict: true, schema } } }), target, signal());
    expect(sent().max_tokens).toBe(4096);
    expect(sent().output_config).toEqual({ format: { type: 'json_schema', schema } });
    await adapter.complete(chatRequest({ model: 'c', messages: msg, response_format: { type: 'json_schema', json_schema: { name: 's', schema } } }), target, signal());
    expect(sent().output_config).toBeUndefined();
    expect(sent().system).toContain(JSON.stringify(schema));

    const custom = createAnthropicAdapter(providerConfig('anthropic', `${fake.anthropicBaseUrl}/v1`), { defaultMaxTokens: 1234 });
    try {
      await custom.complete(chatRequest({ model: 'c', messages: msg, temperature: 0.2 }), { provider: 'a', upstreamModel: 'claude-opus-4-7' }, signal());
      expect(fake.requests.at(-1)?.path).toBe('/v1/messages'); // a base URL ending in /v1 is accepted too
      expect(sent().max_tokens).toBe(1234);
      expect(sent().temperature).toBeUndefined();
    } finally {
      await custom.close();
    }
  });

  it('rejects n > 1 and untranslatable content before calling the upstream', async () => {
    const msg = [{ role: 'user', content: 'x' }];
    const err = await adapter.complete(chatRequest({ model: 'c', messages: msg, n: 2 }), target, signal()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ errorClass: 'bad_request', message: 'n > 1 is not supported by anthropic models' });
    expect(err.status).toBe(400);
    const bmp = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AAAA' } }] }];
    const err2 = await adapter.complete(chatRequest({ model: 'c', messages: bmp }), target, signal()).catch((e) => e);
    expect(err2).toMatchObject({ errorClass: 'bad_request', opts: { param: 'messages[0].content[0].image_url.url' } });
    expect(fake.requests).toHaveLength(0);
  });

  it('maps stop reasons of real transcripts: tool use, refusal, max_tokens mid tool call', async () => {
    const cases: [string, string, (acc: ReturnType<typeof accumulate>) => void][] = [
      ['tool_use_input_json_delta.sse', 'tool_calls', (acc) => {
        expect(acc.content).toBe("I'll check the current weather in Paris for you.");
        expect(acc.calls).toEqual([{ id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', name: 'get_weather', arguments: '{"location": "Paris"}' }]);
      }],
      ['refusal_stop_details.sse', 'content_filter', (acc) => expect(acc.content).toBe('')],
      ['tool_use_truncated_max_tokens_trailing_ws.sse', 'length', (acc) => expect(acc.calls[0].arguments.startsWith('{"filename": "taxes.txt"')).toBe(true)],
    ];
    for (const [file, finish, check] of cases) {
      fake.enqueue({ sse: readFileSync(`${SSE}/${file}`, 'utf8'), chunkDelayMs: 1 });
      const stream = await adapter.stream(chatRequest({ model: 'c', stream: true, messages: [{ role: 'user', content: 'x' }] }), target, signal());
      const chunks = await drain(stream);
      chunks.forEach(validateChunk);
      const acc = accumulate(chunks);
      expect(acc.finish).toEqual([finish]);
      check(acc);
    }
  });

  it('counts usage once: message_delta totals replace message_start figures, cache reads/writes included', async () => {
    const start = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 100, cache_read_input_tokens: 50, cache_creation_input_tokens: 10, output_tokens: 1 } } };
    const events = [
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 12 } },
      { type: 'message_delta', delta: { stop_reason: null, stop_sequence: null }, usage: { input_tokens: 100, cache_read_input_tokens: 50, cache_creation_input_tokens: 10, output_tokens: 30 } },
      { type: 'message_stop' },
    ];
    fake.enqueue({ sse: events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('') });
    const stream = await adapter.stream(chatRequest({ model: 'c', stream: true, messages: [{ role: 'user', content: 'x' }] }), target, signal());
    const chunks = await drain(stream);
    expect(chunks.at(-1)).toMatchObject({ id: 'chatcmpl-msg_1', choices: [], usage: { prompt_tokens: 160, completion_tokens: 30, total_tokens: 190, prompt_tokens_details: { cached_tokens: 50 } } });
    expect(stream.usage()).toEqual({ promptTokens: 160, completionTokens: 30, cachedTokens: 50, cacheWriteTokens: 10, estimated: false });

    const message = { ...start.message, content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], stop_reason: 'stop_sequence', stop_sequence: 'END', usage: { ...start.message.usage, output_tokens: 7 } };
    fake.enqueue({ json: message });
    const { response, usage } = await adapter.complete(chatRequest({ model: 'c', messages: [{ role: 'user', content: 'x' }] }), target, signal());
    validateResponse(response);
    expect(response).toMatchObject({ id: 'chatcmpl-msg_1', object: 'chat.completion', model: 'claude-haiku-4-5', system_fingerprint: expect.any(String) });
    expect(response.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'ab', refusal: null }, finish_reason: 'stop', logprobs: null });
    expect(response.usage).toEqual({
      prompt_tokens: 160,
      completion_tokens: 7,
      total_tokens: 167,
      prompt_tokens_details: { cached_tokens: 50, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
    expect(usage.cacheWriteTokens).toBe(10);
  });
});
