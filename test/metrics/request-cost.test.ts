/**
 * Per-request cost (issue 21.5): every answer of the chat pipeline says what it cost — `x-gateway-cost-usd` on
 * JSON answers, errors and cache hits; the usage chunk (`usage.gateway_cost_usd`) of a stream, whose headers
 * leave before the cost is known — and the log line and the ledger carry the same figure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

let upstream: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, { teams: { default: { allowedModels: ['*'], policy: { cache: { mode: 'on', semantic: false } } } } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const chat = (body: Record<string, unknown>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', ...body }),
  });
const logOf = async (reqId: string) => {
  for (let i = 0; i < 50; i++) {
    const line = gw.logs.find((l) => l.msg === 'chat completion' && l.reqId === reqId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no log line for ${reqId}`);
};
const usd = (micros: number) => (micros / 1e6).toFixed(6);

describe('x-gateway-cost-usd', () => {
  it("a JSON answer carries its cost, the figure settlement charged (log line), at the model's price", async () => {
    const res = await chat({ messages: [{ role: 'user', content: 'what does this cost? (json)' }] });
    expect(res.status).toBe(200);
    const header = res.headers.get('x-gateway-cost-usd')!;
    expect(header).toMatch(/^\d+\.\d{6}$/);
    expect(Number(header)).toBeGreaterThan(0);
    const line = await logOf(res.headers.get('x-request-id')!);
    expect(line.costUsd).toBe(header);
    expect(usd(line.costMicros)).toBe(header);
    // The usage the body reports, priced at gpt-4o-mini's list price ($0.15 / $0.60 per 1M tokens).
    const { usage } = await res.json();
    const expected = Math.round(usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6);
    expect(Math.abs(line.costMicros - expected)).toBeLessThanOrEqual(1);
  });

  it('a stream reports it in its usage chunk (usage.gateway_cost_usd) and the log line, the same figure', async () => {
    const res = await chat({ stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream cost' }] });
    expect(res.status).toBe(200);
    const frames = (await res.text()).split('\n\n').filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)));
    const usageChunk = frames.find((f) => f.usage);
    expect(usageChunk.usage.gateway_cost_usd).toMatch(/^\d+\.\d{6}$/);
    const line = await logOf(res.headers.get('x-request-id')!);
    expect(usageChunk.usage.gateway_cost_usd).toBe(line.costUsd);
    expect(Number(line.costUsd)).toBeGreaterThan(0);
  });

  it('an error answer costs 0.000000, and a cache hit 0.000000 (the provider was not called)', async () => {
    const body = { messages: [{ role: 'user', content: 'cache me please' }], temperature: 0 };
    const first = await chat(body);
    expect(Number(first.headers.get('x-gateway-cost-usd'))).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100)); // the cache write runs after the answer
    const hit = await chat(body);
    expect(hit.headers.get('x-gateway-cache')).toBe('hit');
    expect(hit.headers.get('x-gateway-cost-usd')).toBe('0.000000');
    upstream.enqueue({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const failed = await chat({ messages: [{ role: 'user', content: 'fails upstream' }] });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.headers.get('x-gateway-cost-usd')).toBe('0.000000');
    const unknown = await chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-gateway-cost-usd')).toBe('0.000000');

  });
});
