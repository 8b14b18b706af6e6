/**
 * POST /v1/messages to Anthropic targets, with @anthropic-ai/sdk against fake upstreams replaying recorded
 * transcripts: the client's body goes upstream as sent (thinking signatures, cache_control, every parameter),
 * the upstream's events come back as received, usage and cost are exact including cache reads and writes.
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../helpers/test-gateway.js';
import { anthropicClient, fixture, fixtureJson, sonnetCostMicros, SONNET_PRICE, sseEvents } from './messages-helpers.js';

const MODELS = {
  'claude-sonnet-4-20250514': { provider: 'anthropic', upstream: 'claude-sonnet-4-20250514', price: SONNET_PRICE, contextWindow: 200000 },
};

describe('POST /v1/messages to an Anthropic target', () => {
  const env = useTestGateway({ models: MODELS });
  const lastLog = () => env.gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;

  it('answers messages.create through the SDK, sending the gateway key nowhere and the provider key upstream', async () => {
    const msg = await anthropicClient(env.gw).messages.create({ model: 'claude-sonnet-4-20250514', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(msg.type).toBe('message');
    expect(msg.content[0].type).toBe('text');
    const up = env.upstream.requests.at(-1)!;
    expect(up.path).toBe('/v1/messages');
    expect(up.headers['x-api-key']).toBe('sk-ant-test-secret');
    expect(up.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(up.body).toEqual({ model: 'claude-sonnet-4-20250514', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(lastLog()).toMatchObject({ api: 'messages', status: 200, provider: 'anthropic' });
  });

  it('relays a thinking + tool_use stream event for event, byte for byte, and bills it exactly', async () => {
    const raw = fixture('thinking_signature_tool_use.sse');
    env.upstream.enqueue({ sse: raw });
    const request = fixtureJson('thinking_signature_tool_use.request.json');
    const res = await fetch(`${env.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': (await import('../helpers/test-gateway.js')).TEST_KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14' },
      body: JSON.stringify(request),
    });
    expect(res.status).toBe(200);
    const got = sseEvents(await res.text());
    const want = sseEvents(raw);
    expect(got).toEqual(want);
    const up = env.upstream.requests.at(-1)!;
    expect(up.body).toEqual(request);
    expect(up.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    const start = JSON.parse(want.find((e) => e.event === 'message_start')!.data).message.usage;
    const delta = JSON.parse(want.find((e) => e.event === 'message_delta')!.data).usage;
    const usage = { ...start, ...Object.fromEntries(Object.entries(delta).filter(([, v]) => v != null)) };
    expect(lastLog().costMicros).toBe(Math.round(sonnetCostMicros(usage)));
  });

  it('gives the SDK thinking blocks with signatures and tool_use input from messages.stream', async () => {
    env.upstream.enqueue({ sse: fixture('thinking_signature_tool_use.sse') });
    const request = fixtureJson('thinking_signature_tool_use.request.json');
    const stream = anthropicClient(env.gw).messages.stream({ ...request, stream: undefined });
    const final = await stream.finalMessage();
    const thinking = final.content.find((b) => b.type === 'thinking');
    expect(thinking && thinking.type === 'thinking' && thinking.signature.length).toBeGreaterThan(20);
    const tool = final.content.find((b) => b.type === 'tool_use');
    expect(tool && tool.type === 'tool_use' && tool.input).toBeTruthy();
  });
});
