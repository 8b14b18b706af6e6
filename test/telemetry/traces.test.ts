/**
 * OpenTelemetry traces leave the box (docs/operations.md "Traces"): a real gateway with `telemetry.traces` on
 * exports to a local OTLP/HTTP receiver; a client `traceparent` is honoured; the fake upstream sees the trace
 * context of the attempt span and the gateway's `x-request-id`.
 */
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const GUARDED_KEY = 'gw-guarded-team-key-0123456789abcdefghijklmnopq';
const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
const SERVER = 2;
const CLIENT = 3;

let upstream: FakeUpstream;
let receiver: OtlpReceiver;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  receiver = await startOtlpReceiver();
  gw = await startTestGateway(upstream, {
    providers: { capped: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-capped', maxConnections: 1, queueTimeoutMs: 5000 } },
    routes: { resilient: { targets: ['openai/gpt-4o-mini', 'claude-haiku-4-5'] } },
    models: {
      'capped-mini': { provider: 'capped', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 },
      'text-embedding-3-small': { provider: 'openai', upstream: 'text-embedding-3-small', price: { input: '0.02', output: '0' }, contextWindow: 8192 },
    },
    teams: { guarded: { allowedModels: ['*'], policy: { guards: { pii: { enabled: true, defaultAction: 'redact' } } } } },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'guarded-key', team: 'guarded', key: GUARDED_KEY },
    ],
    extra: {
      cache: { mode: 'on', semantic: 'off' },
      telemetry: { traces: { enabled: true, endpoint: receiver.endpoint, serviceName: 'gw-under-test', headers: { 'x-collector-token': 'c0llector' } } },
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await receiver?.close();
});

async function chat(body: Record<string, unknown>, headers: Record<string, string> = {}, path = '/v1/chat/completions') {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { res, text, requestId: res.headers.get('x-request-id')! };
}

/** The spans of one request, found by its request id, once the request span arrived. */
async function spansOf(requestId: string): Promise<{ server: ReceivedSpan; children: ReceivedSpan[] }> {
  const all = await receiver.waitFor((s) => s.some((x) => x.attributes['gateway.request_id'] === requestId));
  const server = all.find((x) => x.attributes['gateway.request_id'] === requestId)!;
  // Children end before their parent, so they were exported with it or earlier.
  const children = all.filter((x) => x.traceId === server.traceId && x.parentSpanId === server.spanId);
  return { server, children };
}

function upstreamRequestOf(requestId: string) {
  return upstream.requests.find((r) => r.headers['x-request-id'] === requestId);
}

