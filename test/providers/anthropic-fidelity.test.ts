/**
 * Anthropic translation cases found in review: each is what a user of the official OpenAI SDK hits through the
 * gateway (end to end where the gateway's own plumbing matters, at the adapter otherwise).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createAnthropicAdapter } from '../../providers/anthropic/index.js';
import { ProviderError, type ProviderAdapter } from '../../providers/types.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { validateResponse } from '../fakes/openai-schemas.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { chatRequest, providerConfig } from './helpers.js';

const target = { provider: 'anthropic-test', upstreamModel: 'claude-haiku-4-5' };
const signal = () => new AbortController().signal;
const MODEL = 'claude-haiku-4-5';

describe('anthropic through the gateway (OpenAI SDK as client)', () => {
  let upstream: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
    gw = await startTestGateway(upstream, {
      providers: { anthropic: { kind: 'anthropic', baseUrl: upstream.anthropicBaseUrl, apiKey: 'sk-ant-test-secret', timeouts, defaultMaxTokens: 1234 } },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());
  const sent = () => upstream.requests.at(-1)!.body;

  it("sends the provider's configured defaultMaxTokens when the request gives no max tokens", async () => {
    await gw.client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(sent().max_tokens).toBe(1234);
  });

  it('accepts a history whose assistant turn has whitespace-only text next to its tool call (Claude writes "\\n\\n")', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const res = await gw.client().chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: '\n\n', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
        { role: 'user', content: ' ' },
      ],
      tools,
    });
    validateResponse(res);
    const messages = sent().messages;
    expect(messages[1].content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(messages[2].content).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' }]);
  });

  it("reports Anthropic's out-of-credit 400 as the gateway's provider-account failure, not as the client's bad request", async () => {
    const message = 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.';
    upstream.enqueue({ status: 400, json: { type: 'error', error: { type: 'invalid_request_error', message } } });
    const err = await gw.client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(502);
    expect(err.code).toBe('upstream_auth_failed');
    expect(err.message).not.toContain('credit balance');
  });

  it('refuses legacy functions / function_call with a 400 instead of silently answering without them', async () => {
    const client = gw.client();
    const err = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], functions: [{ name: 'f', parameters: { type: 'object', properties: {} } }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('functions');
    const err2 = await client.chat.completions
      .create({
        model: MODEL,
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } },
          { role: 'user', content: 'again' },
        ],
      })
      .catch((e) => e);
    expect(err2).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err2.param).toBe('messages[1].function_call');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('anthropic request translation', () => {
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
  const msg = [{ role: 'user', content: 'x' }];

  it('forwards strict function tools as strict Anthropic tools (native structured outputs), not strict ones as they are', async () => {
    const parameters = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false };
    const tools = [
      { type: 'function', function: { name: 'a', strict: true, parameters } },
      { type: 'function', function: { name: 'b', parameters } },
    ];
    await adapter.complete(chatRequest({ model: 'c', messages: msg, tools }), target, signal());
    expect(sent().tools).toEqual([
      { name: 'a', input_schema: parameters, strict: true },
      { name: 'b', input_schema: parameters },
    ]);
    const instruction = createAnthropicAdapter(providerConfig('anthropic', fake.anthropicBaseUrl), { structuredOutputs: 'instruction' });
    try {
      await instruction.complete(chatRequest({ model: 'c', messages: msg, tools }), target, signal());
      expect(sent().tools[0].strict).toBeUndefined(); // models without structured outputs reject `strict`
    } finally {
      await instruction.close();
    }
  });

  it('refuses audio output (modalities / audio) with a 400 instead of answering in text only', async () => {
    for (const [extra, param] of [
      [{ modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } }, 'modalities'],
      [{ audio: { voice: 'alloy', format: 'wav' } }, 'audio'],
    ] as const) {
      const err = await adapter.complete(chatRequest({ model: 'c', messages: msg, ...extra }), target, signal()).catch((e) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ errorClass: 'bad_request', opts: { param } });
    }
    await adapter.complete(chatRequest({ model: 'c', messages: msg, modalities: ['text'] }), target, signal());
    expect(fake.requests).toHaveLength(1);
  });

  it('sends safety_identifier (the successor of user) as metadata.user_id', async () => {
    await adapter.complete(chatRequest({ model: 'c', messages: msg, safety_identifier: 'sid-1' }), target, signal());
    expect(sent().metadata).toEqual({ user_id: 'sid-1' });
    await adapter.complete(chatRequest({ model: 'c', messages: msg, safety_identifier: 'sid-1', user: 'u-1' }), target, signal());
    expect(sent().metadata).toEqual({ user_id: 'sid-1' });
  });

  it('classifies the out-of-credit 400 as auth (the gateway account), also for a spend limit', async () => {
    for (const message of [
      'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      'You have reached your specified API usage limits. You will regain access on 2026-01-01 at 00:00 UTC.',
    ]) {
      fake.enqueue({ status: 400, json: { type: 'error', error: { type: 'invalid_request_error', message } } });
      const err = await adapter.complete(chatRequest({ model: 'c', messages: msg }), target, signal()).catch((e) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.errorClass).toBe('auth');
    }
  });
});
