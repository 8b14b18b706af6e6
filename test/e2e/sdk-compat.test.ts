/**
 * What a developer using the official `openai` SDK sees through the gateway, on both providers: the SDK's
 * helpers (`.stream()` / `finalChatCompletion()`, `runTools`), stop sequences, usage details, error classes.
 * Each block names the incompatibility it guards against.
 */
import { describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { validateChunk, validateResponse } from '../fakes/openai-schemas.js';
import { useTestGateway } from '../helpers/test-gateway.js';

const env = useTestGateway();
const MODELS = ['gpt-4o-mini', 'claude-haiku-4-5'] as const;
const CLAUDE = 'claude-haiku-4-5';

/** Anthropic SSE body from events (what the fake upstream replays byte for byte). */
const anthropicSse = (events: Record<string, unknown>[]) => events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
const messageStart = (usage: Record<string, unknown> = { input_tokens: 12, output_tokens: 1 }) => ({
  type: 'message_start',
  message: { id: 'msg_sdkcompat', type: 'message', role: 'assistant', model: CLAUDE, content: [], stop_reason: null, stop_sequence: null, usage },
});
const textEvents = (pieces: string[]) => [
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ...pieces.map((text) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
  { type: 'content_block_stop', index: 0 },
];

describe('usage details on translated (Anthropic) answers', () => {
  // Before: Anthropic answers carried `usage: { prompt_tokens, completion_tokens, total_tokens,
  // prompt_tokens_details: { cached_tokens } }` only, so `usage.completion_tokens_details.reasoning_tokens`
  // (always present from OpenAI) threw a TypeError, and Claude's thinking tokens were lost.
  const usage = { input_tokens: 40, output_tokens: 90, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens_details: { thinking_tokens: 64 } };

  it.each(MODELS)('%s: create() has completion_tokens_details and prompt_tokens_details like OpenAI', async (model) => {
    const res = await env.gw.client().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    validateResponse(res);
    expect(res.usage!.completion_tokens_details).toMatchObject({ reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 });
    expect(res.usage!.prompt_tokens_details).toMatchObject({ cached_tokens: 0, audio_tokens: 0 });
  });

  it("maps Anthropic's thinking tokens to reasoning_tokens, non-streamed and streamed", async () => {
    const client = env.gw.client();
    env.upstream.enqueue({
      json: { ...messageStart(usage).message, content: [{ type: 'text', text: 'Forty-two.' }], stop_reason: 'end_turn' },
    });
    const res = await client.chat.completions.create({ model: CLAUDE, messages: [{ role: 'user', content: 'think hard' }] });
    expect(res.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 90, completion_tokens_details: { reasoning_tokens: 64 } });

    env.upstream.enqueue({
      sse: anthropicSse([
        messageStart({ ...usage, output_tokens: 1, output_tokens_details: null }),
        ...textEvents(['Forty', '-two.']),
        { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 90, output_tokens_details: { thinking_tokens: 64 } } },
        { type: 'message_stop' },
      ]),
    });
    const stream = client.chat.completions.stream({ model: CLAUDE, messages: [{ role: 'user', content: 'think hard' }], stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].message.content).toBe('Forty-two.');
    expect(final.usage).toMatchObject({ completion_tokens: 90, completion_tokens_details: { reasoning_tokens: 64 }, prompt_tokens_details: { cached_tokens: 0 } });
  });
});

