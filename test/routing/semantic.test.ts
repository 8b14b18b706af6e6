/**
 * Semantic routes: rule examples embedded once at start, the prompt's nearest rule above the threshold wins,
 * else the default targets; no embedder or a failing one → default. Ends with real adapters against the fake
 * upstream, so the chosen target is the one that answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelCatalog } from '../../src/routing/catalog.js';
import { createExecutor } from '../../src/routing/executor.js';
import { createAdapter } from '../../providers/index.js';
import type { ProviderAdapter } from '../../providers/types.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { request, team, testConfig, wordEmbedder } from './helpers.js';

const routes = {
  assistant: {
    strategy: 'semantic',
    threshold: 0.35,
    targets: ['gpt-4o-mini'],
    rules: [
      { name: 'code', examples: ['write a python function', 'fix this javascript bug', 'why does my rust code not compile'], targets: ['openai/gpt-4.1'] },
      { name: 'legal', examples: ['review this contract clause', 'is this lease agreement enforceable'], targets: ['claude-haiku-4-5'] },
    ],
  },
};

const ask = (content: string) => request({ messages: [{ role: 'system', content: 'You help.' }, { role: 'user', content }] });

describe('semantic strategy', () => {
  it('embeds the rule examples once, then one embedding per request; picks the nearest rule', async () => {
    const embedder = wordEmbedder();
    const catalog = createModelCatalog(testConfig({ routes }), { embedder });
    await catalog.ready();
    expect(embedder.calls).toBe(1);
    const route = async (text: string) => {
      const m = catalog.resolve('assistant', team());
      const order = await m.plan(ask(text));
      return { first: order[0]!.upstreamModel, order: order.map((t) => t.upstreamModel), rule: m.decision.rule };
    };
    expect(await route('please write a python function that sorts a list')).toMatchObject({ first: 'gpt-4.1', rule: 'code', order: ['gpt-4.1', 'gpt-4o-mini'] });
    expect(await route('can you review this contract clause for me')).toMatchObject({ first: 'claude-haiku-4-5', rule: 'legal' });
    expect(await route('what a lovely sunny morning')).toMatchObject({ first: 'gpt-4o-mini', rule: 'default', order: ['gpt-4o-mini'] });
    expect(embedder.calls).toBe(4);
  });

  it('the threshold decides between a weak match and the default', async () => {
    const strict = { assistant: { ...routes.assistant, threshold: 0.95 } };
    const catalog = createModelCatalog(testConfig({ routes: strict }), { embedder: wordEmbedder() });
    await catalog.ready();
    const m = catalog.resolve('assistant', team());
    expect((await m.plan(ask('please write a python function that sorts a list')))[0]!.upstreamModel).toBe('gpt-4o-mini');
    expect(m.decision.rule).toBe('default');
    expect(m.decision.similarity).toBeGreaterThan(0.35);
  });

  it('without an embedder, or when embedding fails, the default targets serve', async () => {
    const none = createModelCatalog(testConfig({ routes }), { embedder: null });
    expect((await none.resolve('assistant', team()).plan(ask('write a python function')))[0]!.upstreamModel).toBe('gpt-4o-mini');

    const warnings: unknown[] = [];
    const broken = { ...wordEmbedder(), embed: async () => Promise.reject(new Error('model gone')) };
    const failing = createModelCatalog(testConfig({ routes }), { embedder: broken, logger: { warn: (o) => warnings.push(o) } });
    await failing.ready();
    const m = failing.resolve('assistant', team());
    expect((await m.plan(ask('write a python function')))[0]!.upstreamModel).toBe('gpt-4o-mini');
    expect(warnings).toHaveLength(1);
  });
});

it('an embedder still loading: default targets until it is ready, then rules apply', async () => {
  let resolve!: (e: ReturnType<typeof wordEmbedder>) => void;
  const loading = new Promise<ReturnType<typeof wordEmbedder>>((r) => (resolve = r));
  const catalog = createModelCatalog(testConfig({ routes }), { embedder: loading });
  const first = async () => (await catalog.resolve('assistant', team()).plan(ask('write a python function')))[0]!.upstreamModel;
  expect(await first()).toBe('gpt-4o-mini');
  resolve(wordEmbedder());
  await catalog.ready();
  expect(await first()).toBe('gpt-4.1');
});

describe('semantic route end to end (real adapters, fake upstream)', () => {
  let upstream: FakeUpstream;
  const adapters = new Map<string, ProviderAdapter>();
  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await Promise.all([...adapters.values()].map((a) => a.close()));
    await upstream.close();
  });

  it('the rule-chosen target answers; streaming too', async () => {
    const config = testConfig({ routes }, upstream);
    for (const [name, p] of Object.entries(config.providers)) adapters.set(name, createAdapter({ name, ...p }));
    const catalog = createModelCatalog(config, { embedder: wordEmbedder() });
    await catalog.ready();
    const executor = createExecutor(adapters);
    const signal = new AbortController().signal;

    const attempts: never[] = [];
    const legal = ask('is this lease agreement enforceable in court');
    const done = await executor.complete(legal, catalog.resolve('assistant', team()), signal, attempts);
    expect(done.target.upstreamModel).toBe('claude-haiku-4-5');
    expect(upstream.requests.at(-1)!.path).toBe('/v1/messages');
    expect(done.response.choices[0]!.message.content).toBeTruthy();

    const code = request({ stream: true, messages: [{ role: 'user', content: 'fix this javascript bug please' }] });
    const opened = await executor.openStream(code, catalog.resolve('assistant', team()), signal, []);
    expect(opened.target.upstreamModel).toBe('gpt-4.1');
    expect(upstream.requests.at(-1)!.body.model).toBe('gpt-4.1');
    let text = opened.first.done ? '' : (opened.first.value.choices[0]?.delta?.content ?? '');
    for (let r = await opened.iterator.next(); !r.done; r = await opened.iterator.next()) text += r.value.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
  });
});
