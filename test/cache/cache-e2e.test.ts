import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../../scripts/make-tiny-model.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { validateChunk, validateResponse } from '../fakes/openai-schemas.js';
import { OTHER_TEAM_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

const tiny = makeTinyModel('test/.tmp/models');
let upstream: FakeUpstream;
let gw: TestGateway;
const SHADOW_KEY = 'gw-shadow-key-0123456789abcdefghijklmnopqrstuv';
const PER_USER_KEY = 'gw-peruser-key-0123456789abcdefghijklmnopqrstu';

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    extra: {
      embeddings: { kind: 'local', model: tiny.model, modelDir: tiny.modelDir },
      cache: { mode: 'on', semantic: 'on', similarityThreshold: 0.9, ttlSeconds: 600, calibration: { minSamples: 0 } },
    },
    teams: {
      default: { allowedModels: ['*'] },
      other: { allowedModels: ['*'] },
      shadow: { allowedModels: ['*'], policy: { cache: { mode: 'shadow' } } },
      peruser: { allowedModels: ['*'], policy: { cache: { partitionBy: 'user' } } },
    },
    // One public name, two variants: a header sends the request to another model.
    routes: { chat: [{ when: { headers: { 'x-priority': 'high' } }, targets: ['claude-haiku-4-5'] }, { targets: ['gpt-4o-mini'] }] },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'other', team: 'other', key: OTHER_TEAM_KEY },
      { id: 'shadow', team: 'shadow', key: SHADOW_KEY },
      { id: 'peruser', team: 'peruser', key: PER_USER_KEY },
    ],
  });
  await gw.runtime.vectors.ready;
  expect(gw.runtime.vectors.embedder()).not.toBeNull();
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const settle = () => new Promise((r) => setTimeout(r, 150)); // cache writes happen after the response
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content }], temperature: 0, ...extra });

async function call(body: Record<string, unknown>, key = TEST_KEY, headers: Record<string, string> = {}) {
  const res = await gw.client({ apiKey: key }).chat.completions.create(body as never, { headers }).withResponse();
  return { data: res.data as any, cache: res.response.headers.get('x-gateway-cache'), similarity: res.response.headers.get('x-gateway-cache-similarity') };
}

describe('exact layer', () => {
  it('serves a repeat from the cache without calling the provider, as JSON and as a replayed stream', async () => {
    const first = await call(ask('Name three primary colours'));
    expect(first.cache).toBe('miss');
    await settle();
    const calls = upstream.requests.length;
    const second = await call(ask('Name three primary colours'));
    expect(second.cache).toBe('hit');
    validateResponse(second.data);
    expect(second.data.choices[0].message.content).toBe(first.data.choices[0].message.content);
    expect(second.data.id).not.toBe(first.data.id);

    const stream = await gw.client().chat.completions.create({ ...ask('Name three primary colours'), stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const c of stream) {
      validateChunk(c);
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe(first.data.choices[0].message.content);
    expect(usage).toBeTruthy();
    expect(upstream.requests.length).toBe(calls);
  });

  it('never answers across teams, system prompts, tools or parameters', async () => {
    await call(ask('What is two plus two'));
    await settle();
    expect((await call(ask('What is two plus two'), OTHER_TEAM_KEY)).cache).toBe('miss');
    expect((await call({ ...ask('What is two plus two'), messages: [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'What is two plus two' }] })).cache).toBe('miss');
    expect((await call(ask('What is two plus two', { temperature: 0.5 }))).cache).toBe('miss');
    expect((await call(ask('What is two plus two', { max_tokens: 5 }))).cache).toBe('miss');
    expect((await call(ask('What is two plus two', { tools: [{ type: 'function', function: { name: 'calc', parameters: { type: 'object', properties: {} } } }] }))).cache).toBe('miss');
    expect((await call(ask('What is two plus two'))).cache).toBe('hit');
  });

  it('never answers one route variant (one model) with another variant\'s answer under the same public name', async () => {
    const body = { ...ask('Name two noble gases'), model: 'chat' };
    expect((await call(body)).data.model).toBe('gpt-4o-mini');
    await settle();
    const high = await call(body, TEST_KEY, { 'x-priority': 'high' });
    expect(high.cache).toBe('miss');
    expect(high.data.model).toMatch(/^claude-haiku-4-5/);
    await settle();
    expect((await call(body, TEST_KEY, { 'x-priority': 'high' })).cache).toBe('hit');
    expect((await call(body)).cache).toBe('hit');
  });

  it('respects cache-control no-store / no-cache and the temperature ceiling', async () => {
    await call(ask('Tell me a fact about owls'));
    await settle();
    expect((await call(ask('Tell me a fact about owls'), TEST_KEY, { 'cache-control': 'no-store' })).cache).toBe('bypass');
    expect((await call(ask('Tell me a fact about owls'), TEST_KEY, { 'cache-control': 'no-cache' })).cache).toBe('bypass');
    expect((await call(ask('Tell me a fact about owls', { temperature: 1.5 }))).cache).toBe('bypass');
  });

  it('does not cache answers with tool calls, truncated answers, or aborted streams', async () => {
    const tools = { tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }], tool_choice: 'required' };
    await call(ask('Look up the weather', tools));
    await settle();
    expect((await call(ask('Look up the weather', tools))).cache).toBe('miss');

    await call(ask('Write a very long essay about the sea', { max_tokens: 2 }));
    await settle();
    expect((await call(ask('Write a very long essay about the sea', { max_tokens: 2 }))).cache).toBe('miss');

    upstream.enqueue({ chunkDelayMs: 100 });
    const ctl = new AbortController();
    const s = await gw.client().chat.completions.create({ ...ask('Describe the moon in detail please'), stream: true }, { signal: ctl.signal });
    for await (const _ of s) {
      ctl.abort();
      break;
    }
    await settle();
    expect((await call(ask('Describe the moon in detail please'))).cache).toBe('miss');
  });

  it('records a hit as saved cost, not charged', async () => {
    await call(ask('Spell the word cat'));
    await settle();
    await call(ask('Spell the word cat'));
    await settle();
    const line = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line.cache.status).toBe('hit');
    expect(line.costMicros ?? 0).toBe(0);
    const rows = await gw.runtime.store.queryUsage({ from: 0, to: Date.now() + 3_600_000, granularity: 'day', teamId: 'default' });
    const saved = rows.reduce((a, r: any) => a + r.savedMicros, 0);
    const hits = rows.reduce((a, r: any) => a + r.cacheHits, 0);
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(saved).toBeGreaterThan(0);
  });
});