describe('whitespace-only stop sequences', () => {
  // Before: Anthropic refuses stop sequences that are only whitespace, so the gateway silently dropped them:
  // `stop: ["\n"]` (the usual "one line" idiom) returned the whole multi-line answer from Claude, while OpenAI
  // stopped at the first newline.
  const ask = { messages: [{ role: 'user' as const, content: 'first line\nsecond line' }], stop: ['\n'] };

  it.each(MODELS)('%s: create() stops at the first newline, finish_reason stop', async (model) => {
    const res = await env.gw.client().chat.completions.create({ model, ...ask });
    validateResponse(res);
    expect(res.choices[0].message.content).toBe(`Hello from ${model}: first line`);
    expect(res.choices[0].finish_reason).toBe('stop');
  });

  it.each(MODELS)('%s: a stream (and the stream helper) stops there too', async (model) => {
    const stream = await env.gw.client().chat.completions.create({ model, ...ask, stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      validateChunk(chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(`Hello from ${model}: first line`);
    expect(finish).toBe('stop');
    const final = await env.gw.client().chat.completions.stream({ model, ...ask }).finalChatCompletion();
    expect(final.choices[0].message.content).toBe(`Hello from ${model}: first line`);
  });

  it('claude: a sequence split across deltas is matched, other sequences still go upstream, tool calls are kept', async () => {
    const client = env.gw.client();
    env.upstream.enqueue({
      sse: anthropicSse([
        messageStart(),
        ...textEvents(['one \n', '\n two', ' three']),
        { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 5 } },
        { type: 'message_stop' },
      ]),
    });
    const stream = await client.chat.completions.create({ model: CLAUDE, messages: [{ role: 'user', content: 'x' }], stop: ['\n\n', 'END'], stream: true });
    const deltas: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) deltas.push(chunk.choices[0].delta.content);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas.join('')).toBe('one ');
    expect(finish).toBe('stop'); // stopped by the sequence, before the upstream's max_tokens
    expect(env.upstream.requests.at(-1)!.body.stop_sequences).toEqual(['END']);

    // Claude's preamble before a tool call is text; the call itself is not, and survives the cut.
    const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const res = await client.chat.completions.create({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'Checking.\nNow the weather' }],
      tools,
      tool_choice: 'required',
      stop: '\n',
    });
    expect(res.choices[0].message.content).toBe(`Hello from ${CLAUDE}: Checking.`);
    expect(res.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
  });
});

describe('refusals in the history', () => {
  // Before: an assistant turn holding only a `refusal` (as OpenAI answers it, and as the SDK sends it back) was
  // dropped on its way to Claude: the turn vanished and the user turns around it merged into one.
  it.each(MODELS)('%s: an assistant refusal turn is kept as that turn', async (model) => {
    const refused = { role: 'assistant', content: null, refusal: "I can't help with that." } as unknown as OpenAI.Chat.ChatCompletionAssistantMessageParam;
    const res = await env.gw.client().chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'do the bad thing' }, refused, { role: 'user', content: 'then something else' }],
    });
    expect(res.choices[0].message.content).toBe(`Hello from ${model}: then something else`);
    const sent = env.upstream.requests.at(-1)!.body;
    if (model === CLAUDE) {
      expect(sent.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(sent.messages[1].content).toEqual([{ type: 'text', text: "I can't help with that." }]);
    } else {
      expect(sent.messages[1]).toMatchObject({ role: 'assistant', refusal: "I can't help with that." });
    }
  });
});

