/** Route strategies and conditions, through the catalog as the pipeline uses it (`resolve`, then `plan`). */
import { describe, expect, it } from 'vitest';
import { createModelCatalog } from '../../src/routing/catalog.js';
import { GatewayError } from '../../src/core/errors.js';
import { request, seeded, team, testConfig } from './helpers.js';

const models = {
  'nano-text': { provider: 'openai', upstream: 'gpt-4.1-nano', price: { input: '0.10', output: '0.40' }, contextWindow: 8000, capabilities: ['streaming'] },
  'mini-tools': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000, capabilities: ['tools', 'json', 'streaming'] },
  'haiku-all': { provider: 'anthropic', upstream: 'claude-haiku-4-5', price: { input: '1', output: '5' }, contextWindow: 200000 },
};

const ids = (ts: readonly { provider: string; upstreamModel: string }[]) => ts.map((t) => t.upstreamModel);

describe('weighted', () => {
  it('sends each target its share of the first attempts, and fails over along the weights', async () => {
    const catalog = createModelCatalog(
      testConfig({ routes: { w: { strategy: 'weighted', targets: [{ model: 'gpt-4o-mini', weight: 3 }, { model: 'claude-haiku-4-5', weight: 1 }] } } }),
      { random: seeded(42) },
    );
    const counts: Record<string, number> = {};
    const N = 4000;
    for (let i = 0; i < N; i++) {
      const order = await catalog.resolve('w', team()).plan(request({}));
      expect(order).toHaveLength(2); // the other target is always the failover
      counts[order[0]!.upstreamModel] = (counts[order[0]!.upstreamModel] ?? 0) + 1;
    }
    // 3:1 → 75 % ± 3 points (binomial sd at N=4000 is 0.7 points)
    expect(counts['gpt-4o-mini']! / N).toBeGreaterThan(0.72);
    expect(counts['gpt-4o-mini']! / N).toBeLessThan(0.78);
  });

  it('weight 0 is only a last resort', async () => {
    const catalog = createModelCatalog(
      testConfig({ routes: { w: { strategy: 'weighted', targets: [{ model: 'gpt-4o-mini', weight: 0 }, 'claude-haiku-4-5'] } } }),
    );
    for (let i = 0; i < 50; i++) expect(ids(await catalog.resolve('w', team()).plan(request({})))).toEqual(['claude-haiku-4-5', 'gpt-4o-mini']);
  });
});

describe('cost', () => {
  const catalog = createModelCatalog(testConfig({ models, routes: { c: { strategy: 'cost', targets: ['haiku-all', 'mini-tools', 'nano-text'] } } }));
  const plan = (body: Record<string, unknown>, promptTokens?: number) =>
    catalog.resolve('c', team(), undefined, { promptTokens: promptTokens === undefined ? undefined : () => promptTokens }).plan(request(body));

  it('plain text: cheapest first, then by price', async () => {
    expect(ids(await plan({}))).toEqual(['gpt-4.1-nano', 'gpt-4o-mini', 'claude-haiku-4-5']);
  });
  it('tools: the cheapest model that supports tools; models without are left out', async () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    expect(ids(await plan({ tools }))).toEqual(['gpt-4o-mini', 'claude-haiku-4-5']);
  });
  it('images: only a vision model', async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }];
    expect(ids(await plan({ messages }))).toEqual(['claude-haiku-4-5']);
  });
  it('JSON mode', async () => {
    expect(ids(await plan({ response_format: { type: 'json_object' } }))).toEqual(['gpt-4o-mini', 'claude-haiku-4-5']);
  });
  it('context: a prompt larger than a window skips that model (estimated from the request when not given)', async () => {
    expect(ids(await plan({}, 20_000))).toEqual(['gpt-4o-mini', 'claude-haiku-4-5']);
    expect(ids(await plan({ max_tokens: 7_999 }))).toEqual(['gpt-4o-mini', 'claude-haiku-4-5']);
    const long = 'lorem ipsum dolor sit amet '.repeat(3000); // ~15k tokens, counted by the catalog itself
    expect(ids(await plan({ messages: [{ role: 'user', content: long }] }))).toEqual(['gpt-4o-mini', 'claude-haiku-4-5']);
    expect(ids(await plan({}, 150_000))).toEqual(['claude-haiku-4-5']);
  });
});

