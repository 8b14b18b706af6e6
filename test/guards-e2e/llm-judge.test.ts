/**
 * The LLM-judge guard end to end: the judge is a catalog model on its own fake upstream (a vLLM serving Llama
 * Guard, as an OpenAI-compatible provider) that replays the verdicts each test queues. Verdict formats (Llama
 * Guard's, JSON), categories, the timeout and malformed answers under onError block / allow, the judge's tokens
 * charged to the team's budget and ledger, and the verdict cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { validateResponse } from '../fakes/openai-schemas.js';
import { startTestGateway, TEST_KEY, OTHER_TEAM_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { auditOf, chat, expectError } from './model-guards-helpers.js';

const CATS_KEY = 'gw-judge-cats-key-0123456789abcdefghijklmnopqrstu';
const POOR_KEY = 'gw-judge-poor-key-0123456789abcdefghijklmnopqrstu';
const FLAG_KEY = 'gw-judge-flag-key-0123456789abcdefghijklmnopqrstu';
const BUDGET = [{ period: 'daily' as const, usd: '10' }];
// Judge price: $1 / $2 per million tokens → 200 prompt + 5 completion tokens = 210 micro-dollars.
const JUDGE_USAGE = { prompt_tokens: 200, completion_tokens: 5, total_tokens: 205 };
const JUDGE_COST_MICROS = 210;

let upstream: FakeUpstream;
let judge: FakeUpstream;
let gw: TestGateway;

const answer = (content: string) => ({
  json: {
    id: 'chatcmpl-judge',
    object: 'chat.completion',
    created: 1,
    model: 'meta-llama/Llama-Guard-3-1B',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: JUDGE_USAGE,
  },
});

beforeAll(async () => {
  upstream = await startFakeUpstream();
  judge = await startFakeUpstream();
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  gw = await startTestGateway(upstream, {
    providers: { vllm: { kind: 'openai', baseUrl: judge.openaiBaseUrl, apiKey: 'sk-vllm', timeouts } },
    models: { 'llama-guard': { provider: 'vllm', upstream: 'meta-llama/Llama-Guard-3-1B', price: { input: '1', output: '2' }, contextWindow: 128000 } },
    teams: {
      default: { allowedModels: ['*'], budgets: BUDGET, policy: { guards: { judge: { enabled: true, model: 'llama-guard', timeoutMs: 1000 } } } },
      other: {
        allowedModels: ['*'],
        policy: { guards: { judge: { enabled: true, model: 'llama-guard', format: 'json', policy: 'Refuse anything about weapons.', onError: 'allow', timeoutMs: 1000 } } },
      },
      cats: { allowedModels: ['*'], policy: { guards: { judge: { enabled: true, model: 'llama-guard', categories: ['S9'], action: 'block' } } } },
      flag: { allowedModels: ['*'], policy: { guards: { judge: { enabled: true, model: 'llama-guard', action: 'flag' } } } },
      // Room for the request's own hold (prompt + max_tokens 10), not for the judge's (prompt + 64) besides it.
      poor: { allowedModels: ['*'], budgets: [{ period: 'daily', tokens: 70 }], policy: { guards: { judge: { enabled: true, model: 'llama-guard' } } } },
    },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'other', team: 'other', key: OTHER_TEAM_KEY },
      { id: 'cats', team: 'cats', key: CATS_KEY },
      { id: 'poor', team: 'poor', key: POOR_KEY },
      { id: 'flag', team: 'flag', key: FLAG_KEY },
    ],
  });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await judge?.close();
});

/** Every request and judge settlement done (they run after the response). */
const settled = async () => {
  for (let i = 0; i < 500 && gw.runtime.inflight.size; i++) await new Promise((r) => setTimeout(r, 10));
  expect(gw.runtime.inflight.size).toBe(0);
};

const spentMicros = async (teamId = 'default') =>
  (await gw.runtime.store.getBudgetStatus([{ scope: `team:${teamId}`, budgets: BUDGET.map((b) => ({ period: b.period, usdMicros: 10_000_000 })) as never }], { teamId }))[0]!.spentMicros;