describe('SDK helpers through the gateway', () => {
  const weatherTool = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      parse: (s: string) => JSON.parse(s) as { city: string },
      function: (a: { city: string }) => `sunny in ${a.city}`,
    },
  };

  it.each(MODELS)('%s: stream().finalChatCompletion() assembles parallel tool calls', async (model) => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = ['get_weather', 'get_time'].map((name) => ({
      type: 'function',
      function: { name, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    }));
    const stream = env.gw.client().chat.completions.stream({ model, messages: [{ role: 'user', content: 'Oslo' }], tools, tool_choice: 'required', stream_options: { include_usage: true } });
    const done: string[] = [];
    stream.on('tool_calls.function.arguments.done', (e) => done.push(`${e.name}:${e.arguments}`));
    const final = await stream.finalChatCompletion();
    validateResponse(final);
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    const calls = final.choices[0].message.tool_calls as OpenAI.Chat.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
    for (const c of calls) expect(JSON.parse(c.function.arguments)).toEqual({ city: 'Oslo' });
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(done).toEqual(['get_weather:{"city":"Oslo"}', 'get_time:{"city":"Oslo"}']);
    expect(final.usage?.total_tokens).toBeGreaterThan(0);
  });

  it.each([false, true])('claude: runTools runs a parallel tool loop to the final answer (stream: %s)', async (streamed) => {
    const calls = [
      { id: 'toolu_oslo', city: 'Oslo' },
      { id: 'toolu_rome', city: 'Rome' },
    ];
    if (streamed) {
      const events: Record<string, unknown>[] = [messageStart()];
      calls.forEach((c, index) => {
        events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: 'get_weather', input: {} } });
        for (const part of ['{"ci', `ty": "${c.city}"}`]) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
        events.push({ type: 'content_block_stop', index });
      });
      events.push({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 20 } }, { type: 'message_stop' });
      env.upstream.enqueue({ sse: anthropicSse(events) });
    } else {
      env.upstream.enqueue({
        json: {
          ...messageStart().message,
          content: calls.map((c) => ({ type: 'tool_use', id: c.id, name: 'get_weather', input: { city: c.city } })),
          stop_reason: 'tool_use',
          usage: { input_tokens: 12, output_tokens: 20 },
        },
      });
    }
    const runner = env.gw.client().chat.completions.runTools({ model: CLAUDE, stream: streamed, messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool] } as never) as unknown as {
      finalContent(): Promise<string | null>;
      messages: OpenAI.Chat.ChatCompletionMessageParam[];
    };
    // The second request carries the assistant turn (content null, two tool_calls) and both tool results.
    expect(await runner.finalContent()).toBe(`Hello from ${CLAUDE}: sunny in Oslo sunny in Rome`);
    const sent = env.upstream.requests.at(-1)!.body;
    expect(sent.messages[1].content.map((b: { type: string; id: string }) => [b.type, b.id])).toEqual([
      ['tool_use', 'toolu_oslo'],
      ['tool_use', 'toolu_rome'],
    ]);
    expect(sent.messages[2].content.map((b: { tool_use_id: string }) => b.tool_use_id)).toEqual(['toolu_oslo', 'toolu_rome']);
  });
});

describe('error classes and retries', () => {
  it.each(MODELS)('%s: n > 1 is a BadRequestError naming n on Anthropic, served by OpenAI', async (model) => {
    const req = { model, n: 2, messages: [{ role: 'user' as const, content: 'hi' }] };
    if (model === CLAUDE) {
      const err = await env.gw.client().chat.completions.create(req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, code: 'invalid_request', type: 'invalid_request_error', param: 'n' });
    } else {
      expect((await env.gw.client().chat.completions.create(req)).choices).toHaveLength(2);
    }
  });

  it('typed errors carry code, type and param; x-request-id reaches withResponse() and errors', async () => {
    const client = env.gw.client();
    const notFound = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound).toMatchObject({ code: 'model_not_found', type: 'not_found_error', param: 'model' });
    expect((notFound as APIError).requestID).toMatch(/\S/);
    const auth = await env.gw.client({ apiKey: 'gw-wrong' }).models.list().catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(auth).toMatchObject({ code: 'invalid_api_key' });
    const { data, response, request_id } = await client.chat.completions.create({ model: CLAUDE, messages: [{ role: 'user', content: 'x' }] }).withResponse();
    expect(request_id).toBe(response.headers.get('x-request-id'));
    expect((data as { _request_id?: string | null })._request_id).toBe(request_id);
  });

  it.each(MODELS)('%s: an upstream 429 with retry-after reaches the SDK as RateLimitError, and its retry succeeds', async (model) => {
    const limited = { status: 429, headers: { 'retry-after': '0' } };
    env.upstream.reset();
    env.upstream.setDefault(limited);
    try {
      const err = await env.gw.client().chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
      expect((err as APIError).headers?.get('retry-after')).toBe('0');
    } finally {
      env.upstream.setDefault(null);
    }
    // As many 429s as the gateway's own attempts take: the SDK's first try fails, its retry gets an answer.
    const perRequest = env.upstream.requests.length;
    env.upstream.enqueue(...Array.from({ length: perRequest }, () => limited));
    const ok = await env.gw.client({ maxRetries: 1 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
    expect(ok.choices[0].finish_reason).toBe('stop');
    expect(env.upstream.requests.length).toBe(2 * perRequest + 1);
  });
});
