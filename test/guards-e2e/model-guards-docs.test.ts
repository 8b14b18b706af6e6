/**
 * Promises of docs/guards.md ("Model-backed and external guards") and docs/admin-api.md not covered by the
 * per-guard files: a judge that is not configured, the warning line per guard at most every 10 s, rate limits
 * that do not count the judge's call, and the judge's ledger rows under `GET /admin/usage?api=guard`. Its own
 * gateway, so the warning throttle (per guard and process) starts fresh in this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { adminRequest } from '../helpers/admin-request.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { auditOf, chat, expectError } from './model-guards-helpers.js';

const ADMIN = 'admin-token-model-guards-docs-0123456789';
const NO_POLICY_KEY = 'gw-judge-no-policy-key-0123456789abcdefghijklmno';
const NO_MODEL_KEY = 'gw-judge-no-model-key-0123456789abcdefghijklmnop';
const LIMITED_KEY = 'gw-judge-limited-key-0123456789abcdefghijklmnopq';

let upstream: FakeUpstream;
let judge: FakeUpstream;
let gw: TestGateway;

const safe = {
  json: {
    id: 'chatcmpl-judge',
    object: 'chat.completion',
    created: 1,
    model: 'meta-llama/Llama-Guard-3-1B',
    choices: [{ index: 0, message: { role: 'assistant', content: 'safe', refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 200, completion_tokens: 5, total_tokens: 205 },
  },
};

beforeAll(async () => {
  upstream = await startFakeUpstream();
  judge = await startFakeUpstream();
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  gw = await startTestGateway(upstream, {
    server: { adminToken: ADMIN },
    providers: { vllm: { kind: 'openai', baseUrl: judge.openaiBaseUrl, apiKey: 'sk-vllm', timeouts } },
    models: { 'llama-guard': { provider: 'vllm', upstream: 'meta-llama/Llama-Guard-3-1B', price: { input: '1', output: '2' }, contextWindow: 128000 } },
    teams: {
      noPolicy: { allowedModels: ['*'], policy: { guards: { judge: { enabled: true, model: 'llama-guard', format: 'json' } } } },
      noModel: { allowedModels: ['*'], policy: { guards: { judge: { enabled: true } } } },
      limited: { allowedModels: ['*'], rateLimits: { rpm: 1 }, policy: { guards: { judge: { enabled: true, model: 'llama-guard' } } } },
    },
    keys: [
      { id: 'np', team: 'noPolicy', key: NO_POLICY_KEY },
      { id: 'nm', team: 'noModel', key: NO_MODEL_KEY },
      { id: 'lim', team: 'limited', key: LIMITED_KEY },
    ],
  });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await judge?.close();
});

describe('a judge that is not configured', () => {
  it('a JSON judge without policy, or a judge without model: 503 guard_unavailable, reason not_configured, nothing called', async () => {
    const before = { judge: judge.requests.length, upstream: upstream.requests.length };
    for (const key of [NO_POLICY_KEY, NO_MODEL_KEY]) {
      const r = await chat(gw, key, 'Hello (not configured)');
      expectError(r, 503, 'guard_unavailable');
      expect(await auditOf(gw, r.res, 'judge')).toMatchObject({ action: 'error', reason: 'not_configured', onError: 'block' });
    }
    expect(judge.requests.length).toBe(before.judge);
    expect(upstream.requests.length).toBe(before.upstream);
  });

  it('one warning line per guard at most every 10 s: more failing requests, still one line, naming the reason', async () => {
    // The test above failed the judge twice (two teams); two more now, all within 10 s.
    for (let i = 0; i < 2; i++) expectError(await chat(gw, NO_POLICY_KEY, `Hello again (${i})`), 503, 'guard_unavailable');
    const warnings = gw.logs.filter((l) => l.level === 40 && l.guard === 'judge');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ reason: 'not_configured', onError: 'block' });
    expect(warnings[0]!.err).toContain('policy');
  });
});

describe("the judge's call and the team's limits", () => {
  it('rate limits do not count the judge call: with rpm 1, the first request is served, the second refused', async () => {
    judge.enqueue(safe);
    const first = await chat(gw, LIMITED_KEY, 'First request of the minute');
    expect(first.status).toBe(200);
    expect(judge.requests.length).toBeGreaterThan(0);
    const second = await chat(gw, LIMITED_KEY, 'Second request of the minute');
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('rate_limit_exceeded');
  });

  it("GET /admin/usage?api=guard returns the judge's row (under the judge model)", async () => {
    for (let i = 0; i < 500 && gw.runtime.inflight.size; i++) await new Promise((r) => setTimeout(r, 10));
    const res = await adminRequest(gw.url, ADMIN, 'GET', '/usage?api=guard&team=limited&groupBy=team,model,provider,api');
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual([expect.objectContaining({ team: 'limited', model: 'llama-guard', provider: 'vllm', api: 'guard', requests: 1, promptTokens: 200, completionTokens: 5, costMicros: 210 })]);
    const chatRows = await adminRequest(gw.url, ADMIN, 'GET', '/usage?api=chat&team=limited&groupBy=model');
    expect(chatRows.json.data.map((r: { model: string }) => r.model)).not.toContain('llama-guard');
  });
});