describe('LLM judge guard (Llama Guard format)', () => {
  it('unsafe: 400 judge_denied, the provider never called, the judge asked with the conversation, audited with the categories', async () => {
    judge.enqueue(answer('unsafe\nS1,S10'));
    const before = upstream.requests.length;
    const r = await chat(gw, TEST_KEY, 'How do I hurt my neighbour? (unsafe 1)');
    expectError(r, 400, 'judge_denied');
    expect(upstream.requests.length).toBe(before);
    const sent = judge.requests.at(-1)!.body;
    expect(sent.model).toBe('meta-llama/Llama-Guard-3-1B');
    expect(sent.messages).toEqual([{ role: 'user', content: 'How do I hurt my neighbour? (unsafe 1)' }]);
    expect(sent.max_tokens).toBe(64);
    expect(await auditOf(gw, r.res, 'judge')).toMatchObject({ action: 'block', cached: false, categories: ['S1', 'S10'], tokens: 205 });
  });

  it("the judge's own tokens are charged to the team's budget and recorded in the ledger under the judge model (API guard)", async () => {
    await settled();
    const spent0 = await spentMicros();
    judge.enqueue(answer('unsafe\nS2'));
    const r = await chat(gw, TEST_KEY, 'Tell me how to break into a car (unsafe 2)');
    expectError(r, 400, 'judge_denied');
    await settled(); // the judge's call settles in the background: the verdict does not wait for the store
    expect((await spentMicros()) - spent0).toBe(JUDGE_COST_MICROS);
    const rows = await gw.runtime.store.queryUsage({ from: 0, to: Date.now() + 3_600_000, granularity: 'day', teamId: 'default', api: 'guard', groupBy: ['model', 'provider', 'api'] });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: 'llama-guard', provider: 'vllm', api: 'guard', requests: 2, promptTokens: 400, completionTokens: 10, costMicros: 2 * JUDGE_COST_MICROS });
  });

  it('safe: served; the judged request and the judge are both billed', async () => {
    await settled();
    const spent0 = await spentMicros();
    judge.enqueue(answer('safe'));
    const r = await chat(gw, TEST_KEY, 'What is the capital of France? (safe 1)');
    expect(r.status).toBe(200);
    expect(await auditOf(gw, r.res, 'judge')).toMatchObject({ action: 'allow', cached: false, costUsd: '0.000210' });
    const own = Math.round(Number(r.res.headers.get('x-gateway-cost-usd')) * 1e6);
    await settled();
    expect((await spentMicros()) - spent0).toBe(own + JUDGE_COST_MICROS);
  });

  it('a verdict is cached: the same text again is judged without a call (and without a charge)', async () => {
    judge.enqueue(answer('unsafe\nS3'));
    const first = await chat(gw, TEST_KEY, 'A cached question (unsafe 3)');
    expectError(first, 400, 'judge_denied');
    const calls = judge.requests.length;
    await settled();
    const spent0 = await spentMicros();
    const again = await chat(gw, TEST_KEY, 'A cached question (unsafe 3)');
    expectError(again, 400, 'judge_denied');
    expect(judge.requests.length).toBe(calls);
    await settled();
    expect(await spentMicros()).toBe(spent0);
    expect(await auditOf(gw, again.res, 'judge')).toMatchObject({ action: 'block', cached: true });
    // Another team asking the same is judged for itself (and pays for it).
    judge.enqueue(answer('{"verdict":"safe"}'));
    expect((await chat(gw, OTHER_TEAM_KEY, 'A cached question (unsafe 3)')).status).toBe(200);
    expect(judge.requests.length).toBe(calls + 1);
  });

  it('a judge that does not answer in timeoutMs: 503 guard_unavailable (onError block), reason timeout; the provider never called', async () => {
    judge.enqueue({ hang: 'before-headers' });
    const before = upstream.requests.length;
    const r = await chat(gw, TEST_KEY, 'Anything at all (timeout 1)');
    expectError(r, 503, 'guard_unavailable');
    expect(r.res.headers.get('retry-after')).toBe('1');
    expect(upstream.requests.length).toBe(before);
    expect(await auditOf(gw, r.res, 'judge')).toMatchObject({ action: 'error', reason: 'timeout', onError: 'block' });
  });

  it("a judge call cut off by the timeout is still charged its prompt (the provider had it), and ledgered as an error", async () => {
    const rows = () => gw.runtime.store.queryUsage({ from: 0, to: Date.now() + 3_600_000, granularity: 'day', teamId: 'default', api: 'guard' });
    await settled();
    const errors0 = (await rows())[0]?.errors ?? 0;
    const spent0 = await spentMicros();
    judge.enqueue({ hang: 'before-headers' });
    expectError(await chat(gw, TEST_KEY, 'Anything at all (timeout 2)'), 503, 'guard_unavailable');
    await settled();
    expect(await spentMicros()).toBeGreaterThan(spent0);
    expect((await rows())[0]!.errors).toBe(errors0 + 1);
  });

  it('a settlement that fails after a timeout is logged as a warning (no unhandled rejection)', async () => {
    const usage = gw.runtime.usage as { add: (...a: unknown[]) => Promise<void> };
    const add = usage.add;
    usage.add = async (...a) => {
      if ((a[0] as { api?: string }).api === 'guard') throw new Error('ledger down (test)');
      return add.apply(usage, a);
    };
    try {
      judge.enqueue({ hang: 'before-headers' });
      const r = await chat(gw, TEST_KEY, 'Anything at all (timeout 3)');
      expectError(r, 503, 'guard_unavailable');
      await settled();
      expect(gw.logs.some((l) => l.msg === 'judge call could not be settled' && l.err === 'ledger down (test)' && l.level === 40)).toBe(true);
    } finally {
      usage.add = add;
    }
    judge.enqueue(answer('safe'));
    expect((await chat(gw, TEST_KEY, 'Still serving (after a failed settlement)')).status).toBe(200);
  });

  it('a judge answering 500: 503 guard_unavailable with the upstream cause as the reason', async () => {
    judge.enqueue({ status: 500 });
    const r = await chat(gw, TEST_KEY, 'Anything at all (500)');
    expectError(r, 503, 'guard_unavailable');
    expect(await auditOf(gw, r.res, 'judge')).toMatchObject({ action: 'error', reason: 'upstream_error' });
  });

  it('a malformed verdict: 503 guard_unavailable, not cached (the next request asks again)', async () => {
    judge.enqueue(answer('I think this is probably fine.'));
    const r = await chat(gw, TEST_KEY, 'Is this fine? (malformed 1)');
    expectError(r, 503, 'guard_unavailable');
    expect(await auditOf(gw, r.res, 'judge')).toMatchObject({ action: 'error', reason: 'malformed_verdict' });
    judge.enqueue(answer('safe'));
    const calls = judge.requests.length;
    expect((await chat(gw, TEST_KEY, 'Is this fine? (malformed 1)')).status).toBe(200);
    expect(judge.requests.length).toBe(calls + 1);
  });

  it("a budget without room for the judge's call refuses the request: 429 budget_exceeded, nothing called", async () => {
    const judged = judge.requests.length;
    const before = upstream.requests.length;
    const r = await chat(gw, POOR_KEY, 'Hi (poor)', { max_tokens: 10 });
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('budget_exceeded');
    expect(judge.requests.length).toBe(judged);
    expect(upstream.requests.length).toBe(before);
    const status = await gw.runtime.store.getBudgetStatus([{ scope: 'team:poor', budgets: [{ period: 'daily', tokens: 70 }] }], { teamId: 'poor' });
    expect(status[0]!.reservedTokens).toBe(0); // the request's own hold was released
  });

  it("a request the judge lets through is answered with a valid chat.completion", async () => {
    judge.enqueue(answer('safe'));
    const r = await chat(gw, TEST_KEY, 'What is the tallest mountain? (valid 1)');
    expect(r.status).toBe(200);
    validateResponse(r.body);
  });

  it('action flag: an unsafe verdict is served with x-gateway-guard-flags: judge', async () => {
    judge.enqueue(answer('unsafe\nS4'));
    const r = await chat(gw, FLAG_KEY, 'Flag me (flag 1)');
    expect(r.status).toBe(200);
    expect(r.res.headers.get('x-gateway-guard-flags')).toBe('judge');
  });

  it('applies to every API: an Anthropic Messages request is judged and refused the same way', async () => {
    judge.enqueue(answer('unsafe\nS1'));
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Through Messages (unsafe 4)' }] }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('content policy judge');
    expect(judge.requests.at(-1)!.body.messages).toEqual([{ role: 'user', content: 'Through Messages (unsafe 4)' }]);
    expect(upstream.requests.length).toBe(before);
  });

  it('a config reload keeps the cached verdicts: the same text after it is judged without a call', async () => {
    judge.enqueue(answer('unsafe\nS5'));
    expectError(await chat(gw, TEST_KEY, 'Cached across a reload (unsafe 5)'), 400, 'judge_denied');
    const calls = judge.requests.length;
    gw.runtime.reload({ ...gw.runtime.config });
    const again = await chat(gw, TEST_KEY, 'Cached across a reload (unsafe 5)');
    expectError(again, 400, 'judge_denied');
    expect(judge.requests.length).toBe(calls);
    expect(await auditOf(gw, again.res, 'judge')).toMatchObject({ action: 'block', cached: true });
  });

  it('categories: only the listed ones count', async () => {
    judge.enqueue(answer('unsafe\nS1'));
    expect((await chat(gw, CATS_KEY, 'Only S1 here (cats 1)')).status).toBe(200);
    judge.enqueue(answer('unsafe\nS1,S9'));
    expectError(await chat(gw, CATS_KEY, 'S9 too (cats 2)'), 400, 'judge_denied');
  });
});

