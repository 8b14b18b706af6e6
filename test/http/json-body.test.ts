/**
 * The JSON body parser's fast path (src/http/json-body.ts) answers exactly as Fastify's own parser did: poisoned
 * keys (also spelled with \u escapes), malformed and empty bodies, and numbers that overflow to Infinity (a
 * 309-digit integer as well as an exponent) are refused in the API's envelope; bodies that only mention the words
 * are served. Bodies are sent as raw text: JSON.stringify cannot write most of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function post(body: string) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, json: (await res.json()) as any };
}

const chat = (extra: string, content = 'hi') => `{"model":"gpt-4o-mini","messages":[{"role":"user","content":${JSON.stringify(content)}}]${extra}}`;

describe('JSON request bodies', () => {
  it('a plain body is served, also when its text mentions __proto__, constructor, \\u escapes and exponents', async () => {
    expect((await post(chat(''))).status).toBe(200);
    expect((await post(chat('', 'what does a constructor do? and __proto__? 1e400 is big'))).status).toBe(200);
    expect((await post(chat(',"temperature":1e-1', 'caf\\u00e9'))).status).toBe(200);
  });

  it.each([
    ['__proto__ key', chat(',"__proto__":{"admin":true}')],
    ['__proto__ key spelled with escapes', chat(',"\\u005f_proto__":{"admin":true}')],
    ['constructor.prototype', chat(',"constructor":{"prototype":{"x":1}}')],
    ['malformed JSON', '{"model":"gpt-4o-mini",'],
    ['an empty body', ''],
  ])('%s → 400 invalid_json', async (_name, body) => {
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.error.code).toBe('invalid_json');
  });

  it.each([
    ['an exponent', ',"temperature":1e400', 'temperature'],
    ['a negative exponent in a nested value', ',"logit_bias":{"50256":-1E999}', 'logit_bias.50256'],
    ['309 integer digits', `,"seed":${'9'.repeat(309)}`, 'seed'],
  ])('a number that overflows to Infinity (%s) → 400 naming the param', async (_name, extra, param) => {
    const { status, json } = await post(chat(extra));
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ code: 'invalid_request', param });
  });
});
