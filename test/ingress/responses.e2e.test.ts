/**
 * POST /v1/responses with the official OpenAI SDK: relayed as sent to an OpenAI target with the Responses API
 * (recorded transcripts replayed), translated to Anthropic and to a chat-completions-only server (documented event
 * sequence with sequence numbers, validated against the official schemas as VALIDATION.md describes), refusals
 * for what translated targets cannot carry, PII pseudonyms restored in text and function-call argument events.
 */
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { sseEvents } from './messages-helpers.js';
import { validateResponseObject, validateStreamEvent } from './responses-schemas.js';

const DIR = '/work/shared/fixtures/sse/openai-responses';
const raw = (f: string) => readFileSync(`${DIR}/${f}`, 'utf8');
const json = (f: string) => JSON.parse(raw(f));
const PII_KEY = 'gw-pii-team-key-0123456789abcdefghijklmnopqrstu';
const CACHED_KEY = 'gw-cached-team-key-0123456789abcdefghijklmnopqr';

let upstream: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  gw = await startTestGateway(upstream, {
    providers: {
      openai: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-test-openai-secret', timeouts, responsesApi: true },
      compat: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, timeouts },
    },
    models: {
      'gpt-4o-mini-compat': { provider: 'compat', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 },
      'gpt-5': { provider: 'openai', upstream: 'gpt-5', price: { input: '1.25', output: '10', cachedInput: '0.125' }, contextWindow: 400000 },
    },
    teams: { default: { allowedModels: ['*'] }, cached: { allowedModels: ['*'], policy: { cache: { mode: 'on' } } }, pii: { allowedModels: ['*'], policy: { guards: { pii: { enabled: true, defaultAction: 'pseudonymise' } } } } },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'pii', team: 'pii', key: PII_KEY },
      { id: 'cached', team: 'cached', key: CACHED_KEY },
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const lastLog = () => gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
const post = (body: unknown, key = TEST_KEY) =>
  fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });

describe('POST /v1/responses to an OpenAI target with the Responses API', () => {
  it('relays a recorded stream event for event, and bills its usage', async () => {
    const transcript = raw('text_basic_gpt4o_mini.sse');
    upstream.enqueue({ sse: transcript });
    const request = json('text_basic_gpt4o_mini.request.json');
    const res = await post(request);
    expect(res.status).toBe(200);
    expect(sseEvents(await res.text())).toEqual(sseEvents(transcript));
    const up = upstream.requests.at(-1)!;
    expect(up.path).toBe('/v1/responses');
    expect(up.body).toEqual(request);
    expect(lastLog()).toMatchObject({ api: 'responses', provider: 'openai', status: 200, tokens: { prompt: 20, completion: 8 } });
  });

  it('answers responses.create (not streamed) with the upstream Response', async () => {
    const body = json('text_basic_gpt4o_mini.json');
    upstream.enqueue({ json: body });
    const r = await gw.client().responses.create(json('text_basic_gpt4o_mini.nonstream.request.json'));
    expect(r.id).toBe(body.id);
    expect(r.output_text).toBe('Olá!');
  });

  it('gives responses.stream a function call, and forwards previous_response_id and store as sent', async () => {
    upstream.enqueue({ sse: raw('tool_call_single_gpt4o_mini.sse') });
    const request = { ...json('tool_call_single_gpt4o_mini.request.json'), stream: undefined, store: true, previous_response_id: 'resp_prev123' };
    const final = await gw.client().responses.stream(request).finalResponse();
    const call = final.output.find((o) => o.type === 'function_call');
    expect(call?.type === 'function_call' && call.name).toBe('weather');
    expect(JSON.parse((call as { arguments: string }).arguments)).toMatchObject({ location: expect.any(String) });
    expect(upstream.requests.at(-1)!.body).toMatchObject({ store: true, previous_response_id: 'resp_prev123', stream: true });
  });

  it('bills reasoning and cached tokens as the upstream reported them', async () => {
    const transcript = raw('web_search_reasoning_cached_gpt5.sse');
    upstream.enqueue({ sse: transcript });
    const completed = sseEvents(transcript).map((e) => JSON.parse(e.data)).find((e) => e.type === 'response.completed').response.usage;
    const res = await post(json('web_search_reasoning_cached_gpt5.request.json'));
    await res.text();
    expect(lastLog().tokens).toMatchObject({ prompt: completed.input_tokens, completion: completed.output_tokens, cached: completed.input_tokens_details.cached_tokens });
  });
});