describe('OpenTelemetry traces', () => {
  it('a chat request: SERVER span with GenAI attributes, a span per stage and per attempt, parented on the client traceparent', async () => {
    const { res, requestId } = await chat(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to tracing.' }], max_tokens: 50 },
      { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' },
    );
    expect(res.status).toBe(200);
    const { server, children } = await spansOf(requestId);

    expect(server.name).toBe('chat');
    expect(server.kind).toBe(SERVER);
    expect(server.traceId).toBe(CLIENT_TRACE);
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.resource['service.name']).toBe('gw-under-test');
    expect(server.resource['service.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(server.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 50,
      'gateway.team': 'default',
      'gateway.key_id': 'test',
      'gateway.cache': 'miss',
      'gateway.attempts': 1,
      'http.response.status_code': 200,
    });
    expect(server.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(server.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(server.attributes['gateway.cost_usd']).toBeGreaterThan(0);
    expect(server.attributes['gateway.error_code']).toBeUndefined();
    // Never the key's secret anywhere in a span.
    expect(JSON.stringify(receiver.spans.map((s) => s.attributes))).not.toContain(TEST_KEY);

    const names = children.map((c) => c.name).sort();
    expect(names).toEqual(['admission', 'auth', 'cache_lookup', 'chat gpt-4o-mini', 'input_guards', 'route_plan', 'routing']);
    for (const c of children) {
      expect(c.startNs).toBeGreaterThanOrEqual(server.startNs);
      expect(c.endNs).toBeLessThanOrEqual(server.endNs);
    }
    const attempt = children.find((c) => c.kind === CLIENT)!;
    expect(attempt.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gateway.provider': 'openai',
      'http.response.status_code': 200,
    });

    // The provider request carries the attempt span as its parent, the client's tracestate and our request id.
    const sent = upstreamRequestOf(requestId)!;
    expect(sent).toBeDefined();
    expect(sent.headers.traceparent).toBe(`00-${CLIENT_TRACE}-${attempt.spanId}-01`);
    expect(sent.headers.tracestate).toBe('vendor=abc');
    // The exporter sends the configured collector headers.
    expect(receiver.posts.some((p) => p.headers['x-collector-token'] === 'c0llector' && p.contentType === 'application/json')).toBe(true);
  });

  it('a streamed request: the span ends with the stream and carries its usage', async () => {
    const { res, text, requestId } = await chat({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Stream a few words.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(text).toContain('data: [DONE]');
    const { server, children } = await spansOf(requestId);
    expect(server.name).toBe('chat');
    expect(server.attributes['gateway.stream']).toBe(true);
    expect(server.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(server.attributes['gen_ai.response.model']).toBe('gpt-4o-mini');
    // A new trace (no client traceparent): a root span.
    expect(server.parentSpanId).toBeUndefined();
    const attempt = children.find((c) => c.kind === CLIENT)!;
    const sent = upstreamRequestOf(requestId)!;
    expect(sent.headers.traceparent).toBe(`00-${server.traceId}-${attempt.spanId}-01`);
  });

  it('failover: one CLIENT span per attempt, the failed one with its status and error class', async () => {
    upstream.enqueue({ status: 503 });
    const { res, requestId } = await chat({ model: 'resilient', messages: [{ role: 'user', content: 'Fail over, please.' }] });
    expect(res.status).toBe(200);
    const { server, children } = await spansOf(requestId);
    const attempts = children.filter((c) => c.kind === CLIENT).sort((a, b) => Number(a.startNs - b.startNs));
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': 'server', 'gateway.attempt.error_class': 'server' });
    expect(attempts[0]!.status.code).toBe(2); // ERROR
    expect(attempts[0]!.attributes['gen_ai.provider.name']).toBe('openai');
    expect(attempts[1]!.attributes).toMatchObject({ 'http.response.status_code': 200, 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-haiku-4-5' });
    expect(server.attributes).toMatchObject({ 'gen_ai.request.model': 'resilient', 'gen_ai.response.model': 'claude-haiku-4-5', 'gen_ai.provider.name': 'anthropic' });
    expect(server.attributes['gateway.attempts']).toBe(2);
    // Each provider request names its own attempt span as the parent.
    const sent = upstream.requests.filter((r) => r.headers['x-request-id'] === requestId).map((r) => r.headers.traceparent);
    expect(sent).toEqual(attempts.map((a) => `00-${server.traceId}-${a.spanId}-01`));
  });

  it('a cache hit: cache result on the span, no upstream attempt', async () => {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Cache this answer.' }] };
    await chat(body);
    const { res, requestId } = await chat(body);
    expect(res.headers.get('x-gateway-cache')).toBe('hit');
    const { server, children } = await spansOf(requestId);
    expect(server.attributes['gateway.cache']).toBe('hit');
    expect(children.map((c) => c.name).sort()).toEqual(['admission', 'auth', 'cache_lookup', 'input_guards', 'routing']);
    expect(upstreamRequestOf(requestId)).toBeUndefined();
  });

  it('guard actions and the team of the key are on the span', async () => {
    const { res, requestId } = await chat(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Write to alice.smith@example.com about the invoice.' }] },
      { authorization: `Bearer ${GUARDED_KEY}` },
    );
    expect(res.status).toBe(200);
    const { server } = await spansOf(requestId);
    expect(server.attributes).toMatchObject({ 'gateway.team': 'guarded', 'gateway.key_id': 'guarded-key' });
    expect(server.attributes['gateway.guard_actions']).toEqual(expect.arrayContaining([expect.stringMatching(/^pii:/)]));
    expect(JSON.stringify(receiver.spans.map((s) => s.attributes))).not.toContain('alice.smith');
  });

  it.each([
    ['/v1/messages', 'messages', 'chat', { model: 'claude-haiku-4-5', max_tokens: 40, messages: [{ role: 'user', content: 'hi' }] }, 'anthropic'],
    ['/v1/responses', 'responses', 'chat', { model: 'gpt-4o-mini', input: 'hi', max_output_tokens: 40 }, 'openai'],
    ['/v1/embeddings', 'embeddings', 'embeddings', { model: 'text-embedding-3-small', input: 'hi' }, 'openai'],
  ])('%s: the request span is named %s, operation %s', async (path, name, operation, body, provider) => {
    const { res, requestId } = await chat(body, {}, path);
    expect(res.status).toBe(200);
    const { server, children } = await spansOf(requestId);
    expect(server.name).toBe(name);
    expect(server.attributes).toMatchObject({ 'gen_ai.operation.name': operation, 'gateway.api': name, 'gen_ai.provider.name': provider, 'gen_ai.request.model': body.model });
    expect(server.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    const attempt = children.find((c) => c.kind === CLIENT)!;
    expect(attempt.name).toBe(`${operation} ${body.model}`);
    expect(upstreamRequestOf(requestId)!.headers.traceparent).toBe(`00-${server.traceId}-${attempt.spanId}-01`);
  });

  it('registers no global tracer: an embedding application keeps its own (here: none, so its spans do not record)', () => {
    expect(gw.runtime.tracing).toBeDefined();
    const span = trace.getTracer('embedding-app').startSpan('app work');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('an attempt that waited for a capped provider connection carries its queue wait', async () => {
    upstream.enqueue({ firstByteDelayMs: 300 });
    const body = (n: number) => ({ model: 'capped-mini', messages: [{ role: 'user', content: `queue ${n}` }] });
    const first = chat(body(1));
    await new Promise((r) => setTimeout(r, 50));
    const second = await chat(body(2));
    await first;
    const { children } = await spansOf(second.requestId);
    const attempt = children.find((c) => c.kind === CLIENT)!;
    expect(attempt.attributes['gateway.provider']).toBe('capped');
    expect(attempt.attributes['gateway.attempt.queue_ms']).toBeGreaterThan(100);
  });

  it('a refused request: error code on the span, the failing stage marked', async () => {
    const { res, requestId } = await chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(404);
    const { server, children } = await spansOf(requestId);
    expect(server.attributes['gateway.error_code']).toBe('model_not_found');
    expect(server.attributes['error.type']).toBe('model_not_found');
    const routing = children.find((c) => c.name === 'routing')!;
    expect(routing.status.code).toBe(2);
    expect(routing.attributes['error.type']).toBe('model_not_found');
    expect(children.some((c) => c.kind === CLIENT)).toBe(false);
  });

  it('a client that says not sampled gets no spans exported, but the upstream still joins its trace', async () => {
    const before = receiver.spans.length;
    const { res, requestId } = await chat(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'unsampled' }] },
      { traceparent: `00-${CLIENT_TRACE.replace('0af7', '1111')}-${CLIENT_SPAN}-00` },
    );
    expect(res.status).toBe(200);
    const sent = upstreamRequestOf(requestId)!;
    expect(sent.headers.traceparent).toMatch(new RegExp(`^00-${CLIENT_TRACE.replace('0af7', '1111')}-[0-9a-f]{16}-00$`));
    await gw.runtime.tracing!.flush();
    expect(receiver.spans.slice(before).some((s) => s.attributes['gateway.request_id'] === requestId)).toBe(false);
  });
});

describe('export edges', () => {
  it('sampleRatio 0 drops the traces the gateway starts but keeps those a client sampled; shutdown sends what is held', async () => {
    const rx = await startOtlpReceiver();
    const up = await startFakeUpstream();
    const g = await startTestGateway(up, { extra: { telemetry: { traces: { enabled: true, endpoint: rx.endpoint, sampleRatio: 0 } } } });
    try {
      const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      const headers = { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' };
      const own = await fetch(`${g.url}/v1/chat/completions`, { method: 'POST', headers, body });
      await own.text();
      const sampledParent = '00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const sampled = await fetch(`${g.url}/v1/chat/completions`, { method: 'POST', headers: { ...headers, traceparent: sampledParent }, body });
      await sampled.text();
      // Closed at once, well before the batch delay: shutdown itself must send the held spans.
      await g.close();
      const ids = new Set(rx.spans.map((s) => s.attributes['gateway.request_id']));
      expect(ids.has(sampled.headers.get('x-request-id'))).toBe(true);
      expect(ids.has(own.headers.get('x-request-id'))).toBe(false);
      expect(rx.spans.every((s) => s.traceId === '5bf92f3577b34da6a3ce929d0e0e4736')).toBe(true);
    } finally {
      await g.close();
      await up.close();
      await rx.close();
    }
  });

  it('a collector that refuses the export: one warning in the log, requests unaffected, its credentials not logged', async () => {
    const rx = await startOtlpReceiver();
    const up = await startFakeUpstream();
    const endpoint = rx.endpoint.replace('/v1/traces', '/wrong/path');
    const g = await startTestGateway(up, { extra: { telemetry: { traces: { enabled: true, endpoint, headers: { authorization: 'Bearer collector-secret' } } } } });
    try {
      const res = await g.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(res.choices[0]!.message.content).toBeTruthy();
      await g.runtime.tracing!.flush();
      expect(rx.posts.some((p) => p.path === '/wrong/path')).toBe(true);
      const warnings = g.logs.filter((l) => l.msg === 'trace export failed');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.collector).toBe(new URL(endpoint).host);
      expect(JSON.stringify(g.logs)).not.toContain('collector-secret');
    } finally {
      await g.close();
      await up.close();
      await rx.close();
    }
  });
});
