/**
 * External guardrail services end to end, against a fake speaking each documented format (test/fakes/
 * fake-guardrails.ts): the generic HTTP hook, the OpenAI moderation endpoint and a Presidio analyzer — verdicts,
 * flags, timeouts and broken answers under onError block / allow, concurrency, and Presidio's spans applied by
 * the PII guard's actions (pseudonymised, then restored in the answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGuardrails, type FakeGuardrails } from '../fakes/fake-guardrails.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, OTHER_TEAM_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { adminRequest } from '../helpers/admin-request.js';
import { auditOf, chat, expectError, logLine } from './model-guards-helpers.js';

const PRESIDIO_BLOCK_KEY = 'gw-presidio-block-key-0123456789abcdefghijklmnop';
const HOOK_SECRET = 'hook-secret-0123456789';
const ADMIN = 'admin-token-external-guards-0123456789';
let upstream: FakeUpstream;
let svc: FakeGuardrails;
let gw: TestGateway;
const lastSent = () => JSON.stringify(upstream.requests.at(-1)!.body.messages);

beforeAll(async () => {
  process.env.GUARD_TEST_HOOK_KEY = HOOK_SECRET;
  upstream = await startFakeUpstream();
  svc = await startFakeGuardrails();
  const hook = { name: 'corp-hook', kind: 'http', url: `${svc.url}/hook`, apiKeyEnv: 'GUARD_TEST_HOOK_KEY', timeoutMs: 1000 };
  const moderation = { name: 'moderation', kind: 'openai-moderation', url: `${svc.url}/v1/moderations`, timeoutMs: 1000 };
  gw = await startTestGateway(upstream, {
    server: { adminToken: ADMIN },
    teams: {
      default: { allowedModels: ['*'], policy: { guards: { external: { services: [hook, moderation] } } } },
      other: {
        allowedModels: ['*'],
        policy: {
          guards: {
            pii: { enabled: true, defaultAction: 'pseudonymise' },
            external: {
              services: [
                { name: 'presidio', kind: 'presidio', url: `${svc.url}/analyze`, action: 'pii', timeoutMs: 1000 },
                { ...hook, name: 'hook-allow', onError: 'allow' },
                { ...moderation, categories: ['violence'], threshold: 0.3, action: 'flag', onError: 'allow' },
              ],
            },
          },
        },
      },
      presidioBlock: {
        allowedModels: ['*'],
        policy: { guards: { external: { services: [{ name: 'presidio', kind: 'presidio', url: `${svc.url}/analyze`, entities: ['EMAIL_ADDRESS'], timeoutMs: 1000 }] } } },
      },
    },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'other', team: 'other', key: OTHER_TEAM_KEY },
      { id: 'pb', team: 'presidioBlock', key: PRESIDIO_BLOCK_KEY },
    ],
  });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await svc?.close();
});

const requestsTo = (path: string) => svc.requests.filter((r) => r.path === path);

describe('generic HTTP hook', () => {
  it('block: 400 external_guard_denied naming the service; the hook got the documented JSON with its key', async () => {
    const before = upstream.requests.length;
    const r = await chat(gw, TEST_KEY, 'This is forbidden content');
    expectError(r, 400, 'external_guard_denied');
    expect(r.body.error.message).toContain("'corp-hook'");
    expect(r.body.error.message).not.toContain('forbidden word');
    expect(upstream.requests.length).toBe(before);
    const sent = requestsTo('/hook').at(-1)!;
    expect(sent.headers.authorization).toBe(`Bearer ${HOOK_SECRET}`);
    expect(sent.body).toEqual({
      version: 1,
      requestId: r.res.headers.get('x-request-id'),
      team: 'default',
      key: 'test',
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'This is forbidden content' }],
    });
    expect(await auditOf(gw, r.res, 'http_hook')).toMatchObject({ action: 'block', service: 'corp-hook', categories: ['policy'], reason: 'forbidden word' });
    expect(JSON.stringify(gw.logs)).not.toContain(HOOK_SECRET);
  });

  it("the hook's own flag: served with x-gateway-guard-flags", async () => {
    const r = await chat(gw, TEST_KEY, 'Something suspicious here');
    expect(r.status).toBe(200);
    expect(r.res.headers.get('x-gateway-guard-flags')).toBe('http_hook:corp-hook');
  });

  it('a hook that hangs: 503 guard_unavailable with reason timeout (onError block); served with onError allow', async () => {
    svc.enqueue('/hook', { hang: true });
    const r = await chat(gw, TEST_KEY, 'hello (hang)');
    expectError(r, 503, 'guard_unavailable');
    expect(await auditOf(gw, r.res, 'http_hook')).toMatchObject({ action: 'error', reason: 'timeout', onError: 'block' });
    // Team other: Presidio answers, then its hook hangs (onError allow) while moderation answers.
    svc.enqueue('/hook', { hang: true });
    const allowed = await chat(gw, OTHER_TEAM_KEY, 'hello (hang, allow)');
    expect(allowed.status).toBe(200);
    const guards = (await logLine(gw, allowed.res)).guards as Record<string, unknown>[];
    expect(guards.filter((g) => g.action === 'error')).toEqual([expect.objectContaining({ guard: 'http_hook', service: 'hook-allow', reason: 'timeout', onError: 'allow' })]);
  });

  it('a hook answering 500, or JSON without a verdict: 503 guard_unavailable with the reason audited', async () => {
    svc.enqueue('/hook', { status: 500, body: '{"error":"boom"}' });
    const r = await chat(gw, TEST_KEY, 'hello (500)');
    expectError(r, 503, 'guard_unavailable');
    expect(await auditOf(gw, r.res, 'http_hook')).toMatchObject({ action: 'error', reason: 'http_500' });
    svc.enqueue('/hook', { body: '{"decision":"ok"}' });
    const m = await chat(gw, TEST_KEY, 'hello (no verdict)');
    expectError(m, 503, 'guard_unavailable');
    expect(await auditOf(gw, m.res, 'http_hook')).toMatchObject({ action: 'error', reason: 'malformed_verdict' });
  });

  it('a reason with a multi-byte character split across two writes is read whole', async () => {
    const body = Buffer.from(JSON.stringify({ verdict: 'block', reason: 'interdit — übermäßig 🚫' }));
    const cut = body.indexOf(Buffer.from('🚫')) + 2; // inside the emoji's four bytes
    svc.enqueue('/hook', { parts: [body.subarray(0, cut), body.subarray(cut)] });
    const r = await chat(gw, TEST_KEY, 'hello (split character)');
    expectError(r, 400, 'external_guard_denied');
    expect(await auditOf(gw, r.res, 'http_hook')).toMatchObject({ action: 'block', reason: 'interdit — übermäßig 🚫' });
  });

  it('an answer over 4 MiB is not read to its end: 503 guard_unavailable, malformed_verdict', async () => {
    svc.enqueue('/hook', { body: JSON.stringify({ verdict: 'allow', reason: 'x'.repeat(5 * 1024 * 1024) }) });
    const r = await chat(gw, TEST_KEY, 'hello (5 MiB answer)');
    expectError(r, 503, 'guard_unavailable');
    expect(await auditOf(gw, r.res, 'http_hook')).toMatchObject({ action: 'error', reason: 'malformed_verdict' });
  });

  it('the hook and moderation run concurrently: both requests are open at the services at once', async () => {
    // Each answers after 200 ms, so the first is still open when the second arrives unless they run in sequence.
    svc.enqueue('/hook', { delayMs: 200 });
    svc.enqueue('/v1/moderations', { delayMs: 200 });
    svc.resetMaxInFlight();
    const r = await chat(gw, TEST_KEY, 'hello (concurrent)');
    expect(r.status).toBe(200);
    expect(svc.maxInFlight).toBe(2);
    expect(await auditOf(gw, r.res, 'http_hook')).toMatchObject({ action: 'allow' });
    expect(await auditOf(gw, r.res, 'openai_moderation')).toMatchObject({ action: 'allow' });
  });
});

describe('OpenAI moderation endpoint', () => {
  it('flagged: 400 external_guard_denied; the endpoint got {model, input: [texts]}', async () => {
    const r = await chat(gw, TEST_KEY, 'I will kill the process');
    expectError(r, 400, 'external_guard_denied');
    expect(requestsTo('/v1/moderations').at(-1)!.body).toEqual({ model: 'omni-moderation-latest', input: ['I will kill the process'] });
    expect(await auditOf(gw, r.res, 'openai_moderation')).toMatchObject({ action: 'block', service: 'moderation', categories: ['violence'] });
  });

  it('not flagged: served', async () => {
    expect((await chat(gw, TEST_KEY, 'A calm question about gardening')).status).toBe(200);
  });

  it("a team's category threshold counts scores the endpoint does not flag (action flag)", async () => {
    const r = await chat(gw, OTHER_TEAM_KEY, 'They had a fight about it');
    expect(r.status).toBe(200);
    expect(r.res.headers.get('x-gateway-guard-flags')).toBe('openai_moderation:moderation');
  });

  it('an answer without one result per input: 503 guard_unavailable (onError block), audited as malformed', async () => {
    svc.enqueue('/v1/moderations', { body: '{"results":[]}' });
    const r = await chat(gw, TEST_KEY, 'hello (bad moderation)');
    expectError(r, 503, 'guard_unavailable');
    expect(await auditOf(gw, r.res, 'openai_moderation')).toMatchObject({ action: 'error', service: 'moderation', reason: 'malformed_verdict' });
    expect(await auditOf(gw, r.res, 'http_hook')).toMatchObject({ action: 'allow' });
  });
});

describe('Presidio analyzer', () => {
  it("action pii: Presidio's spans are pseudonymised by the PII guard (code-point offsets converted), restored in the answer", async () => {
    const text = '🙂 please write a note to Zorblax Quux today';
    const res = await gw.client({ apiKey: OTHER_TEAM_KEY }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });
    expect(lastSent()).not.toContain('Zorblax');
    expect(lastSent()).toContain('🙂 please write a note to [PERSON_1] today');
    expect(res.choices[0]!.message.content).toContain('Zorblax Quux');
    expect(requestsTo('/analyze').at(-1)!.body).toEqual({ text, language: 'en' });
  });

  it('action pii reads each text part on its own: a name in the second part of a message is replaced there', async () => {
    const content = [
      { type: 'text', text: 'First part, nothing personal.' },
      { type: 'text', text: 'Second part: ask Blorp Fizzwick.' },
    ];
    const r = await chat(gw, OTHER_TEAM_KEY, [{ role: 'user', content } as never]);
    expect(r.status).toBe(200);
    expect(lastSent()).not.toContain('Blorp');
    expect(lastSent()).toContain('Second part: ask [PERSON_1].');
    expect(requestsTo('/analyze').slice(-2).map((x) => x.body.text).sort()).toEqual(['First part, nothing personal.', 'Second part: ask Blorp Fizzwick.']);
  });

  it('action pii: a Presidio span overlapping a built-in finding yields to it (the e-mail keeps its placeholder)', async () => {
    const text = 'Contact jane.doe@example.com today';
    // A longer PERSON span that starts before the e-mail address and covers it.
    svc.enqueue('/analyze', { body: JSON.stringify([{ entity_type: 'PERSON', start: 0, end: 22, score: 0.9 }]) });
    const r = await chat(gw, OTHER_TEAM_KEY, text);
    expect(r.status).toBe(200);
    expect(lastSent()).toContain('Contact [EMAIL_1] today');
    expect(lastSent()).not.toContain('PERSON');
    expect(await auditOf(gw, r.res, 'presidio')).toMatchObject({ action: 'allow', spans: 1, toPii: 1 });
  });

  it('services after the PII stage get the text with PII replaced (the hook never sees the e-mail)', async () => {
    const r = await chat(gw, OTHER_TEAM_KEY, 'Mail jane.doe@example.com please');
    expect(r.status).toBe(200);
    expect(JSON.stringify(requestsTo('/hook').at(-1)!.body)).not.toContain('jane.doe@example.com');
  });

  it('action block (no PII guard): a span of the listed entity types refuses the request; the analyzer was asked for them', async () => {
    const r = await chat(gw, PRESIDIO_BLOCK_KEY, 'Contact jane.doe@example.com');
    expectError(r, 400, 'external_guard_denied');
    expect(requestsTo('/analyze').at(-1)!.body).toEqual({ text: 'Contact jane.doe@example.com', language: 'en', entities: ['EMAIL_ADDRESS'] });
    expect(await auditOf(gw, r.res, 'presidio')).toMatchObject({ action: 'block', entities: ['EMAIL_ADDRESS'], spans: 1 });
    expect((await chat(gw, PRESIDIO_BLOCK_KEY, 'Contact Zorblax Quux')).status).toBe(200);
  });

  it('an analyzer that hangs or answers out of range: 503 guard_unavailable', async () => {
    svc.enqueue('/analyze', { hang: true });
    const hung = await chat(gw, PRESIDIO_BLOCK_KEY, 'hello (presidio hang)');
    expectError(hung, 503, 'guard_unavailable');
    expect(await auditOf(gw, hung.res, 'presidio')).toMatchObject({ action: 'error', reason: 'timeout' });
    svc.enqueue('/analyze', { body: '[{"entity_type":"PERSON","start":0,"end":999,"score":0.9}]' });
    const r = await chat(gw, PRESIDIO_BLOCK_KEY, 'short');
    expectError(r, 503, 'guard_unavailable');
    expect(await auditOf(gw, r.res, 'presidio')).toMatchObject({ action: 'error', reason: 'malformed_verdict' });
  });

  it('counts decisions in gateway_guard_actions_total', async () => {
    const text = await gw.runtime.metrics!.render();
    expect(text).toMatch(/gateway_guard_actions_total\{guard="http_hook",action="block"\} [1-9]/);
    expect(text).toMatch(/gateway_guard_actions_total\{guard="openai_moderation",action="block"\} [1-9]/);
    expect(text).toMatch(/gateway_guard_actions_total\{guard="presidio",action="error"\} [1-9]/);
  });
});

describe('set through the admin API', () => {
  it('a team created with an external service uses it at once; an invalid service is a 400 naming the field', async () => {
    const hook = { name: 'api-hook', kind: 'http', url: `${svc.url}/hook`, timeoutMs: 1000 };
    const created = await adminRequest(gw.url, ADMIN, 'POST', '/teams', { id: 'api-team', allowedModels: ['*'], policy: { guards: { external: { services: [hook] } } } });
    expect(created.status).toBe(201);
    const key = await adminRequest(gw.url, ADMIN, 'POST', '/keys', { team: 'api-team', name: 'k' });
    expect(key.status).toBe(201);
    const r = await chat(gw, key.json.secret, 'This is forbidden content');
    expectError(r, 400, 'external_guard_denied');
    expect(r.body.error.message).toContain("'api-hook'");

    const bad = await adminRequest(gw.url, ADMIN, 'PUT', '/teams/api-team/policy', { guards: { external: { services: [{ ...hook, action: 'pii' }] } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_request');
    expect(bad.text).toContain('action');
    const judge = await adminRequest(gw.url, ADMIN, 'PUT', '/teams/api-team/policy', { guards: { judge: { enabled: true, model: 'gpt-4o-mini', format: 'yaml' } } });
    expect(judge.status).toBe(400);
  });
});
