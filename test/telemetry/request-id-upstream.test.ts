/**
 * Tracing off (the default): nothing is exported and no span context is invented, but every provider request
 * carries the gateway's `x-request-id`, and a client's own `traceparent`/`tracestate` pass through unchanged
 * (docs/operations.md "Traces").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';

let upstream: FakeUpstream;
let receiver: OtlpReceiver;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  receiver = await startOtlpReceiver();
  // Off, though an endpoint is configured: nothing may reach it.
  gw = await startTestGateway(upstream, {
    routes: { resilient: { targets: ['claude-haiku-4-5', 'openai/gpt-4o-mini'] } },
    models: {
      'text-embedding-3-small': { provider: 'openai', upstream: 'text-embedding-3-small', price: { input: '0.02', output: '0' }, contextWindow: 8192 },
    },
    extra: { telemetry: { traces: { enabled: false, endpoint: receiver.endpoint } } } });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await receiver?.close();
});

async function send(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await res.text();
  return { status: res.status, requestId: res.headers.get('x-request-id')! };
}

describe('request id upstream, tracing off', () => {
  it('every provider request carries the x-request-id the client got back; no traceparent is invented', async () => {
    const { status, requestId } = await send('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(status).toBe(200);
    expect(requestId).toMatch(/^req_/);
    const sent = upstream.requests.filter((r) => r.headers['x-request-id'] === requestId);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers.traceparent).toBeUndefined();
    expect(gw.runtime.tracing).toBeUndefined();
  });

  it('a client-chosen request id is forwarded as chosen, to Anthropic too, on every attempt of a failover', async () => {
    upstream.enqueue({ status: 529 });
    const { status, requestId } = await send(
      '/v1/chat/completions',
      { model: 'resilient', messages: [{ role: 'user', content: 'hi' }] },
      { 'x-request-id': 'client-chosen-42' },
    );
    expect(status).toBe(200);
    expect(requestId).toBe('client-chosen-42');
    const sent = upstream.requests.filter((r) => r.headers['x-request-id'] === 'client-chosen-42');
    expect(sent.length).toBe(2);
    expect(sent.map((r) => r.path)).toEqual(['/v1/messages', '/v1/chat/completions']);
  });

  it("a streamed request forwards the client's traceparent and tracestate unchanged; a malformed one is dropped", async () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const a = await send('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { traceparent: parent, tracestate: 'rojo=00f067aa0ba902b7' });
    expect(a.status).toBe(200);
    const sentA = upstream.requests.find((r) => r.headers['x-request-id'] === a.requestId)!;
    expect(sentA.headers.traceparent).toBe(parent);
    expect(sentA.headers.tracestate).toBe('rojo=00f067aa0ba902b7');

    const b = await send('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { traceparent: 'not-a-trace-parent' });
    expect(b.status).toBe(200);
    const sentB = upstream.requests.find((r) => r.headers['x-request-id'] === b.requestId)!;
    expect(sentB.headers.traceparent).toBeUndefined();
  });

  it.each([
    ['/v1/messages', { model: 'claude-haiku-4-5', max_tokens: 40, messages: [{ role: 'user', content: 'hi' }] }, '/v1/messages'],
    ['/v1/messages', { model: 'claude-haiku-4-5', max_tokens: 40, stream: true, messages: [{ role: 'user', content: 'hi' }] }, '/v1/messages'],
    ['/v1/responses', { model: 'gpt-4o-mini', input: 'hi' }, '/v1/chat/completions'],
    ['/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' }, '/v1/embeddings'],
  ])('%s carries the request id upstream too', async (path, body, upstreamPath) => {
    const { status, requestId } = await send(path, body);
    expect(status).toBe(200);
    const sent = upstream.requests.filter((r) => r.headers['x-request-id'] === requestId);
    expect(sent.map((r) => r.path)).toEqual([upstreamPath]);
  });

  it('turning tracing on takes a restart: a reload warns and changes nothing', async () => {
    const current = gw.runtime.config;
    gw.runtime.reload({ ...current, telemetry: { traces: { ...current.telemetry.traces, enabled: true } } });
    expect(gw.logs.some((l) => l.setting === 'telemetry' && l.level === 40)).toBe(true);
    expect(gw.runtime.tracing).toBeUndefined();
    const { requestId } = await send('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'after reload' }] });
    expect(upstream.requests.find((r) => r.headers['x-request-id'] === requestId)!.headers.traceparent).toBeUndefined();
  });

  it('nothing is sent to the collector', async () => {
    // Longer than the exporter's batch delay (1 s), had it been running.
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.posts).toHaveLength(0);
  });
});