describe('latency', () => {
  it('fastest measured first, unmeasured first of all; averages move with new samples', async () => {
    const catalog = createModelCatalog(testConfig({ routes: { l: { strategy: 'latency', explore: 0, targets: ['gpt-4o-mini', 'claude-haiku-4-5'] } } }));
    const m = catalog.resolve('l', team());
    const [a, b] = m.targets;
    m.health.success(a!, 'closed', 300, true);
    expect(ids(await m.plan(request({ stream: true })))).toEqual(['claude-haiku-4-5', 'gpt-4o-mini']); // b unmeasured
    m.health.success(b!, 'closed', 100, true);
    expect(ids(await m.plan(request({ stream: true })))).toEqual(['claude-haiku-4-5', 'gpt-4o-mini']);
    for (let i = 0; i < 8; i++) m.health.success(b!, 'closed', 900, true);
    expect(ids(await m.plan(request({ stream: true })))).toEqual(['gpt-4o-mini', 'claude-haiku-4-5']);
    // Streaming and non-streaming times are kept apart: nothing measured yet for non-streaming.
    m.health.success(b!, 'closed', 50, false);
    expect(ids(await m.plan(request({})))).toEqual(['gpt-4o-mini', 'claude-haiku-4-5']);
  });
});

describe('conditions', () => {
  const catalog = createModelCatalog(
    testConfig({
      routes: {
        chat: [
          { when: { teams: ['research'] }, targets: ['claude-haiku-4-5'] },
          { when: { headers: { 'X-Priority': 'high' } }, targets: ['openai/gpt-4.1'] },
          { when: { metadata: { tier: ['gold', 'platinum'] } }, targets: ['openai/gpt-4o'] },
          { when: { minPromptTokens: 1000 }, targets: ['openai/gpt-4.1-mini'] },
          { targets: ['gpt-4o-mini'] },
        ],
        'research-only': { when: { teams: ['research'] }, targets: ['claude-haiku-4-5'] },
      },
    }),
  );
  const first = (t = team(), opts = {}) => catalog.resolve('chat', t, undefined, opts).targets[0]!.upstreamModel;

  it('select a variant by team, header, metadata and prompt size; the first match wins', () => {
    expect(first()).toBe('gpt-4o-mini');
    expect(first(team('research'))).toBe('claude-haiku-4-5');
    expect(first(team(), { headers: { 'x-priority': 'high' } })).toBe('gpt-4.1');
    expect(first(team(), { headers: { 'x-priority': 'low' } })).toBe('gpt-4o-mini');
    expect(first(team(), { request: request({ metadata: { tier: 'platinum' } }) })).toBe('gpt-4o');
    expect(first(team(), { metadata: { tier: 'bronze' } })).toBe('gpt-4o-mini');
    expect(first(team(), { promptTokens: () => 5000 })).toBe('gpt-4.1-mini');
    expect(first(team(), { request: request({ messages: [{ role: 'user', content: 'word '.repeat(2000) }] }) })).toBe('gpt-4.1-mini');
    expect(first(team('research'), { headers: { 'x-priority': 'high' } })).toBe('claude-haiku-4-5');
    expect(catalog.resolve('chat', team()).decision.route).toBe('chat[4]');
  });

  it('no matching variant: 404 model_not_found', () => {
    expect(() => catalog.resolve('research-only', team())).toThrow(GatewayError);
    expect(catalog.resolve('research-only', team('research')).targets).toHaveLength(1);
  });

  it('routes are listed and honour allowed models', () => {
    expect(catalog.list(team()).map((m) => m.id)).toEqual(expect.arrayContaining(['chat', 'research-only', 'gpt-4o-mini']));
    expect(catalog.list(team('x', ['gpt-4o-mini'])).map((m) => m.id)).toEqual(['gpt-4o-mini']);
    expect(() => catalog.resolve('chat', team('x', ['gpt-4o-mini']))).toThrow(/not allowed/);
  });
});

describe('config validation', () => {
  it('rejects a route naming an unknown model or provider, with the path', () => {
    expect(() => testConfig({ routes: { r: { targets: ['nope'] } } })).toThrow(/routes.*r.*targets/s);
    expect(() => testConfig({ routes: { r: { targets: [{ provider: 'azure', model: 'x' }] } } })).toThrow(/unknown provider \\"azure/);
    expect(() => testConfig({ routes: { r: { strategy: 'semantic', targets: ['gpt-4o-mini'] } } })).toThrow(/needs `rules`/);
  });
});
