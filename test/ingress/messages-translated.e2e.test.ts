/**
 * POST /v1/messages to an OpenAI-format target: translated through the neutral request and back into Messages
 * answers and events the Anthropic SDK reads; what such a target cannot carry is refused with a 400 in
 * Anthropic's envelope, never dropped. Errors of every stage come in Anthropic's envelope.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';
import { anthropicClient, fixtureJson, SONNET_PRICE } from './messages-helpers.js';

const MODELS = {
  'claude-sonnet-4-20250514': { provider: 'anthropic', upstream: 'claude-sonnet-4-20250514', price: SONNET_PRICE, contextWindow: 200000 },
};
const CACHED_KEY = 'gw-cached-team-key-0123456789abcdefghijklmnopqr';
const weather = { name: 'weather', description: 'Get the weather', input_schema: { type: 'object' as const, properties: { location: { type: 'string' } }, required: ['location'] } };

describe('POST /v1/messages to an OpenAI target', () => {
  const env = useTestGateway({
    models: MODELS,
    routes: { ha: { strategy: 'ordered', targets: ['gpt-4o-mini', 'claude-haiku-4-5'], retry: { retries: 0 } } },
    teams: { default: { allowedModels: ['*'] }, other: { allowedModels: ['gpt-4o-mini'] }, cached: { allowedModels: ['*'], policy: { cache: { mode: 'on' } } }, broke: { allowedModels: ['*'], budgets: [{ period: 'monthly', usd: '0.000001' }] } },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'broke', team: 'broke', key: 'gw-broke-team-key-0123456789abcdefghijklmnopq' },
      { id: 'cached', team: 'cached', key: CACHED_KEY },
    ],
  });
  const lastLog = () => env.gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;

  it('answers messages.create with a Message translated from the chat completion', async () => {
    const msg = await anthropicClient(env.gw).messages.create({ model: 'gpt-4o-mini', max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hi' }] });
    expect(msg).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
    expect(msg.content[0].type === 'text' && msg.content[0].text).toContain('Say hi');
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    const up = env.upstream.requests.at(-1)!;
    expect(up.path).toBe('/v1/chat/completions');
    expect(up.body.messages).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hi' }]);
    expect(up.body.max_completion_tokens).toBe(200);
    expect(lastLog()).toMatchObject({ api: 'messages', provider: 'openai', status: 200 });
  });

  it('streams tool use the SDK assembles, then takes the tool result back', async () => {
    const client = anthropicClient(env.gw);
    const stream = client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 200, tools: [weather], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'Weather in Florence?' }] });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const call = final.content.find((b) => b.type === 'tool_use');
    expect(call?.type === 'tool_use' && call.name).toBe('weather');
    expect(call?.type === 'tool_use' && typeof call.input).toBe('object');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const next = await client.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 200,
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather in Florence?' },
        { role: 'assistant', content: final.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: (call as { id: string }).id, content: '40 C' }] },
      ],
    });
    expect(next.stop_reason).toBe('end_turn');
    const up = env.upstream.requests.at(-1)!.body;
    expect(up.messages[1].tool_calls[0].id).toBe((call as { id: string }).id);
    expect(up.messages[2]).toEqual({ role: 'tool', tool_call_id: (call as { id: string }).id, content: '40 C' });
  });

  it('refuses thinking history and thinking config for an OpenAI target with a 400 naming the field', async () => {
    const request = fixtureJson('thinking_replay_after_tool_result.request.json');
    const before = env.upstream.requests.length;
    const err = await anthropicClient(env.gw).messages.create({ ...request, model: 'gpt-4o-mini', stream: false }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(err.error.error.message).toMatch(/thinking.*only supported on anthropic models/);
    expect(env.upstream.requests.length).toBe(before);
  });

  it('answers errors in Anthropic\'s envelope: bad key, invalid body, unknown model, budget refusal', async () => {
    const bad = await anthropicClient(env.gw, 'gw-not-a-key').messages.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(bad).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(bad.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });

    const res = await fetch(`${env.gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } });

    const notJson = await fetch(`${env.gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY }, body: '{"model":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });

    const unknown = await anthropicClient(env.gw).messages.create({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);

    const broke = await anthropicClient(env.gw, 'gw-broke-team-key-0123456789abcdefghijklmnopq')
      .messages.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    expect(broke).toBeInstanceOf(Anthropic.RateLimitError);
    expect(broke.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('answers count_tokens', async () => {
    const r = await anthropicClient(env.gw).messages.countTokens({ model: 'claude-sonnet-4-20250514', system: 'You are terse.', messages: [{ role: 'user', content: 'How many tokens is this sentence?' }] });
    expect(r.input_tokens).toBeGreaterThan(8);
    expect(r.input_tokens).toBeLessThan(40);
  });

  it('refuses an anthropic-version that is not a date, and ends a stream that fails midway with an error event', async () => {
    const res = await fetch(`${env.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY, 'anthropic-version': 'latest' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/anthropic-version/);

    env.upstream.enqueue({ resetAfterEvents: 3 });
    const cut = await fetch(`${env.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'a fairly long answer please' }] }),
    });
    const text = await cut.text();
    expect(text.startsWith('event: message_start')).toBe(true);
    const last = text.trim().split('\n\n').at(-1)!;
    expect(last.split('\n')[0]).toBe('event: error');
    expect(JSON.parse(last.split('\n')[1].slice(6))).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('fails over from an OpenAI target to an Anthropic one, which gets the client\'s body as sent', async () => {
    env.upstream.enqueue({ status: 503 });
    const request = { model: 'ha', max_tokens: 50, messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hello', cache_control: { type: 'ephemeral' as const } }] }] };
    const msg = await anthropicClient(env.gw).messages.create(request);
    expect(msg.type).toBe('message');
    const [first, second] = env.upstream.requests.slice(-2);
    expect(first.path).toBe('/v1/chat/completions');
    expect(second.path).toBe('/v1/messages');
    expect(second.body).toEqual({ ...request, model: 'claude-haiku-4-5' });
  });

  it('answers a repeat from the response cache in Anthropic\'s format', async () => {
    const client = anthropicClient(env.gw, CACHED_KEY);
    const request = { model: 'gpt-4o-mini', max_tokens: 50, temperature: 0, messages: [{ role: 'user' as const, content: 'cache this answer' }] };
    const first = await client.messages.create(request);
    await new Promise((r) => setTimeout(r, 100));
    const before = env.upstream.requests.length;
    const { data, response } = await client.messages.create(request).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    expect(env.upstream.requests.length).toBe(before);
    expect(data.content).toEqual(first.content);
    const streamed = await client.messages.stream(request).finalMessage();
    expect(streamed.content).toEqual(first.content);
  });

  it('translates images, tool errors and cache_control marks, and refuses server tools naming them', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await anthropicClient(env.gw).messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 50,
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { location: 'Rome' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'service down', is_error: true },
            { type: 'text', text: 'And this picture?', cache_control: { type: 'ephemeral' } },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
          ],
        },
      ],
    });
    const up = env.upstream.requests.at(-1)!.body;
    expect(up.messages[2]).toEqual({ role: 'tool', tool_call_id: 'toolu_1', content: [{ type: 'text', text: 'Error:' }, { type: 'text', text: 'service down' }] });
    expect(up.messages[3]).toEqual({ role: 'user', content: [{ type: 'text', text: 'And this picture?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] });

    const before = env.upstream.requests.length;
    const server = await anthropicClient(env.gw)
      .messages.create({ model: 'gpt-4o-mini', max_tokens: 50, tools: [{ type: 'web_search_20250305', name: 'web_search' } as never], messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    expect(server).toBeInstanceOf(Anthropic.BadRequestError);
    expect(server.error.error.message).toMatch(/Server tools \('web_search_20250305'\) are only supported on anthropic models/);
    expect(env.upstream.requests.length).toBe(before);
  });
});
