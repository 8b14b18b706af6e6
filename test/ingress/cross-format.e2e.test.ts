/**
 * Cross-format pairs on recorded transcripts, both ways: Responses clients on Anthropic targets (recorded
 * Messages streams: thinking with signatures, parallel tool use, prompt-cache usage) and Messages clients on
 * OpenAI targets (recorded chat completion streams: parallel tool calls, length cut, refusal), through the SDKs,
 * every Responses event validated against the official schema.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';
import { anthropicClient, fixture, sseEvents } from './messages-helpers.js';
import { validateStreamEvent } from './responses-schemas.js';

const openaiFixture = (f: string) => readFileSync(`/work/shared/fixtures/sse/openai/${f}`, 'utf8');
const tool = (name: string) => ({ type: 'function' as const, name, parameters: { type: 'object', properties: { location: { type: 'string' } } }, strict: false });

describe('cross-format pairs on recorded transcripts', () => {
  const env = useTestGateway();
  const lastLog = () => env.gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
  const responses = async (body: Record<string, unknown>) => {
    const res = await fetch(`${env.gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` }, body: JSON.stringify({ stream: true, ...body }) });
    return sseEvents(await res.text()).map((e) => JSON.parse(e.data));
  };

  it('Responses ← Anthropic thinking + tool_use stream: a valid event sequence with the function call and its usage', async () => {
    const raw = fixture('thinking_signature_tool_use.sse');
    env.upstream.enqueue({ sse: raw });
    const events = await responses({ model: 'claude-haiku-4-5', input: 'Weather in Florence?', tools: [tool('weather')] });
    for (const e of events) validateStreamEvent(e);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const done = events.at(-1);
    expect(done.type).toBe('response.completed');
    const call = done.response.output.find((o: { type: string }) => o.type === 'function_call');
    expect(call).toMatchObject({ name: 'weather', status: 'completed' });
    expect(JSON.parse(call.arguments)).toBeTypeOf('object');
    const delta = JSON.parse(sseEvents(raw).find((e) => e.event === 'message_delta')!.data).usage;
    expect(done.response.usage.output_tokens).toBe(delta.output_tokens);
    expect(lastLog()).toMatchObject({ api: 'responses', provider: 'anthropic', status: 200 });
  });

  it('Responses ← Anthropic parallel tool use after text: one message item, then two function calls', async () => {
    env.upstream.enqueue({ sse: fixture('parallel_tool_use_text_first.sse') });
    const events = await responses({ model: 'claude-haiku-4-5', input: 'Weather and time?', tools: [tool('get_weather'), tool('get_time')] });
    for (const e of events) validateStreamEvent(e);
    const output = events.at(-1).response.output;
    expect(output[0].type).toBe('message');
    expect(output.filter((o: { type: string }) => o.type === 'function_call').length).toBeGreaterThanOrEqual(2);
  });

  it('Responses ← Anthropic prompt-cache stream: cached tokens reported and billed', async () => {
    const raw = fixture('prompt_cache_code_execution.sse');
    env.upstream.enqueue({ sse: raw });
    const events = await responses({ model: 'claude-haiku-4-5', input: 'Run it' });
    const usage = events.at(-1).response.usage;
    const delta = JSON.parse(sseEvents(raw).find((e) => e.event === 'message_delta')!.data).usage;
    expect(usage.input_tokens_details.cached_tokens).toBe(delta.cache_read_input_tokens);
    expect(usage.input_tokens).toBe(delta.input_tokens + delta.cache_read_input_tokens + delta.cache_creation_input_tokens);
    expect(lastLog().tokens.cached).toBe(delta.cache_read_input_tokens);
  });

  it('Messages ← OpenAI parallel tool calls stream: tool_use blocks the SDK assembles', async () => {
    env.upstream.enqueue({ sse: openaiFixture('tool_calls_parallel_two_tools_usage.sse') });
    const final = await anthropicClient(env.gw)
      .messages.stream({ model: 'gpt-4o-mini', max_tokens: 500, tools: [{ name: 'get_weather', input_schema: { type: 'object' } }, { name: 'get_time', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'Weather and time?' }] })
      .finalMessage();
    const calls = final.content.filter((b) => b.type === 'tool_use');
    expect(calls.length).toBe(2);
    for (const c of calls) expect(c.type === 'tool_use' && typeof c.input).toBe('object');
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('Messages ← OpenAI length cut and refusal streams: max_tokens and refusal stop reasons', async () => {
    env.upstream.enqueue({ sse: openaiFixture('finish_length_max_tokens_usage.sse') });
    const cut = await anthropicClient(env.gw).messages.stream({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'Tell a story' }] }).finalMessage();
    expect(cut.stop_reason).toBe('max_tokens');
    env.upstream.enqueue({ sse: openaiFixture('refusal_deltas_usage.sse') });
    const refused = await anthropicClient(env.gw).messages.stream({ model: 'gpt-4o-mini', max_tokens: 200, messages: [{ role: 'user', content: 'Something bad' }] }).finalMessage();
    expect(refused.content[0].type === 'text' && refused.content[0].text.length).toBeGreaterThan(0);
  });
});
