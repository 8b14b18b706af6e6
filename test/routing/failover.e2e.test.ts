/**
 * Failover through a real gateway, with the official OpenAI SDK as the client and a fault-injecting fake
 * upstream: which failures move on to the next target, which do not, and what the client sees.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { fromShared } from '../../src/paths.js';

const OVERLOADED_SSE = readFileSync(fromShared('fixtures/sse/anthropic/error_overloaded.sse'), 'utf8');

let upstream: FakeUpstream;
let gw: TestGateway;

// Short timeouts so hangs are detected quickly; retries without backoff wait unless a test asks for it.
const timeouts = { connectMs: 1000, firstByteMs: 400, idleMs: 400, totalMs: 5000 };

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    providers: {
      openai: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-test-openai-secret', timeouts },
      anthropic: { kind: 'anthropic', baseUrl: upstream.anthropicBaseUrl, apiKey: 'sk-ant-test-secret', timeouts },
    },
    models: {
      'gpt-4.1': { provider: 'openai', upstream: 'gpt-4.1', price: { input: '2', output: '8' }, contextWindow: 1000000 },
    },
    routes: {
      // openai first, anthropic as the fallback
      chain: { strategy: 'ordered', targets: ['gpt-4o-mini', 'claude-haiku-4-5'], retry: { retries: 0 } },
      // anthropic first, openai as the fallback
      'chain-anthropic': { strategy: 'ordered', targets: ['claude-haiku-4-5', 'gpt-4o-mini'], retry: { retries: 0 } },
      // one target, retried
      solo: { targets: ['gpt-4o-mini'], retry: { retries: 2, backoffMs: 10, maxBackoffMs: 20, maxRetryAfterMs: 1500 } },
      // a target nothing else uses, so the cool-down its retry-after starts does not leak into other tests
      'solo-other': { targets: ['openai/gpt-4.1-mini'], retry: { retries: 2, maxRetryAfterMs: 1500 } },
      cooling: { targets: ['openai/gpt-4.1-nano', 'claude-haiku-4-5'], retry: { retries: 0 } },
      'long-context': { targets: ['gpt-4o-mini'], contextFallback: 'gpt-4.1' },
    },
    // Every test here injects failures; breakers (tested in breaker.e2e.test.ts) would open and mask them.
    extra: { routing: { breaker: { enabled: false } } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const ask = (model: string, stream: boolean) => ({ model, stream, messages: [{ role: 'user' as const, content: 'Say something short.' }] });

/** Non-streaming: the completion and the routing headers. */
async function complete(model: string) {
  const { data, response } = await gw.client().chat.completions.create(ask(model, false) as never).withResponse();
  const completion = data as unknown as OpenAI.ChatCompletion;
  return { text: completion.choices[0]!.message.content ?? '', headers: response.headers };
}

/** Streaming: the joined text and the routing headers. */
async function stream(model: string) {
  const { data, response } = await gw.client().chat.completions.create(ask(model, true) as never).withResponse();
  let text = '';
  for await (const chunk of data as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) text += chunk.choices[0]?.delta?.content ?? '';
  return { text, headers: response.headers };
}

const served = (h: Headers) => ({ provider: h.get('x-gateway-provider'), attempts: Number(h.get('x-gateway-attempts')) });
const paths = () => upstream.requests.map((r) => (r.path === '/v1/messages' ? 'anthropic' : 'openai'));

