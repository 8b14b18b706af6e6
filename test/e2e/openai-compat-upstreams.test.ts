/**
 * OpenAI-compatible servers (vLLM, TGI, llama.cpp, proxies) that do not speak OpenAI's wire exactly: what the
 * official SDK sees through the gateway when their error bodies and stream events differ from OpenAI's.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';
import { validateChunk } from '../fakes/openai-schemas.js';

const env = useTestGateway();
const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
const post = (body: unknown) =>
  fetch(`${env.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
/** The `data:` payloads of an SSE body. */
const frames = (text: string) =>
  text
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => f.slice(6));

describe('error bodies of OpenAI-compatible servers', () => {
  it("vLLM's flat error body ({object:'error', message, code: 400}): the message reaches the client", async () => {
    const message = "max_tokens must be at least 1, got -1.";
    env.upstream.enqueue({ status: 400, json: { object: 'error', message, type: 'BadRequestError', param: null, code: 400 } });
    const res = await post(chat);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_request', message });
  });

  it("vLLM's flat context-length error is context_length_exceeded, not a generic 400", async () => {
    const message = "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).";
    env.upstream.enqueue({ status: 400, json: { object: 'error', message, type: 'BadRequestError', param: null, code: 400 } });
    const res = await post(chat);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
  });

  it('a bare string error ({"error": "…"}) keeps its message on a 400', async () => {
    env.upstream.enqueue({ status: 400, json: { error: 'Input validation error: `temperature` must be strictly positive' } });
    const res = await post(chat);
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain('temperature');
  });
});

describe('error events inside a stream', () => {
  it('an error event carrying HTTP status 400 (vLLM) before any content: a 400 with its message, not retried as a 502', async () => {
    const before = env.upstream.requests.length;
    env.upstream.enqueue({
      sse: 'data: {"error":{"object":"error","message":"Guided decoding schema is invalid.","type":"BadRequestError","param":null,"code":400}}\n\n',
    });
    const res = await post({ ...chat, stream: true });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_request', message: 'Guided decoding schema is invalid.' });
    expect(env.upstream.requests.length - before).toBe(1);
  });

  it('`event: error` after content ends the stream with an upstream_error frame (never a 500, never [DONE]); the SDK raises', async () => {
    const sse = `${chunk({ role: 'assistant', content: 'Hel' })}event: error\ndata: {"message":"worker crashed"}\n\n`;
    env.upstream.enqueue({ sse });
    const text = await (await post({ ...chat, stream: true })).text();
    const last = frames(text).at(-1)!;
    expect(text).not.toContain('[DONE]');
    expect(JSON.parse(last).error.code).toBe('upstream_error');

    env.upstream.enqueue({ sse });
    const stream = await env.gw.client().chat.completions.create({ ...chat, stream: true });
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('`event: error` before any content: 502 upstream_error, not internal_error', async () => {
    env.upstream.enqueue({ sse: 'event: error\ndata: {"message":"worker crashed"}\n\n' });
    const res = await post({ ...chat, stream: true });
    expect(res.status).toBe(502);
    expect((await res.json()).error.code).toBe('upstream_error');
  });
});

describe('stream events that are not chunks', () => {
  it('an event without `choices` is the upstream\'s fault (502 upstream_error), not a gateway bug (500)', async () => {
    env.upstream.enqueue({ sse: 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m"}\n\ndata: [DONE]\n\n' });
    const res = await post({ ...chat, stream: true });
    expect(res.status).toBe(502);
    expect((await res.json()).error.code).toBe('upstream_error');
  });

  it('a usage event without `choices` reaches a client that asked for usage as a valid usage chunk', async () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    env.upstream.enqueue({
      sse: `${chunk({ role: 'assistant', content: 'Hi' })}${chunk({}, 'stop')}data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', usage })}\n\ndata: [DONE]\n\n`,
    });
    const stream = await env.gw.client().chat.completions.create({ ...chat, stream: true, stream_options: { include_usage: true } });
    const got: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) {
      validateChunk(c);
      got.push(c);
    }
    expect(got.at(-1)).toMatchObject({ choices: [], usage });
  });
});

describe('a server that ignores stream_options', () => {
  it("a client that asked for usage still gets the usage chunk last, with the gateway's own count", async () => {
    env.upstream.enqueue({ sse: `${chunk({ role: 'assistant', content: 'Hello there, friend.' })}${chunk({}, 'stop')}data: [DONE]\n\n` });
    const stream = await env.gw.client().chat.completions.create({ ...chat, stream: true, stream_options: { include_usage: true } });
    const got: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) {
      validateChunk(c);
      got.push(c);
    }
    const last = got.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 5 });
    expect(last.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
    expect(got.filter((c) => c.usage)).toHaveLength(1);
  });
});
