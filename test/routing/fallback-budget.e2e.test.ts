/**
 * A route's `contextFallback` is a target the request may end up on: the budget hold must cover its price, or a
 * team whose requests fall back to a dearer model spends past its budget.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

let upstream: FakeUpstream;
let gw: TestGateway;

const BUDGET_USD = 0.015;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    models: {
      // Output dominates the cost, so the provider's prompt count (a little above our estimate) barely matters.
      big: { provider: 'openai', upstream: 'gpt-big', price: { input: '1', output: '1000' }, contextWindow: 1000000 },
    },
    routes: { docs: { targets: ['gpt-4o-mini'], contextFallback: 'big' } },
    teams: { default: { allowedModels: ['*'], budgets: [{ period: 'monthly', usd: String(BUDGET_USD) }] } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const contextTooLong = {
  status: 400,
  json: { error: { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } },
};

it('the budget hold covers the contextFallback target: requests served by it never spend past the budget', async () => {
  const client = gw.client();
  let served = 0;
  for (let i = 0; i < 6; i++) {
    upstream.reset();
    upstream.enqueue(contextTooLong);
    const r = await client.chat.completions
      .create({ model: 'docs', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 })
      .withResponse()
      .catch((e) => e);
    if (r instanceof Error) {
      expect((r as any).status).toBe(429);
      break;
    }
    expect(r.response.headers.get('x-gateway-model')).toBe('gpt-big');
    served++;
  }
  expect(served).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, 50));
  const rows = await gw.runtime.store.queryUsage({ from: 0, to: Date.now() + 3_600_000, granularity: 'day' });
  const spentMicros = rows.reduce((a, r: any) => a + r.costMicros, 0);
  expect(spentMicros).toBeLessThanOrEqual(BUDGET_USD * 1e6);
});