describe('POST /v1/responses translated', () => {
  it('to Anthropic: instructions and input become the Messages request; the Response validates', async () => {
    const r = await gw.client().responses.create({ model: 'claude-haiku-4-5', instructions: 'Be brief.', input: 'Say hi', max_output_tokens: 200 });
    const up = upstream.requests.at(-1)!;
    expect(up.path).toBe('/v1/messages');
    expect(up.body).toMatchObject({ system: 'Be brief.', max_tokens: 200, messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hi' }] }] });
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.output_text).toContain('Say hi');
    expect(r.usage!.input_tokens).toBeGreaterThan(0);
    validateResponseObject(r);
  });

  it('streams the documented event sequence with sequence numbers, each event valid, function calls included', async () => {
    const res = await post({
      model: 'claude-haiku-4-5',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Weather in Florence?' }] }],
      tools: [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: { location: { type: 'string' } } }, strict: false }],
      tool_choice: 'required',
      stream: true,
    });
    const events = sseEvents(await res.text()).map((e) => ({ event: e.event, ...JSON.parse(e.data) }));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.every((e) => e.event === e.type)).toBe(true);
    expect(events[0].type).toBe('response.created');
    expect(events[1].type).toBe('response.in_progress');
    expect(events.at(-1)!.type).toBe('response.completed');
    const types = events.map((e) => e.type);
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.function_call_arguments.delta');
    expect(types).toContain('response.function_call_arguments.done');
    for (const { event: _e, ...e } of events) validateStreamEvent(e);
    const done = events.at(-1)!.response;
    expect(done.output.find((o: { type: string }) => o.type === 'function_call')).toMatchObject({ type: 'function_call', name: 'weather', status: 'completed' });
    expect(done.usage.output_tokens).toBeGreaterThan(0);
  });

  it('to a chat-only server: text.format, reasoning effort and function call outputs map to chat completions', async () => {
    const request = { ...json('tool_call_followup_text_gpt4o_mini.request.json'), model: 'gpt-4o-mini-compat', stream: false, text: { format: { type: 'json_schema', name: 'W', schema: { type: 'object', properties: { t: { type: 'string' } } }, strict: true } }, reasoning: { effort: 'low' } };
    const r = await gw.client().responses.create(request);
    const up = upstream.requests.at(-1)!;
    expect(up.path).toBe('/v1/chat/completions');
    expect(up.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'W', schema: request.text.format.schema, strict: true } });
    expect(up.body.reasoning_effort).toBe('low');
    expect(up.body.messages).toEqual([
      { role: 'system', content: 'You are a helpful assistant' },
      { role: 'user', content: [{ type: 'text', text: "What's the weather in Florence,Italy?" }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_4TL7SrUyTg60nSUcfgeWLFXO', type: 'function', function: { name: 'weather', arguments: '{"location":"Florence, Italy"}' } }] },
      { role: 'tool', tool_call_id: 'call_4TL7SrUyTg60nSUcfgeWLFXO', content: '40 C' },
    ]);
    expect(r.status).toBe('completed');
    validateResponseObject(r);
  });

  it('to a chat-only server: input images, user, metadata and parallel_tool_calls map too', async () => {
    await gw.client().responses.create({
      model: 'gpt-4o-mini-compat',
      store: false,
      user: 'u-1',
      metadata: { app: 'x' },
      parallel_tool_calls: false,
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} }, strict: false }],
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' }] }],
    });
    const up = upstream.requests.at(-1)!.body;
    expect(up.messages[0].content[1]).toEqual({ type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } });
    expect(up).toMatchObject({ user: 'u-1', metadata: { app: 'x' }, parallel_tool_calls: false });
  });

  it('responses.stream through the SDK assembles the translated text', async () => {
    const final = await gw.client().responses.stream({ model: 'gpt-4o-mini-compat', input: 'Stream this please', store: false }).finalResponse();
    expect(final.output_text).toContain('Stream this please');
    expect(lastLog()).toMatchObject({ api: 'responses', provider: 'compat', status: 200 });
  });

  it('refuses what a translated target cannot carry with a 400 naming the field', async () => {
    const before = upstream.requests.length;
    const prev = await gw.client().responses.create({ model: 'claude-haiku-4-5', input: 'x', previous_response_id: 'resp_1' }).catch((e) => e);
    expect(prev).toBeInstanceOf(OpenAI.BadRequestError);
    expect(prev.param).toBe('previous_response_id');
    const store = await gw.client().responses.create({ model: 'gpt-4o-mini-compat', input: 'x', store: true }).catch((e) => e);
    expect(store).toBeInstanceOf(OpenAI.BadRequestError);
    expect(store.param).toBe('store');
    const search = await gw.client().responses.create({ model: 'claude-haiku-4-5', input: 'x', tools: [{ type: 'web_search' }] }).catch((e) => e);
    expect(search.param).toBe('tools[0]');
    const effort = await gw.client().responses.create({ model: 'claude-haiku-4-5', input: 'x', reasoning: { effort: 'high' } }).catch((e) => e);
    expect(effort.param).toBe('reasoning.effort');
    expect(upstream.requests.length).toBe(before);
  });
});

