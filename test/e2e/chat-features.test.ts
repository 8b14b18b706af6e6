import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { validateChunk, validateResponse } from '../fakes/openai-schemas.js';
import { useTestGateway } from '../helpers/test-gateway.js';
import { fromShared } from '../../src/paths.js';

const env = useTestGateway();

const tools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'get_time', description: 'Time in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
];

describe.each(['gpt-4o-mini', 'claude-haiku-4-5'])('%s', (model) => {
  it('returns one tool call, then accepts the tool result turn', async () => {
    const client = env.gw.client();
    const first = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [tools[0]],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    validateResponse(first);
    const call = first.choices[0].message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    const second = await client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris?' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' },
      ],
      tools: [tools[0]],
    });
    validateResponse(second);
    expect(second.choices[0].finish_reason).toBe('stop');
    if (model.startsWith('claude')) {
      const sent = env.upstream.requests.at(-1)!.body;
      expect(sent.system).toContain('You are terse.');
      expect(sent.messages.at(-1).content[0]).toMatchObject({ type: 'tool_result', tool_use_id: call.id });
    }
  });

  it('streams parallel tool calls with arguments reassembled from fragments', async () => {
    const stream = await env.gw.client().chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather and time in Oslo' }],
      tools,
      tool_choice: 'required',
      stream: true,
    });
    const calls: Record<number, { name: string; args: string }> = {};
    let finish: string | null = null;
    for await (const chunk of stream) {
      validateChunk(chunk);
      for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { name: '', args: '' };
        calls[tc.index].name += tc.function?.name ?? '';
        calls[tc.index].args += tc.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(Object.values(calls).map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    for (const c of Object.values(calls)) expect(() => JSON.parse(c.args)).not.toThrow();
    expect(finish).toBe('tool_calls');
  });

  it('accepts image input as data URL and https URL', async () => {
    const res = await env.gw.client().chat.completions.create({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'low' } },
          ],
        },
      ],
    });
    validateResponse(res);
    if (model.startsWith('claude')) {
      const content = env.upstream.requests.at(-1)!.body.messages[0].content;
      expect(content[1]).toMatchObject({ type: 'image', source: { type: 'base64', media_type: 'image/png' } });
      expect(content[2]).toMatchObject({ type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } });
    }
  });

  it('passes response_format, stop, seed, temperature and max tokens through', async () => {
    const res = await env.gw.client().chat.completions.create({
      model,
      messages: [{ role: 'developer', content: 'Answer in JSON.' }, { role: 'user', content: 'Give me a city' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema: { type: 'object', properties: { name: { type: 'string' } } } } },
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      seed: 7,
      max_completion_tokens: 50,
      user: 'u-1',
      metadata: { purpose: 'test' },
    });
    validateResponse(res);
    const sent = env.upstream.requests.at(-1)!.body;
    if (model.startsWith('gpt')) {
      expect(sent).toMatchObject({ temperature: 0.2, top_p: 0.9, seed: 7, max_completion_tokens: 50, stop: ['END'] });
      expect(sent.response_format.type).toBe('json_schema');
    } else {
      // Recent Claude models refuse temperature and top_p together: temperature wins (providers/anthropic/request.ts).
      expect(sent).toMatchObject({ max_tokens: 50, stop_sequences: ['END'], temperature: 0.2, metadata: { user_id: 'u-1' } });
    }
  });
});

describe('OpenAI recorded streams replayed through the gateway', () => {
  const dir = fromShared('fixtures/sse/openai');
  it.each(['n3_multiple_choices_usage.sse', 'tool_calls_parallel_two_tools_usage.sse', 'refusal_deltas_usage.sse', 'logprobs_content_usage.sse'])(
    '%s: every chunk reaches the client valid and in order',
    async (file) => {
      env.upstream.enqueue({ sse: readFileSync(`${dir}/${file}`, 'utf8') });
      const stream = await env.gw.client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'replay' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const got: unknown[] = [];
      for await (const chunk of stream) {
        validateChunk(chunk);
        got.push(chunk);
      }
      const expected = readFileSync(`${dir}/${file}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
        .map((l) => JSON.parse(l.slice(6)));
      // The usage chunk carries the request's cost as the gateway's one addition (docs: x-gateway-cost-usd for streams).
      const usageChunk = got.at(-1) as { usage?: Record<string, unknown> };
      expect(usageChunk.usage?.gateway_cost_usd).toMatch(/^\d+\.\d{6}$/);
      delete usageChunk.usage!.gateway_cost_usd;
      expect(got).toEqual(expected);
    },
  );
});
