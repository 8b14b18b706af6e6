/**
 * Issue 18.2: numeric parameters are range-checked at the edge with OpenAI's limits, and ±Infinity is refused.
 * `max_tokens` of -1, -1e400 (JSON.parse: -Infinity), 1e15 or 2^53−1 answered 500 internal_error on a team with
 * budgets and a TPM limit (the token arithmetic of admission threw). Bodies are sent as raw JSON text, because
 * 1e400 cannot be written by JSON.stringify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { adminRequest } from '../helpers/admin-request.js';

const ADMIN = 'admin-token-numeric-params-0123456789';
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    server: { adminToken: ADMIN },
    teams: {
      default: {
        allowedModels: ['*'],
        budgets: [{ period: 'daily', usd: '5.00' }, { period: 'monthly', tokens: 50_000_000 }],
        rateLimits: { rpm: 100_000, tpm: 10_000_000 },
      },
    },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** POSTs a chat body with `field` set to the raw JSON literal `raw`. */
async function send(field: string, raw: string, model = 'gpt-4o-mini') {
  const body = `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"${field}":${raw}}`;
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, json: (await res.json()) as any };
}

const REPORTED = ['-1', '-1e400', '1e15', String(2 ** 53 - 1)];

describe('numeric parameters out of range get 400 naming the param, never 500', () => {
  for (const field of ['max_tokens', 'max_completion_tokens']) {
    for (const model of ['gpt-4o-mini', 'claude-haiku-4-5']) {
      it.each(REPORTED)(`${field}: %s (${model}) on a team with budgets and a TPM limit`, async (raw) => {
        const { status, json } = await send(field, raw, model);
        expect(status).toBe(400);
        expect(json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param: field });
      });
    }
  }

  it.each([
    ['max_tokens', '0'],
    ['max_tokens', '-0'],
    ['max_tokens', '1e400'],
    ['max_tokens', '1048577'],
    ['temperature', '2.01'],
    ['temperature', '-1e400'],
    ['top_p', '1e400'],
    ['top_p', '-0.1'],
    ['n', '0'],
    ['n', '129'],
    ['presence_penalty', '2.5'],
    ['frequency_penalty', '-1e400'],
    ['top_logprobs', '21'],
    ['seed', '9007199254740992'],
    ['seed', '-1e400'],
    ['seed', '1.5'],
    ['logit_bias', '{"50256":101}'],
    ['logit_bias', '{"50256":-1e400}'],
    ['logit_bias', '{"not-a-token":1}'],
  ])('%s: %s → 400', async (field, raw) => {
    const { status, json } = await send(field, raw);
    expect(status).toBe(400);
    expect(json.error.type).toBe('invalid_request_error');
    expect(json.error.param).toMatch(new RegExp(`^${field}`));
  });

  it('an Infinity anywhere in the body (a tool schema, metadata) is refused naming where', async () => {
    const { status, json } = await send('tools', '[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"number","maximum":1e400}}}}}]');
    expect(status).toBe(400);
    expect(json.error.param).toBe('tools[0].function.parameters.properties.x.maximum');
  });

  it('values at the limits are served', async () => {
    for (const [field, raw] of [['max_tokens', '1'], ['max_completion_tokens', '1048576'], ['temperature', '2'], ['top_p', '0'], ['n', '1'], ['seed', String(-(2 ** 53 - 1))], ['logit_bias', '{"50256":-100}']]) {
      const { status } = await send(field, raw);
      expect(status, `${field}=${raw}`).toBe(200);
    }
  });

  it('±Infinity is refused on every route, in that route\'s envelope: the admin API and the Anthropic Messages ingress', async () => {
    // Raw text: JSON.stringify cannot write 1e400.
    const admin = await adminRequest(gw.url, ADMIN, 'PUT', '/teams/default/rate-limits', undefined, { rawBody: '{"rpm":1e400,"tpm":10}' });
    expect(admin.status).toBe(400);
    expect(admin.json.error).toMatchObject({ type: 'invalid_request_error', param: 'rpm' });
    const messages = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: '{"model":"claude-haiku-4-5","max_tokens":16,"temperature":-1e400,"messages":[{"role":"user","content":"hi"}]}',
    });
    expect(messages.status).toBe(400);
    const body = await messages.json();
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/temperature.*finite/);
  });

  it('embeddings: a huge dimensions is a 400 at the edge (it reached the upstream: a 504 after the fake died on it)', async () => {
    for (const raw of ['1e15', '16385', '0', '-1']) {
      const res = await fetch(`${gw.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
        body: `{"model":"gpt-4o-mini","input":"hi","dimensions":${raw}}`,
      });
      expect(res.status, raw).toBe(400);
      expect((await res.json()).error.param).toBe('dimensions');
    }
  });
});