describe('POST /v1/responses: incomplete answers and the cache', () => {
  it('reports an answer cut at max_output_tokens as incomplete, whole and streamed', async () => {
    const input = 'please repeat all of these words back to me in one long sentence without stopping at all';
    const r = await gw.client().responses.create({ model: 'gpt-4o-mini-compat', input, max_output_tokens: 16, store: false });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    const res = await post({ model: 'gpt-4o-mini-compat', input, max_output_tokens: 16, store: false, stream: true });
    const events = sseEvents(await res.text()).map((e) => JSON.parse(e.data));
    expect(events.at(-1)).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete' } });
  });

  it('answers a repeat from the cache only with store: false', async () => {
    const ask = async (body: Record<string, unknown>) => (await post({ model: 'gpt-4o-mini-compat', input: 'cache me', temperature: 0, ...body }, CACHED_KEY)).headers.get('x-gateway-cache');
    expect(await ask({ store: false })).toBe('miss');
    await new Promise((r) => setTimeout(r, 100));
    expect(await ask({ store: false })).toBe('hit');
    expect(await ask({})).toBe('bypass');
  });
});

describe('POST /v1/responses with PII pseudonymisation', () => {
  it('restores pseudonyms in translated output text deltas', async () => {
    const final = await gw.client({ apiKey: PII_KEY }).responses.stream({ model: 'claude-haiku-4-5', input: 'Write to jane.doe@example.com today' }).finalResponse();
    expect(JSON.stringify(upstream.requests.at(-1)!.body)).not.toContain('jane.doe@example.com');
    expect(final.output_text).toContain('jane.doe@example.com');
    const whole = await gw.client({ apiKey: PII_KEY }).responses.create({ model: 'claude-haiku-4-5', input: 'Write to jane.doe@example.com today' });
    expect(whole.output_text).toContain('jane.doe@example.com');
  });

  it('restores a pseudonym split across native text deltas, in the done events and the completed Response, keeping sequence numbers in order', async () => {
    // Learn the placeholder the guard uses for this input (deterministic per request).
    await gw.client({ apiKey: PII_KEY }).responses.create({ model: 'gpt-4o-mini-compat', input: 'Mail jane.doe@example.com', store: false });
    const sent = upstream.requests.at(-1)!.body.messages[0].content as string;
    const placeholder = sent.replace('Mail ', '');
    const half = Math.floor(placeholder.length / 2);
    const transcript = raw('text_basic_gpt4o_mini.sse')
      .replace('"delta":"Hi"', `"delta":"To ${placeholder.slice(0, half)}"`)
      .replace('"delta":" in"', `"delta":"${placeholder.slice(half)} in"`)
      .replaceAll('Hi in Portuguese', `To ${placeholder} in Portuguese`);
    upstream.enqueue({ sse: transcript });
    const res = await post({ model: 'gpt-4o-mini', input: 'Mail jane.doe@example.com', stream: true, store: false }, PII_KEY);
    const events = sseEvents(await res.text()).map((e) => JSON.parse(e.data));
    const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    expect(text).toContain('To jane.doe@example.com in Portuguese');
    expect(events.find((e) => e.type === 'response.output_text.done').text).toContain('jane.doe@example.com');
    expect(events.at(-1).response.output[0].content[0].text).toContain('jane.doe@example.com');
    expect(JSON.stringify(events)).not.toContain(placeholder);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it('restores a pseudonym split across native function_call_arguments deltas and in the done events', async () => {
    await gw.client({ apiKey: PII_KEY }).responses.create({ model: 'gpt-4o-mini-compat', input: 'Mail jane.doe@example.com', store: false });
    const placeholder = (upstream.requests.at(-1)!.body.messages[0].content as string).replace('Mail ', '');
    const half = Math.floor(placeholder.length / 2);
    const transcript = raw('tool_call_single_gpt4o_mini.sse')
      .replace('"delta":"Flor"', `"delta":"${placeholder.slice(0, half)}"`)
      .replace('"delta":"ence"', `"delta":"${placeholder.slice(half)}"`)
      .replaceAll('Florence, Italy', `${placeholder}, Italy`);
    upstream.enqueue({ sse: transcript });
    const res = await post({ ...json('tool_call_single_gpt4o_mini.request.json'), input: 'Mail jane.doe@example.com' }, PII_KEY);
    const events = sseEvents(await res.text()).map((e) => JSON.parse(e.data));
    const args = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
    expect(JSON.parse(args)).toEqual({ location: 'jane.doe@example.com, Italy' });
    expect(JSON.parse(events.find((e) => e.type === 'response.function_call_arguments.done').arguments)).toEqual({ location: 'jane.doe@example.com, Italy' });
    const call = events.at(-1).response.output.find((o: { type: string }) => o.type === 'function_call');
    expect(JSON.parse(call.arguments)).toEqual({ location: 'jane.doe@example.com, Italy' });
    expect(JSON.stringify(events)).not.toContain(placeholder);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it('releases text held back for a possible placeholder as one more delta before output_text.done, renumbering what follows', async () => {
    const original = sseEvents(raw('text_basic_gpt4o_mini.sse')).map((e) => JSON.parse(e.data));
    const transcript = raw('text_basic_gpt4o_mini.sse').replace('"delta":"!\\""', '"delta":" [EMAIL"');
    expect(transcript).not.toBe(raw('text_basic_gpt4o_mini.sse'));
    upstream.enqueue({ sse: transcript });
    const res = await post({ model: 'gpt-4o-mini', input: 'Mail jane.doe@example.com', stream: true, store: false }, PII_KEY);
    const events = sseEvents(await res.text()).map((e) => JSON.parse(e.data));
    expect(events).toHaveLength(original.length + 1);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const doneAt = events.findIndex((e) => e.type === 'response.output_text.done');
    expect(events[doneAt - 1]).toMatchObject({ type: 'response.output_text.delta', delta: expect.stringContaining('[EMAIL') });
    expect(events[doneAt - 2].delta).not.toContain('[EMAIL');
  });
});