describe.each([
  ['non-streaming', complete],
  ['streaming', stream],
] as const)('%s failover to the next target', (_mode, call) => {
  it('500 → next target', async () => {
    upstream.enqueue({ status: 500 });
    const r = await call('chain');
    expect(r.text.length).toBeGreaterThan(0);
    expect(served(r.headers)).toEqual({ provider: 'anthropic', attempts: 2 });
    expect(paths()).toEqual(['openai', 'anthropic']);
  });

  it('429 → next target, without waiting for its retry-after', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '30' } });
    const t0 = performance.now();
    const r = await call('chain');
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(served(r.headers)).toEqual({ provider: 'anthropic', attempts: 2 });
  });

  it('Anthropic 529 overloaded → next target', async () => {
    upstream.enqueue({ status: 529 });
    const r = await call('chain-anthropic');
    expect(served(r.headers)).toEqual({ provider: 'openai', attempts: 2 });
    expect(paths()).toEqual(['anthropic', 'openai']);
  });

  it('connection reset before any response → next target', async () => {
    upstream.enqueue({ resetAfterEvents: 0 });
    const r = await call('chain');
    expect(served(r.headers)).toEqual({ provider: 'anthropic', attempts: 2 });
  });

  it('hang before headers → first-byte timeout → next target', async () => {
    upstream.enqueue({ hang: 'before-headers' });
    const t0 = performance.now();
    const r = await call('chain');
    const ms = performance.now() - t0;
    expect(served(r.headers)).toEqual({ provider: 'anthropic', attempts: 2 });
    expect(ms).toBeGreaterThanOrEqual(380);
    expect(ms).toBeLessThan(3000);
  });

  it('slow first byte within the timeout → same target, no failover', async () => {
    upstream.enqueue({ firstByteDelayMs: 250 });
    const r = await call('chain');
    expect(served(r.headers)).toEqual({ provider: 'openai', attempts: 1 });
  });

  it('400 is not failed over', async () => {
    upstream.enqueue({ status: 400, json: { error: { message: "Invalid value for 'logit_bias'.", type: 'invalid_request_error', param: 'logit_bias', code: null } } });
    const err = await call('chain').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(paths()).toEqual(['openai']);
  });

  it("401/403/404 (the gateway's provider key or its upstream model, not the request) → next target, not retried", async () => {
    for (const [status, type] of [[401, 'invalid_api_key'], [403, 'permission_denied'], [404, 'model_not_found']] as const) {
      upstream.reset();
      upstream.enqueue({ status, json: { error: { message: 'Incorrect API key provided: sk-test…', type: 'invalid_request_error', param: null, code: type } } });
      const r = await call('chain');
      expect(served(r.headers)).toEqual({ provider: 'anthropic', attempts: 2 });
      expect(paths()).toEqual(['openai', 'anthropic']);
    }
  });

  it("401 on every target: 502 upstream_auth_failed, each tried once", async () => {
    upstream.enqueue({ status: 401 }, { status: 401 });
    const err = await call('chain').catch((e) => e);
    expect(err.status).toBe(502);
    expect(err.error?.code ?? err.code).toBe('upstream_auth_failed');
    expect(paths()).toEqual(['openai', 'anthropic']);
  });

  it('context-length rejection → the configured larger-context target', async () => {
    upstream.enqueue({ status: 400, json: { error: { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } });
    const r = await call('long-context');
    expect(r.headers.get('x-gateway-model')).toBe('gpt-4.1');
    expect(upstream.requests.map((q) => q.body.model)).toEqual(['gpt-4o-mini', 'gpt-4.1']);
  });

  it('429 on the only target: waits its retry-after, then retries', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '1' } });
    const t0 = performance.now();
    const r = await call('solo');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(served(r.headers)).toEqual({ provider: 'openai', attempts: 2 });
  });

  it('429 asking for longer than allowed: not retried, the client gets 429 with retry-after', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '20' } });
    const err = await call('solo-other').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers.get('retry-after')).toBe('20');
    expect(upstream.requests).toHaveLength(1);
  });

  it('5xx on every attempt: bounded retries, then 502', async () => {
    upstream.setDefault({ status: 503 });
    try {
      const err = await call('solo').catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(502);
      expect(upstream.requests).toHaveLength(3); // first try + retries: 2
    } finally {
      upstream.setDefault(null);
    }
  });
});

describe('retry-after across requests', () => {
  it('a target that asked for a pause is tried last by the next requests', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '30' } });
    expect(served((await complete('cooling')).headers)).toEqual({ provider: 'anthropic', attempts: 2 });
    upstream.reset();
    expect(served((await stream('cooling')).headers)).toEqual({ provider: 'anthropic', attempts: 1 });
    expect(paths()).toEqual(['anthropic']);
  });
});

describe('streaming-only faults', () => {
  it('Anthropic overloaded error event before any content → next target', async () => {
    upstream.enqueue({ sse: OVERLOADED_SSE });
    const r = await stream('chain-anthropic');
    expect(r.text.length).toBeGreaterThan(0);
    expect(served(r.headers)).toEqual({ provider: 'openai', attempts: 2 });
  });

  it('overloaded after message_start (no content yet) still fails over: nothing reached the client', async () => {
    const start =
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}}\n\n';
    upstream.enqueue({ sse: start + OVERLOADED_SSE });
    const r = await stream('chain-anthropic');
    expect(served(r.headers)).toEqual({ provider: 'openai', attempts: 2 });
  });

  it('hang mid-stream after content reached the client → error frame, no failover, no [DONE]', async () => {
    // The fake sends one event then goes silent: that event carries content.
    upstream.enqueue({ sse: 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}\n\ndata: [DONE]\n\n', hang: 'mid-stream' });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(ask('chain', true)),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"Hel"');
    expect(text).not.toContain('[DONE]');
    const last = JSON.parse(text.trim().split('\n\n').at(-1)!.replace(/^data: /, ''));
    expect(last.error.code).toBe('upstream_timeout');
    expect(paths()).toEqual(['openai']);
  });

  it('the SDK raises on a stream cut after content; no second upstream request', async () => {
    upstream.enqueue({ resetAfterEvents: 3 });
    const s = await gw.client().chat.completions.create(ask('chain', true) as never);
    let text = '';
    const err = await (async () => {
      for await (const c of s as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) text += c.choices[0]?.delta?.content ?? '';
    })().catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(text.length).toBeGreaterThan(0);
    expect(paths()).toEqual(['openai']);
  });
});

describe('the log line', () => {
  it('lists each attempt with its error class', async () => {
    upstream.enqueue({ status: 500 });
    await complete('chain');
    await new Promise((r) => setTimeout(r, 20));
    const line = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line.attempts).toMatchObject([
      { provider: 'openai', ok: false, errorClass: 'server', status: 500 },
      { provider: 'anthropic', ok: true },
    ]);
  });
});