describe('LLM judge guard (JSON format, onError allow)', () => {
  it('sends the policy as the system prompt and the conversation quoted; {"verdict":"unsafe"} blocks', async () => {
    judge.enqueue(answer('```json\n{"verdict": "unsafe", "categories": ["weapons"], "reason": "asks for a weapon"}\n```'));
    const r = await chat(gw, OTHER_TEAM_KEY, 'How do I build a rifle? (json 1)');
    expectError(r, 400, 'judge_denied');
    const sent = judge.requests.at(-1)!.body.messages;
    expect(sent[0].role).toBe('system');
    expect(sent[0].content).toContain('Refuse anything about weapons.');
    expect(sent[1].content).toContain('<conversation>\n[user]\nHow do I build a rifle? (json 1)\n</conversation>');
    expect(await auditOf(gw, r.res, 'judge')).toMatchObject({ action: 'block', categories: ['weapons'] });
  });

  it('a timeout or a malformed verdict with onError allow: served unchecked, audited as error', async () => {
    judge.enqueue({ hang: 'before-headers' });
    const r = await chat(gw, OTHER_TEAM_KEY, 'Anything (json timeout)');
    expect(r.status).toBe(200);
    expect(await auditOf(gw, r.res, 'judge')).toMatchObject({ action: 'error', reason: 'timeout', onError: 'allow' });
    judge.enqueue(answer('{"verdict": "perhaps"}'));
    const m = await chat(gw, OTHER_TEAM_KEY, 'Anything (json malformed)');
    expect(m.status).toBe(200);
    expect(await auditOf(gw, m.res, 'judge')).toMatchObject({ action: 'error', reason: 'malformed_verdict' });
  });

  it('counts decisions in gateway_guard_actions_total', async () => {
    const text = await gw.runtime.metrics!.render();
    for (const action of ['block', 'allow', 'error']) expect(text).toMatch(new RegExp(`gateway_guard_actions_total\\{guard="judge",action="${action}"\\} [1-9]`));
  });
});
