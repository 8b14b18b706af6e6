/**
 * Circuit breakers through a real gateway (OpenAI SDK client, fake upstream): a failing target is skipped once
 * its breaker opens, gets one probe after the cool-down, and is used again once the probe succeeds.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

let upstream: FakeUpstream;
let gw: TestGateway;
const OPEN_MS = 400;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    routes: {
      // Each mode gets its own primary target, so their breakers are independent.
      'fragile-complete': { targets: ['openai/gpt-4o', 'claude-haiku-4-5'], retry: { retries: 0 } },
      'fragile-stream': { targets: ['openai/gpt-4o-2024-08-06', 'claude-haiku-4-5'], retry: { retries: 0 } },
      'lonely-complete': { targets: ['openai/gpt-4.1-nano'], retry: { retries: 0 } },
      'lonely-stream': { targets: ['openai/gpt-4.1-mini'], retry: { retries: 0 } },
    },
    extra: { routing: { providers: { openai: { breaker: { failureThreshold: 2, openMs: OPEN_MS } } } } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const paths = () => upstream.requests.map((r) => (r.path === '/v1/messages' ? 'anthropic' : 'openai'));
const stateOf = (model: string) => gw.runtime.catalog.breakerStates().find((b) => b.provider === 'openai' && b.model === model)?.state;

async function call(model: string, stream: boolean) {
  const { data, response } = await gw
    .client()
    .chat.completions.create({ model, stream, messages: [{ role: 'user', content: 'hello there' }] } as never)
    .withResponse();
  if (stream) for await (const _ of data as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>);
  return response.headers.get('x-gateway-provider');
}

describe.each([
  ['non-streaming', false, 'gpt-4o', 'complete'],
  ['streaming', true, 'gpt-4o-2024-08-06', 'stream'],
] as const)('%s', (_mode, stream, primary, suffix) => {
  const route = `fragile-${suffix}`;

  it('opens after the failure count, skips the target, half-opens, closes on a good probe', async () => {
    expect(stateOf(primary)).toBe('closed');
    upstream.enqueue({ status: 500 }, {}, { status: 502 });
    expect(await call(route, stream)).toBe('anthropic');
    expect(await call(route, stream)).toBe('anthropic');
    expect(stateOf(primary)).toBe('open');

    // Open: the failing target is not even asked.
    upstream.reset();
    expect(await call(route, stream)).toBe('anthropic');
    expect(paths()).toEqual(['anthropic']);

    await sleep(OPEN_MS + 50);
    expect(stateOf(primary)).toBe('half_open');
    upstream.reset();
    expect(await call(route, stream)).toBe('openai'); // the probe, answered well
    expect(paths()).toEqual(['openai']);
    expect(stateOf(primary)).toBe('closed');
  });

  it('a failed probe opens the breaker again', async () => {
    upstream.enqueue({ status: 500 }, {}, { status: 500 });
    await call(route, stream);
    await call(route, stream);
    expect(stateOf(primary)).toBe('open');
    await sleep(OPEN_MS + 50);
    upstream.reset();
    upstream.enqueue({ status: 503 });
    expect(await call(route, stream)).toBe('anthropic');
    expect(paths()).toEqual(['openai', 'anthropic']);
    expect(stateOf(primary)).toBe('open');
    await sleep(OPEN_MS + 50); // leave it closed for the next run
    await call(route, stream);
    expect(stateOf(primary)).toBe('closed');
  });

  it('when every target is open: 503 with retry-after, no upstream request', async () => {
    const lonely = `lonely-${suffix}`;
    upstream.enqueue({ status: 500 }, { status: 500 });
    for (let i = 0; i < 2; i++) await expect(call(lonely, stream)).rejects.toMatchObject({ status: 502 });
    upstream.reset();
    const err = await call(lonely, stream).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(503);
    expect(err.error?.code ?? err.code).toBe('upstream_unavailable');
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(upstream.requests).toHaveLength(0);
  });
});
