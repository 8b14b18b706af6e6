/**
 * The budget hold is the worst case over every target a route may use: a request served (or failed over to) a
 * target whose price has another shape than the route's "dearest" one must not cost more than it held.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

let upstream: FakeUpstream | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await upstream?.close();
  gw = upstream = undefined;
});

describe('reservation worst case on a multi-target route', () => {
  it('holds at the price that is dearest for this request (output-heavy target), so concurrent requests never overspend', async () => {
    const budgets = [{ period: 'daily' as const, usd: '0.012' }]; // 12 000 µ$
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, {
      models: {
        // Input + output summed, 'input-heavy' looks dearer; for a short prompt with a long answer 'output-heavy' is.
        'input-heavy': { provider: 'openai', upstream: 'gpt-in', price: { input: '100', output: '1' }, contextWindow: 128000 },
        'output-heavy': { provider: 'openai', upstream: 'gpt-out', price: { input: '1', output: '99' }, contextWindow: 128000 },
      },
      routes: { pair: { targets: ['output-heavy', 'input-heavy'] } },
      teams: { default: { allowedModels: ['*'], budgets } },
    });
    const words = Array.from({ length: 20 }, () => 'a').join(' '); // the fake echoes it: 23 output tokens per choice
    const client = gw.client();
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => client.chat.completions.create({ model: 'pair', messages: [{ role: 'user', content: words }], max_tokens: 23, n: 5 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(0);
    const [status] = await gw.runtime.store.getBudgetStatus([{ scope: 'team:default', budgets: [{ period: 'daily', usdMicros: 12_000 }] }], { teamId: 'default' });
    expect(status!.reservedMicros).toBe(0);
    expect(status!.spentMicros).toBeLessThanOrEqual(12_000);
  });
});

describe('a USD budget and a model without a price', () => {
  it('refuses a pass-through model the price table does not list instead of serving it free of the USD budget', async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, {
      teams: { default: { allowedModels: ['*'], budgets: [{ period: 'monthly', usd: '1' }] }, other: { allowedModels: ['*'], budgets: [{ period: 'monthly', tokens: 100_000 }] } },
    });
    const ask = { model: 'openai/gpt-unlisted', messages: [{ role: 'user' as const, content: 'hello' }] };
    const err = await gw.client().chat.completions.create(ask).catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.error).toMatchObject({ code: 'model_not_allowed' });
    expect(err.message).toMatch(/no price/);
    expect(upstream.requests).toHaveLength(0);
    // A token budget needs no price: that team is served.
    const { OTHER_TEAM_KEY } = await import('../helpers/test-gateway.js');
    await expect(gw.client({ apiKey: OTHER_TEAM_KEY }).chat.completions.create(ask)).resolves.toMatchObject({ object: 'chat.completion' });
  });
});
