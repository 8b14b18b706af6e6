import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { OTHER_TEAM_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, { server: { bodyLimitBytes: 64 * 1024 } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', ...headers },
    body,
  });

const expectEnvelope = async (res: Response, status: number, code: string, param?: string | null) => {
  expect(res.status).toBe(status);
  const json = await res.json();
  expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(json.error.code).toBe(code);
  if (param !== undefined) expect(json.error.param).toBe(param);
  return json.error;
};

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('authentication', () => {
  it('401 invalid_api_key without a key, with a wrong key, never echoing it', async () => {
    await expectEnvelope(await post(JSON.stringify(chat), { authorization: '' }), 401, 'invalid_api_key');
    const err = await expectEnvelope(await post(JSON.stringify(chat), { authorization: 'Bearer gw-wrong-key-123456' }), 401, 'invalid_api_key');
    expect(err.message).not.toContain('gw-wrong-key');
  });
  it('accepts the Azure-style api-key header', async () => {
    const res = await post(JSON.stringify(chat), { authorization: '', 'api-key': TEST_KEY });
    expect(res.status).toBe(200);
  });
  it('the SDK raises AuthenticationError', async () => {
    await expect(gw.client({ apiKey: 'gw-nope' }).chat.completions.create(chat as never)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('invalid input', () => {
  it.each([
    [{ ...chat, temperature: 3 }, 'temperature'],
    [{ ...chat, messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
    [{ model: 'gpt-4o-mini' }, 'messages'],
    [{ ...chat, messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
    [{ ...chat, messages: [{ content: 'x' }] }, 'messages[0].role'],
    [{ ...chat, messages: [5] }, 'messages[0]'],
    [{ ...chat, messages: [{ role: 'user', content: [{ type: 'picture', url: 'x' }] }] }, 'messages[0].content[0].type'],
    [{ ...chat, messages: [{ role: 'user', content: [[{ type: 'text', text: 'x' }]] }] }, 'messages[0].content[0]'],
    [{ ...chat, messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages[0].content[0].text'],
    [{ ...chat, messages: [] }, 'messages'],
    [{ ...chat, n: 0 }, 'n'],
    [{ ...chat, stream_options: { include_usage: true } }, 'stream_options'],
  ])('400 with param for %j', async (body, param) => {
    await expectEnvelope(await post(JSON.stringify(body)), 400, 'invalid_request', param);
  });
  it('400 invalid_json for a broken body, 415 for a non-JSON content type', async () => {
    await expectEnvelope(await post('{"model": '), 400, 'invalid_json');
    await expectEnvelope(await post('model=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    // A JSON body labelled text/plain (a browser fetch without a content-type) is still the wrong type.
    await expectEnvelope(await post(JSON.stringify(chat), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
  });
  it('400 for a body nested deeper than 100 levels (thousands overflowed serialisation: a 500); 85 are served', async () => {
    // Written as text: serialising such an object in the test would overflow the same way.
    const nested = (depth: number) => {
      const schema = '{"type":"object","properties":{"a":'.repeat(depth) + '{"type":"string"}' + '}}'.repeat(depth);
      return JSON.stringify({ ...chat, tools: [{ type: 'function', function: { name: 'f', parameters: 'SCHEMA' } }] }).replace('"SCHEMA"', schema);
    };
    await expectEnvelope(await post(nested(1500)), 400, 'invalid_request');
    expect((await post(nested(40))).status).toBe(200); // 85 levels
  });
  it('413 for a body over the limit', async () => {
    const big = JSON.stringify({ ...chat, messages: [{ role: 'user', content: 'x'.repeat(100_000) }] });
    await expectEnvelope(await post(big), 413, 'request_too_large');
  });
  it('404 model_not_found for an unknown model, 403 for a model the team may not use', async () => {
    await expectEnvelope(await post(JSON.stringify({ ...chat, model: 'gpt-9-ultra' })), 404, 'model_not_found', 'model');
    await expectEnvelope(
      await post(JSON.stringify({ ...chat, model: 'claude-haiku-4-5' }), { authorization: `Bearer ${OTHER_TEAM_KEY}` }),
      403,
      'model_not_allowed',
      'model',
    );
  });
  it('404 envelope for unknown routes', async () => {
    const res = await fetch(`${gw.url}/v1/nope`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
    await expectEnvelope(res, 404, 'not_found');
  });
});

describe('provider/model names pass straight to the provider', () => {
  it('openai/gpt-4.1 goes to the openai provider with upstream id gpt-4.1', async () => {
    const res = await gw.client().chat.completions.create({ ...chat, model: 'openai/gpt-4.1' } as never).withResponse();
    expect(res.response.headers.get('x-gateway-model')).toBe('gpt-4.1');
    expect(upstream.requests.at(-1)!.body.model).toBe('gpt-4.1');
  });
});

describe('upstream failures', () => {
  it('maps upstream errors to OpenAI envelopes without provider keys or internals', async () => {
    upstream.enqueue({ status: 401, json: { error: { message: 'Incorrect API key provided: sk-test-***cret', type: 'invalid_request_error', code: 'invalid_api_key' } } });
    const err = await expectEnvelope(await post(JSON.stringify(chat)), 502, 'upstream_auth_failed');
    expect(err.message).not.toMatch(/sk-/);
    upstream.enqueue({ status: 500 });
    await expectEnvelope(await post(JSON.stringify(chat)), 502, 'upstream_error');
    upstream.enqueue({ status: 400, json: { error: { message: "Invalid value for 'logit_bias'.", type: 'invalid_request_error', param: 'logit_bias', code: null } } });
    const bad = await expectEnvelope(await post(JSON.stringify(chat)), 400, 'invalid_request', 'logit_bias');
    expect(bad.message).toContain('logit_bias');
    upstream.enqueue({ status: 400, json: { error: { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } } });
    await expectEnvelope(await post(JSON.stringify(chat)), 400, 'context_length_exceeded');
  });

  it("the gateway's provider account out of quota (OpenAI 429 insufficient_quota) is 502 upstream_auth_failed, not a rate limit to retry", async () => {
    upstream.enqueue({ status: 429, json: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } });
    const res = await post(JSON.stringify(chat));
    expect(res.headers.get('x-should-retry')).toBe('false'); // the SDKs would retry a 502 twice, in vain
    await expectEnvelope(res, 502, 'upstream_auth_failed');
  });

  it('429 from upstream keeps retry-after for the client', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '7' } });
    const res = await post(JSON.stringify(chat));
    expect(res.headers.get('retry-after')).toBe('7');
    await expectEnvelope(res, 429, 'rate_limit_exceeded');
  });

  it('a stream cut mid-way ends with an error frame, never [DONE], and the SDK raises', async () => {
    upstream.enqueue({ resetAfterEvents: 2 });
    const raw = await post(JSON.stringify({ ...chat, stream: true }));
    const text = await raw.text();
    expect(text).not.toContain('[DONE]');
    const last = text.trim().split('\n\n').at(-1)!;
    expect(JSON.parse(last.slice('data: '.length)).error.code).toBe('upstream_error');

    upstream.enqueue({ resetAfterEvents: 2 });
    const stream = await gw.client().chat.completions.create({ ...chat, stream: true } as never);
    await expect(async () => {
      for await (const _ of stream as never as AsyncIterable<unknown>) void _;
    }).rejects.toThrow();
  });
});

describe('models and health', () => {
  it('GET /v1/models lists what the key may use', async () => {
    const all = await gw.client().models.list();
    expect(all.data.map((m) => m.id).sort()).toEqual(['claude-haiku-4-5', 'gpt-4o-mini']);
    const other = await gw.client({ apiKey: OTHER_TEAM_KEY }).models.list();
    expect(other.data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
    const one = await gw.client().models.retrieve('gpt-4o-mini');
    expect(one).toMatchObject({ id: 'gpt-4o-mini', object: 'model', owned_by: 'openai' });
  });
  it('/healthz and /readyz answer', async () => {
    expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.state.status).toBe('ok');
  });
});

describe('logs', () => {
  it('one line per chat request with ids and tokens, never secrets or prompt text', async () => {
    await gw.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'my secret plan' }] });
    const line = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line).toMatchObject({ team: 'default', keyId: 'test', model: 'gpt-4o-mini', provider: 'openai', status: 200 });
    expect(line.tokens.prompt).toBeGreaterThan(0);
    expect(line.latencyMs).toBeGreaterThan(0);
    const all = JSON.stringify(gw.logs);
    for (const secret of [TEST_KEY, OTHER_TEAM_KEY, 'sk-test-openai-secret', 'sk-ant-test-secret', 'my secret plan']) {
      expect(all).not.toContain(secret);
    }
  });
});