describe('end users (the request `user` field)', () => {
  it('share the team\'s entries by default (partitionBy: team)', async () => {
    await call(ask('Name a large ocean', { user: 'alice' }));
    await settle();
    expect((await call(ask('Name a large ocean', { user: 'bob' }))).cache).toBe('hit');
  });

  it('with partitionBy: user never get another user\'s cached answer, exact or semantic', async () => {
    await call(ask('What is my account balance', { user: 'alice' }), PER_USER_KEY);
    await settle();
    expect((await call(ask('What is my account balance', { user: 'bob' }), PER_USER_KEY)).cache).toBe('miss');
    expect((await call(ask('what is my account balance', { user: 'carol' }), PER_USER_KEY)).cache).toBe('miss');
    expect((await call(ask('What is my account balance', { user: 'alice' }), PER_USER_KEY)).cache).toBe('hit');
  });
});

describe('semantic layer (real local embedder, tiny model)', () => {
  it('answers a paraphrase inside the same namespace with a similarity header', async () => {
    await call(ask('How do I reset my password on the portal?'));
    await settle();
    const para = await call(ask('how do i reset my password on the portal'));
    expect(para.cache).toBe('hit');
    expect(Number(para.similarity)).toBeGreaterThanOrEqual(0.9);
    expect((await call(ask('how do i reset my password on the portal'), OTHER_TEAM_KEY)).cache).toBe('miss');
  });

  it('shadow mode computes would-be hits and logs them without serving', async () => {
    await call(ask('Which planet is the largest?'), SHADOW_KEY);
    await settle();
    const again = await call(ask('Which planet is the largest?'), SHADOW_KEY);
    expect(again.cache).toBe('miss');
    const line = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line.cache).toMatchObject({ status: 'miss', shadow: { layer: 'exact' } });
    await call(ask('which planet is the largest'), SHADOW_KEY);
    const para = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(para.cache.shadow.layer).toBe('semantic');
    expect(para.cache.shadow.similarity).toBeGreaterThan(0.5);
    // The would-be hit was compared with the provider's answer: counted for the team, with what it would save.
    await settle();
    const metrics = await gw.runtime.metrics!.render();
    expect(metrics).toMatch(/gateway_cache_semantic_comparisons_total\{team="shadow",band="(0\.\d{3}|same)",outcome="(agree|disagree)"\} 1/);
    expect(metrics).toMatch(/gateway_cache_semantic_would_save_usd_total\{team="shadow",outcome="(agree|disagree)"\} \d/);
    expect((await gw.runtime.store.getCalibration('shadow'))[0]).toMatchObject({ samples: 1 });

    // The dashboard API shows the team its calibration: comparisons, how many would have been wrong, no serving.
    const view = async (key: string, team = '') =>
      fetch(`${gw.url}/dashboard/api/semantic${team ? `?team=${team}` : ''}`, { headers: { authorization: `Bearer ${key}` } });
    const res = await view(SHADOW_KEY);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ team: 'shadow', semantic: 'shadow', calibration: { precision: 0.999, minSamples: 0 } });
    expect(body.bands).toEqual([expect.objectContaining({ samples: 1, serving: false, embedder: gw.runtime.vectors.embedder()!.id })]);
    expect(body.bands[0].wrong + body.bands[0].agreed).toBe(1);
    // What serving would have saved: the compared call's cost, kept with the counts (all replicas see it).
    expect(body.totals).toEqual({ samples: 1, wrong: body.bands[0].wrong, wouldSaveMicros: body.bands[0].wouldSaveMicros });
    expect(body.bands[0].wouldSaveMicros).toBeGreaterThan(0);
    expect((await view(TEST_KEY, 'shadow')).status).toBe(404); // another team's calibration is not visible
  });
});
