/**
 * A hand-written hostile-input battery, endpoint by endpoint, over real sockets (so gzip bodies, bad chunked
 * framing, short bodies and mid-stream disconnects are real). Complements the seeded fuzzers (test/fuzz/,
 * test/ops/fuzz.test.ts) with named cases a reviewer can read: every case must get a status < 500, an error in
 * the envelope of the API it came in on (OpenAI's on chat/responses/embeddings, Anthropic's on /v1/messages),
 * no provider or gateway key in the body, an answer within a few seconds, and the gateway must still answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, OTHER_TEAM_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { anthropicEnvelopeProblem, envelopeProblem } from '../helpers/error-envelopes.js';

const BODY_LIMIT = 1024 * 1024;
const SECRETS = ['sk-test-openai-secret', 'sk-ant-test-secret', TEST_KEY, OTHER_TEAM_KEY, 'hostile-admin-token-0123456789abcdef'];
const CASE_TIMEOUT_MS = 5000;

type Api = 'openai' | 'anthropic';
interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
  /** Statuses this case may get besides "any < 500"; when set, the status must be one of them. */
  expect?: number[];
  /** What the body must say (e.g. an error message that names the actual cause). */
  says?: RegExp;
}
interface Result {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

let upstream: FakeUpstream;
let gw: TestGateway;
let port: number;

function send(c: Case): Promise<Result> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.headers ?? {})) if (v !== undefined) headers[k] = v;
    const req = httpRequest({ host: '127.0.0.1', port, method: c.method ?? 'POST', path: c.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.setTimeout(CASE_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${CASE_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(c.body);
  });
}

/** What is wrong with a response to a hostile case, or undefined. */
function problemOf(c: Case, api: Api, r: Result): string | undefined {
  if (r.status >= 500) return `status ${r.status}: ${r.body.slice(0, 200)}`;
  if (c.expect && !c.expect.includes(r.status)) return `status ${r.status}, expected ${c.expect.join('|')}: ${r.body.slice(0, 200)}`;
  if (c.says && !c.says.test(r.body)) return `body does not say ${c.says}: ${r.body.slice(0, 200)}`;
  for (const s of SECRETS) if (r.body.includes(s)) return `leaks a secret (${s.slice(0, 8)}…)`;
  if (r.status >= 400 && (c.method ?? 'POST') !== 'HEAD') {
    const p = api === 'anthropic' ? anthropicEnvelopeProblem(r.body) : envelopeProblem(r.body);
    if (p) return `${r.status} ${p}`;
    if (!String(r.headers['content-type']).startsWith('application/json')) return `error with content-type ${r.headers['content-type']}`;
  }
  return undefined;
}

const bearer = { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' };
const anthropicHeaders = { 'x-api-key': TEST_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObj = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

/** Cases every JSON POST route gets: framing, JSON, content types, methods, auth, size. `valid` is a good body. */
function commonCases(path: string, valid: Record<string, unknown>, auth: Record<string, string>): Case[] {
  const h = auth;
  const v = JSON.stringify(valid);
  const noAuth = Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'authorization' && k !== 'x-api-key'));
  const withField = (k: string, raw: string) => `${v.slice(0, -1)},${JSON.stringify(k)}:${raw}}`;
  // Embeddings and count_tokens have no `stream` or `temperature`: unknown fields there go to the provider as sent.
  const ownsSampling = !path.endsWith('/embeddings') && !path.endsWith('/count_tokens') ? [400] : undefined;
  const cases: Case[] = [
    { name: 'control: valid body', path, headers: h, body: v, expect: [200] },
    { name: 'control: query string', path: `${path}?foo=bar&x=%00`, headers: h, body: v, expect: [200] },
    { name: 'empty body', path, headers: h, body: '', expect: [400] },
    { name: 'whitespace body', path, headers: h, body: '  \n ', expect: [400] },
    { name: 'invalid JSON: {', path, headers: h, body: '{', expect: [400] },
    { name: 'invalid JSON: truncated', path, headers: h, body: v.slice(0, 20), expect: [400] },
    { name: 'invalid JSON: trailing garbage', path, headers: h, body: `${v}xyz`, expect: [400] },
    { name: 'invalid JSON: single quotes', path, headers: h, body: "{'model':'x'}", expect: [400] },
    { name: 'invalid JSON: NaN literal', path, headers: h, body: withField('temperature', 'NaN'), expect: [400] },
    { name: 'JSON array', path, headers: h, body: '[]', expect: [400] },
    { name: 'JSON array of body', path, headers: h, body: `[${v}]`, expect: [400] },
    { name: 'JSON string', path, headers: h, body: '"hello"', expect: [400] },
    { name: 'JSON null', path, headers: h, body: 'null', expect: [400] },
    { name: 'JSON number', path, headers: h, body: '42', expect: [400] },
    { name: 'JSON true', path, headers: h, body: 'true', expect: [400] },
    { name: 'empty object', path, headers: h, body: '{}', expect: [400] },
    { name: 'BOM before object', path, headers: h, body: `\ufeff${v}` },
    { name: '1e309 in an unknown field', path, headers: h, body: withField('zzz', '1e309'), expect: [400] },
    { name: '-0 in an unknown field', path, headers: h, body: withField('zzz', '-0') },
    { name: '"NaN" string for temperature', path, headers: h, body: withField('temperature', '"NaN"'), expect: ownsSampling },
    { name: 'deep nesting 10,000 arrays in a field', path, headers: h, body: withField('zzz', deep(10_000)), expect: [400] },
    { name: 'deep nesting 10,000 objects in a field', path, headers: h, body: withField('zzz', deepObj(10_000)), expect: [400] },
    { name: 'deep nesting 10,000 as the body', path, headers: h, body: deep(10_000), expect: [400] },
    { name: 'duplicate model key', path, headers: h, body: `{"model":"nope-model",${v.slice(1)}` },
    // Fixed: refused as "not valid JSON", which it is; the message now names the refused key.
    { name: '__proto__ key', path, headers: h, body: withField('__proto__', '{"polluted":true,"model":"x"}'), expect: [400], says: /__proto__/ },
    { name: 'constructor.prototype key', path, headers: h, body: withField('constructor', '{"prototype":{"polluted":true}}'), expect: [400], says: /constructor\.prototype/ },
    { name: 'constructor key without prototype', path, headers: h, body: withField('constructor', '"fine"') },
    { name: 'unknown field', path, headers: h, body: withField('frobnicate', '{"x":[1,2,3]}') },
    { name: 'model as number', path, headers: h, body: JSON.stringify({ ...valid, model: 42 }), expect: [400] },
    { name: 'model as object', path, headers: h, body: JSON.stringify({ ...valid, model: { name: 'gpt-4o-mini' } }), expect: [400] },
    { name: 'model empty', path, headers: h, body: JSON.stringify({ ...valid, model: '' }), expect: [400, 404] },
    { name: 'model unknown', path, headers: h, body: JSON.stringify({ ...valid, model: 'no-such-model' }), expect: [404] },
    { name: 'model with NUL', path, headers: h, body: JSON.stringify({ ...valid, model: 'gpt-4o-mini\u0000' }), expect: [400, 404] },
    { name: 'model huge', path, headers: h, body: JSON.stringify({ ...valid, model: 'm'.repeat(100_000) }), expect: [400, 404] },
    { name: 'model path traversal', path, headers: h, body: JSON.stringify({ ...valid, model: '../../etc/passwd' }), expect: [400, 404] },
    { name: 'model lone surrogate', path, headers: h, body: `{"model":"\\ud800",${v.slice(1).replace(/^"model":"[^"]*",?/, '')}`, expect: [400, 404] },
    { name: 'missing model', path, headers: h, body: JSON.stringify({ ...valid, model: undefined }), expect: [400] },
    { name: 'stream "yes"', path, headers: h, body: JSON.stringify({ ...valid, stream: 'yes' }), expect: ownsSampling },
    { name: 'stream 1', path, headers: h, body: JSON.stringify({ ...valid, stream: 1 }), expect: ownsSampling },
    { name: 'content-type text/plain', path, headers: { ...h, 'content-type': 'text/plain' }, body: v, expect: [415] },
    { name: 'content-type form', path, headers: { ...h, 'content-type': 'application/x-www-form-urlencoded' }, body: 'model=gpt-4o-mini', expect: [415] },
    { name: 'content-type multipart', path, headers: { ...h, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\n\r\n--x--', expect: [415] },
    { name: 'content-type missing', path, headers: { ...h, 'content-type': undefined }, body: v, expect: [415] },
    { name: 'content-type octet-stream', path, headers: { ...h, 'content-type': 'application/octet-stream' }, body: v, expect: [415] },
    { name: 'content-type upper case', path, headers: { ...h, 'content-type': 'APPLICATION/JSON' }, body: v, expect: [200] },
    { name: 'content-type charset=utf-8', path, headers: { ...h, 'content-type': 'application/json; charset=UTF-8' }, body: v, expect: [200] },
    { name: 'content-type charset=utf-16', path, headers: { ...h, 'content-type': 'application/json; charset=utf-16' }, body: Buffer.from(v, 'utf16le'), expect: [400, 415] },
    { name: 'content-type charset=latin1', path, headers: { ...h, 'content-type': 'application/json; charset=latin1' }, body: v },
    { name: 'content-type bogus params', path, headers: { ...h, 'content-type': 'application/json;;; x=' }, body: v },
    // Fixed: a gzip body was answered "not valid JSON", and a plain body labelled gzip or br was served as if unlabelled.
    { name: 'gzip-encoded body', path, headers: { ...h, 'content-encoding': 'gzip' }, body: gzipSync(v), expect: [415], says: /Content-Encoding/ },
    { name: 'gzip claimed, body plain', path, headers: { ...h, 'content-encoding': 'gzip' }, body: v, expect: [415] },
    { name: 'br-encoded claimed', path, headers: { ...h, 'content-encoding': 'br' }, body: v, expect: [415] },
    { name: 'content-encoding identity', path, headers: { ...h, 'content-encoding': 'Identity' }, body: v, expect: [200] },
    // An empty field lists no coding: the body is as sent.
    { name: 'content-encoding empty', path, headers: { ...h, 'content-encoding': '' }, body: v, expect: [200] },
    { name: 'body over the size limit', path, headers: h, body: withField('zzz', JSON.stringify('a'.repeat(BODY_LIMIT))), expect: [413] },
    // Fixed: DELETE and OPTIONS with a JSON content type and no body got 400 "body is empty" for a URL with no route;
    // and every 404 under /v1/messages now comes in Anthropic's envelope (was OpenAI's).
    { name: 'GET on a POST route', method: 'GET', path, headers: h, expect: [404, 405] },
    { name: 'HEAD on a POST route', method: 'HEAD', path, headers: h, expect: [404, 405] },
    { name: 'PUT on a POST route', method: 'PUT', path, headers: h, body: v, expect: [404, 405] },
    { name: 'DELETE on a POST route', method: 'DELETE', path, headers: h, expect: [404, 405] },
    { name: 'PATCH on a POST route', method: 'PATCH', path, headers: h, body: v, expect: [404, 405] },
    { name: 'OPTIONS on a POST route', method: 'OPTIONS', path, headers: h, expect: [204, 404, 405] },
    { name: 'trailing slash', path: `${path}/`, headers: h, body: v, expect: [200, 404] },
    { name: 'double slash', path: path.replace('/v1/', '/v1//'), headers: h, body: v, expect: [200, 404] },
    { name: 'upper-case path', path: path.toUpperCase(), headers: h, body: v, expect: [200, 404] },
    { name: 'no credentials', path, headers: noAuth, body: v, expect: [401] },
    { name: 'unknown key', path, headers: { ...noAuth, authorization: 'Bearer gw-not-a-key' }, body: v, expect: [401] },
    { name: 'lower-case bearer', path, headers: { ...noAuth, authorization: `bearer ${TEST_KEY}` }, body: v, expect: [200] },
    { name: 'upper-case BEARER', path, headers: { ...noAuth, authorization: `BEARER ${TEST_KEY}` }, body: v, expect: [200] },
    { name: 'bearer with two spaces', path, headers: { ...noAuth, authorization: `Bearer  ${TEST_KEY}` }, body: v, expect: [200] },
    { name: 'bearer with a trailing space', path, headers: { ...noAuth, authorization: `Bearer ${TEST_KEY} ` }, body: v, expect: [200] },
    { name: 'bearer with a tab', path, headers: { ...noAuth, authorization: `Bearer\t${TEST_KEY}` }, body: v, expect: [200, 401] },
    { name: 'bearer with extra words', path, headers: { ...noAuth, authorization: `Bearer ${TEST_KEY} extra` }, body: v, expect: [401] },
    { name: 'bearer only', path, headers: { ...noAuth, authorization: 'Bearer' }, body: v, expect: [401] },
    { name: 'Basic scheme', path, headers: { ...noAuth, authorization: `Basic ${Buffer.from(`x:${TEST_KEY}`).toString('base64')}` }, body: v, expect: [401] },
    { name: 'raw key without scheme', path, headers: { ...noAuth, authorization: TEST_KEY }, body: v, expect: [401] },
    { name: 'x-api-key header', path, headers: { ...noAuth, 'x-api-key': TEST_KEY }, body: v, expect: [200, 401] },
    { name: 'huge bearer', path, headers: { ...noAuth, authorization: `Bearer ${'k'.repeat(16_000)}` }, body: v, expect: [401, 431] },
    { name: 'bearer with a prefix of the key', path, headers: { ...noAuth, authorization: `Bearer ${TEST_KEY.slice(0, -1)}` }, body: v, expect: [401] },
  ];
  return cases;
}

function check(api: Api, cases: Case[]) {
  return async () => {
    const failures: string[] = [];
    const byStatus: Record<number, number> = {};
    // Eight at a time: fast, and a hang in one case shows as that case's timeout, not the file's.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          try {
            const r = await send(c);
            byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
            const p = problemOf(c, api, r);
            if (p) failures.push(`${c.name}: ${p}`);
          } catch (err) {
            failures.push(`${c.name}: ${(err as Error).message}`);
          }
        }
      }),
    );
    console.log(`${cases[0]!.path}: ${cases.length} cases`, byStatus);
    expect(failures).toEqual([]);
    // Still answering afterwards.
    const health = await send({ name: 'health', method: 'GET', path: '/healthz' });
    expect(health.status).toBe(200);
  };
}

const chatValid = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 };
const claudeChat = { ...chatValid, model: 'claude-haiku-4-5' };

function chatCases(): Case[] {
  const p = '/v1/chat/completions';
  const c = (name: string, body: unknown, expect?: number[]): Case => ({ name, path: p, headers: bearer, body: typeof body === 'string' ? body : JSON.stringify(body), expect });
  const both = (name: string, patch: Record<string, unknown>, expect?: number[]): Case[] => [
    c(`${name} (openai)`, { ...chatValid, ...patch }, expect),
    c(`${name} (anthropic)`, { ...claudeChat, ...patch }, expect),
  ];
  const user = (content: unknown) => ({ messages: [{ role: 'user', content }] });
  return [
    ...commonCases(p, chatValid, bearer),
    ...both('messages as string', { messages: 'hi' }, [400]),
    ...both('messages as object', { messages: { role: 'user', content: 'hi' } }, [400]),
    ...both('messages empty', { messages: [] }, [400]),
    ...both('messages null', { messages: null }, [400]),
    ...both('message is a string', { messages: ['hi'] }, [400]),
    ...both('message without role', { messages: [{ content: 'hi' }] }, [400]),
    ...both('unknown role', { messages: [{ role: 'wizard', content: 'hi' }] }, [400]),
    ...both('content as number', user(42), [400]),
    ...both('content as object', user({ text: 'hi' }), [400]),
    ...both('content empty array', user([]), [400]),
    ...both('content empty string', user('')),
    ...both('content part unknown type', user([{ type: 'hologram', data: 'x' }]), [400]),
    ...both('content part without type', user([{ text: 'hi' }]), [400]),
    ...both('text part with number', user([{ type: 'text', text: 7 }]), [400]),
    ...both('image part bad URL', user([{ type: 'image_url', image_url: { url: 'not a url' } }])),
    ...both('image part javascript URL', user([{ type: 'image_url', image_url: { url: 'javascript:alert(1)' } }])),
    ...both('image part bad base64', user([{ type: 'image_url', image_url: { url: 'data:image/png;base64,!!!not-base64***' } }])),
    ...both('image part data URL without base64', user([{ type: 'image_url', image_url: { url: 'data:,' } }])),
    ...both('image part data URL no comma', user([{ type: 'image_url', image_url: { url: 'data:image/png;base64' } }])),
    ...both('image part url as number', user([{ type: 'image_url', image_url: { url: 5 } }]), [400]),
    ...both('image part image_url string', user([{ type: 'image_url', image_url: 'https://example.invalid/a.png' }]), [400]),
    ...both('image part detail bogus', user([{ type: 'image_url', image_url: { url: 'https://example.invalid/a.png', detail: 'ultra' } }]), [400]),
    ...both('lone surrogate in content', user('\ud800 and \udfff')),
    ...both('NUL in content', user('a\u0000b')),
    ...both('RTL override in content', user('abc\u202edcba\u200f')),
    ...both('emoji ZWJ in content', user('👩‍👩‍👧‍👦🏳️‍🌈')),
    ...both('long content (500 KB)', user('x '.repeat(250_000))),
    ...both('tools as object', { tools: { type: 'function', function: { name: 'f' } } }, [400]),
    ...both('tools empty array', { tools: [] }),
    ...both('tool parameter named constructor', { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { constructor: { type: 'string' } } } } }] }, [200]),
    ...both('tool without function', { tools: [{ type: 'function' }] }, [400]),
    ...both('tool with bad name', { tools: [{ type: 'function', function: { name: 'has spaces & symbols!' } }] }),
    ...both('tool parameters not a schema', { tools: [{ type: 'function', function: { name: 'f', parameters: 'nope' } }] }, [400]),
    // Forwarded: the provider checks tool names against the tools it is sent (the fake does not).
    ...both('tool_choice naming a missing tool', { tool_choice: { type: 'function', function: { name: 'ghost' } } }, [200, 400]),
    ...both('tool_choice naming a missing tool with tools', { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'ghost' } } }, [200, 400]),
    ...both('tool_choice required without tools', { tool_choice: 'required' }, [200, 400]),
    ...both('tool_choice bogus string', { tool_choice: 'sometimes' }, [400]),
    ...both('tool message without tool_call_id', { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', content: 'r' }] }, [400]),
    ...both('tool message with unknown tool_call_id', { messages: [{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'nope', content: 'r' }] }),
    ...both('assistant tool call arguments not JSON', { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{bad' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'r' }] }),
    ...both('assistant tool call arguments an array', { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '[1,2]' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'r' }] }),
    ...both('assistant tool call arguments "null"', { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: 'null' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'r' }] }),
    ...both('assistant with no content and no tool calls', { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null }] }),
    ...both('only a system message', { messages: [{ role: 'system', content: 'be brief' }] }),
    ...both('only an assistant message', { messages: [{ role: 'assistant', content: 'hello' }] }),
    ...both('max_tokens negative', { max_tokens: -1 }, [400]),
    ...both('max_tokens float', { max_tokens: 1.5 }, [400]),
    ...both('max_tokens huge', { max_tokens: 1e15 }, [400]),
    ...both('max_tokens 0', { max_tokens: 0 }, [400]),
    ...both('max_tokens string', { max_tokens: '16' }, [400]),
    ...both('max_tokens -0', { max_tokens: -0 }, [400]),
    ...both('temperature 5', { temperature: 5 }, [400]),
    ...both('temperature -1', { temperature: -1 }, [400]),
    ...both('top_p 2', { top_p: 2 }, [400]),
    ...both('n 0', { n: 0 }, [400]),
    ...both('n 1000', { n: 1000 }, [400]),
    ...both('stop as number', { stop: 5 }, [400]),
    ...both('stop with 10 entries', { stop: Array.from({ length: 10 }, (_, i) => `s${i}`) }, [400]),
    ...both('response_format bogus', { response_format: { type: 'yaml' } }, [400]),
    ...both('response_format json_schema without schema', { response_format: { type: 'json_schema' } }, [400]),
    ...both('stream_options without stream', { stream_options: { include_usage: true } }, [200, 400]),
    ...both('logit_bias out of range', { logit_bias: { '50256': 1000 } }, [400]),
    ...both('metadata with 100 keys', { metadata: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'])) }, [200, 400]),
    ...both('stream true with a bad body', { stream: true, messages: 'nope' }, [400]),
    ...both('stream true with an unknown model', { stream: true, model: 'no-such-model' }, [404]),
    ...both('5000 tiny messages', { messages: Array.from({ length: 5000 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'x' })) }),
    // `provider/upstream-id` passes to that provider as documented (docs/routing.md); the provider knows its models.
    c('model of another provider prefix', { ...chatValid, model: 'anthropic/gpt-4o-mini' }, [200, 400, 404]),
    { name: 'other team, model not allowed', path: p, headers: { ...bearer, authorization: `Bearer ${OTHER_TEAM_KEY}` }, body: JSON.stringify(claudeChat), expect: [403] },
  ];
}

function responsesCases(): Case[] {
  const p = '/v1/responses';
  const valid = { model: 'gpt-4o-mini', input: 'hi', max_output_tokens: 16 };
  const c = (name: string, body: unknown, expect?: number[]): Case => ({ name, path: p, headers: bearer, body: typeof body === 'string' ? body : JSON.stringify(body), expect });
  const both = (name: string, patch: Record<string, unknown>, expect?: number[]): Case[] => [
    c(`${name} (openai)`, { ...valid, ...patch }, expect),
    c(`${name} (anthropic)`, { ...valid, model: 'claude-haiku-4-5', ...patch }, expect),
  ];
  const item = (x: unknown) => ({ input: [x] });
  return [
    ...commonCases(p, valid, bearer),
    ...both('input array of one message', item({ role: 'user', content: 'hi' })),
    ...both('input as number', { input: 42 }, [400]),
    ...both('input as null', { input: null }, [400]),
    ...both('input as object', { input: { role: 'user', content: 'hi' } }, [400]),
    ...both('input empty string', { input: '' }),
    ...both('input empty array', { input: [] }, [400]),
    ...both('input missing', { input: undefined }, [400]),
    ...both('input array of strings', { input: ['hi', 'there'] }, [400]),
    ...both('input array of null', { input: [null] }, [400]),
    ...both('input item unknown type', item({ type: 'hologram', data: 1 }), [400]),
    ...both('input item message with unknown role', item({ type: 'message', role: 'wizard', content: 'hi' }), [400]),
    ...both('input item content as number', item({ role: 'user', content: 42 }), [400]),
    ...both('input item content part unknown type', item({ role: 'user', content: [{ type: 'input_hologram' }] }), [400]),
    ...both('input item content part text as number', item({ role: 'user', content: [{ type: 'input_text', text: 5 }] }), [400]),
    ...both('input_image with bad url', item({ role: 'user', content: [{ type: 'input_image', image_url: 'not a url' }] })),
    ...both('input_image bad base64', item({ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,!!!' }] })),
    ...both('input_image without url', item({ role: 'user', content: [{ type: 'input_image' }] }), [400]),
    ...both('function_call_output without call_id', item({ type: 'function_call_output', output: 'r' }), [400]),
    ...both('function_call_output unknown call_id', item({ type: 'function_call_output', call_id: 'nope', output: 'r' })),
    ...both('function_call without arguments', { input: [{ role: 'user', content: 'hi' }, { type: 'function_call', call_id: 'c1', name: 'f' }] }, [400]),
    ...both('function_call with arguments not JSON', { input: [{ role: 'user', content: 'hi' }, { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{bad' }, { type: 'function_call_output', call_id: 'c1', output: 'r' }] }),
    ...both('function_call_output output as object', item({ type: 'function_call_output', call_id: 'c1', output: { x: 1 } }), [400]),
    ...both('previous_response_id unknown', { previous_response_id: 'resp_doesnotexist' }, [400, 404]),
    ...both('previous_response_id as number', { previous_response_id: 5 }, [400]),
    ...both('instructions as number', { instructions: 5 }, [400]),
    ...both('instructions as array', { instructions: [{ role: 'system', content: 'x' }] }, [400]),
    ...both('tools as object', { tools: { type: 'function', name: 'f' } }, [400]),
    ...both('tool without name', { tools: [{ type: 'function' }] }, [400]),
    ...both('tool unknown type', { tools: [{ type: 'teleport' }] }, [400]),
    ...both('tool_choice naming a missing tool', { tool_choice: { type: 'function', name: 'ghost' } }, [200, 400]),
    ...both('tool_choice as number', { tool_choice: 5 }, [400]), // fixed: was dropped on translated targets
    ...both('text.format bogus', { text: { format: { type: 'yaml' } } }, [400]),
    ...both('text as string', { text: 'json' }, [400]), // fixed: was ignored on translated targets (200, no format)
    ...both('reasoning as string', { reasoning: 'high' }, [400]), // fixed: was ignored on translated targets
    ...both('parallel_tool_calls as string', { parallel_tool_calls: 'no' }, [400]), // fixed: was forwarded as a string
    ...both('reasoning bogus effort', { reasoning: { effort: 'extreme' } }, [200, 400]), // the provider checks the value
    ...both('max_output_tokens negative', { max_output_tokens: -5 }, [400]),
    ...both('max_output_tokens float', { max_output_tokens: 2.5 }, [400]),
    ...both('max_output_tokens huge', { max_output_tokens: 1e15 }, [400]),
    ...both('temperature 9', { temperature: 9 }, [400]),
    ...both('store as string', { store: 'yes' }, [400]), // fixed: was read as store: false on translated targets
    ...both('metadata as array', { metadata: [1, 2] }, [400]), // fixed: was forwarded as an array
    ...both('stream true with a bad body', { stream: true, input: 42 }, [400]),
    ...both('lone surrogate in input', { input: '\ud800x' }),
    ...both('NUL in input', { input: 'a\u0000b' }),
    ...both('emoji ZWJ in input', { input: '👩‍👩‍👧‍👦' }),
    ...both('reasoning item in input', { input: [{ type: 'reasoning', id: 'rs_1', summary: [] }, { role: 'user', content: 'hi' }] }, [200, 400]),
    ...both('item_reference in input', { input: [{ type: 'item_reference', id: 'msg_1' }] }, [400]),
  ];
}

function embeddingsCases(): Case[] {
  const p = '/v1/embeddings';
  const valid = { model: 'text-embedding-3-small', input: 'hi' };
  const c = (name: string, patch: Record<string, unknown>, expect?: number[]): Case => ({ name, path: p, headers: bearer, body: JSON.stringify({ ...valid, ...patch }), expect });
  return [
    ...commonCases(p, valid, bearer),
    c('input array of strings', { input: ['a', 'b'] }, [200]),
    c('input token ids', { input: [1, 2, 3] }, [200, 400]), // the fake upstream refuses token ids; OpenAI takes them
    c('input missing', { input: undefined }, [400]),
    c('input null', { input: null }, [400]),
    c('input empty string', { input: '' }, [400]),
    c('input empty array', { input: [] }, [400]),
    c('input [[]]', { input: [[]] }, [400]),
    c('input [""]', { input: [''] }, [400]),
    c('input object', { input: { text: 'hi' } }, [400]),
    c('input number', { input: 42 }, [400]),
    c('input mixed strings and numbers', { input: ['a', 1] }, [400]),
    c('input token id negative', { input: [-1] }, [400]),
    c('input token id float', { input: [1.5] }, [400]),
    c('input token id huge', { input: [2 ** 53] }, [400]),
    c('input 3000 strings', { input: Array.from({ length: 3000 }, () => 'a') }, [400]),
    c('input nested three deep', { input: [[[1]]] }, [400]),
    c('dimensions negative', { dimensions: -1 }, [400]),
    c('dimensions 0', { dimensions: 0 }, [400]),
    c('dimensions float', { dimensions: 1.5 }, [400]),
    c('dimensions string', { dimensions: '256' }, [400]),
    c('encoding_format bogus', { encoding_format: 'hex' }, [400]),
    c('user as number', { user: 5 }, [200, 400]), // forwarded as sent: the provider checks it
    c('chat model', { model: 'claude-haiku-4-5' }, [400]),
    // Fixed: the embeddings decoder did not check nesting like the other ingresses; serialising overflowed (500).
    { name: 'input nested 10,000 deep', path: p, headers: bearer, body: `{"model":"text-embedding-3-small","input":${deep(10_000)}}`, expect: [400] },
    c('lone surrogate in input', { input: '\ud800' }),
    c('NUL in input', { input: 'a\u0000b' }),
    c('long input (500 KB)', { input: 'word '.repeat(100_000) }, [200, 400]),
  ];
}

function messagesCases(): Case[] {
  const p = '/v1/messages';
  const valid = { model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
  const c = (name: string, body: unknown, expect?: number[], headers: Record<string, string | undefined> = anthropicHeaders): Case => ({ name, path: p, headers, body: typeof body === 'string' ? body : JSON.stringify(body), expect });
  const both = (name: string, patch: Record<string, unknown>, expect?: number[]): Case[] => [
    c(`${name} (anthropic)`, { ...valid, ...patch }, expect),
    c(`${name} (openai)`, { ...valid, model: 'gpt-4o-mini', ...patch }, expect),
  ];
  const user = (content: unknown) => ({ messages: [{ role: 'user', content }] });
  const toolUse = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] };
  return [
    ...commonCases(p, valid, anthropicHeaders),
    c('missing anthropic-version', valid, [200], { ...anthropicHeaders, 'anthropic-version': undefined }),
    c('anthropic-version not a date', valid, [400], { ...anthropicHeaders, 'anthropic-version': 'latest' }),
    c('anthropic-version huge', valid, [400], { ...anthropicHeaders, 'anthropic-version': '2'.repeat(5000) }),
    c('anthropic-beta odd', valid, [200, 400], { ...anthropicHeaders, 'anthropic-beta': ',,,💥'.normalize() === ',,,💥' ? ',,,x' : 'x' }),
    c('bearer instead of x-api-key', valid, [200], { ...anthropicHeaders, 'x-api-key': undefined, authorization: `Bearer ${TEST_KEY}` }),
    c('empty x-api-key', valid, [401], { ...anthropicHeaders, 'x-api-key': '' }),
    c('x-api-key with spaces around', valid, [200, 401], { ...anthropicHeaders, 'x-api-key': ` ${TEST_KEY} ` }),
    c('x-api-key and a wrong bearer', valid, [200, 401], { ...anthropicHeaders, authorization: 'Bearer gw-wrong' }),
    ...both('missing max_tokens', { max_tokens: undefined }, [400]),
    ...both('max_tokens negative', { max_tokens: -1 }, [400]),
    ...both('max_tokens float', { max_tokens: 1.5 }, [400]),
    ...both('max_tokens huge', { max_tokens: 1e15 }, [400]),
    ...both('max_tokens string', { max_tokens: '16' }, [400]),
    ...both('temperature 3', { temperature: 3 }, [400]),
    ...both('top_k negative', { top_k: -1 }, [400]),
    ...both('messages as string', { messages: 'hi' }, [400]),
    ...both('messages empty', { messages: [] }, [400]),
    ...both('messages null', { messages: null }, [400]),
    ...both('role system in messages', { messages: [{ role: 'system', content: 'x' }] }, [400]),
    ...both('unknown role', { messages: [{ role: 'wizard', content: 'x' }] }, [400]),
    ...both('first message from assistant', { messages: [{ role: 'assistant', content: 'x' }] }),
    ...both('two user messages in a row', { messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }),
    ...both('content as number', user(42), [400]),
    ...both('content as object', user({ type: 'text', text: 'hi' }), [400]),
    ...both('content empty array', user([]), [200, 400]), // passed to Anthropic targets as sent, which check it
    ...both('content empty string', user('')),
    ...both('block unknown type', user([{ type: 'hologram' }]), [200, 400]), // passed to Anthropic targets as sent, which check it
    ...both('block without type', user([{ text: 'hi' }]), [400]),
    ...both('text block text as number', user([{ type: 'text', text: 5 }]), [400]),
    ...both('image block bad base64', user([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: '!!!' } }])),
    ...both('image block bad media type', user([{ type: 'image', source: { type: 'base64', media_type: 'text/html', data: 'AAAA' } }]), [200, 400]), // passed to Anthropic targets as sent, which check it
    ...both('image block bad url', user([{ type: 'image', source: { type: 'url', url: 'not a url' } }])),
    ...both('image block source missing', user([{ type: 'image' }]), [400]),
    ...both('image block source unknown type', user([{ type: 'image', source: { type: 'ftp', url: 'ftp://x' } }]), [400]),
    ...both('system as array of blocks', { system: [{ type: 'text', text: 'be brief' }, { type: 'text', text: 'really', cache_control: { type: 'ephemeral' } }] }),
    ...both('system as number', { system: 5 }, [400]),
    ...both('system array with non-text block', { system: [{ type: 'image', source: { type: 'url', url: 'https://example.invalid/a.png' } }] }, [400]),
    ...both('system array with a string', { system: ['be brief'] }, [400]),
    ...both('system array empty', { system: [] }),
    ...both('thinking block in assistant', { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'b' }] }, { role: 'user', content: 'c' }] }, [200, 400]),
    ...both('thinking block without signature', { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm' }] }, { role: 'user', content: 'c' }] }, [200, 400]),
    ...both('redacted_thinking block', { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'zzz' }] }, { role: 'user', content: 'c' }] }, [200, 400]),
    ...both('thinking config', { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2048 }, [200, 400]),
    ...both('thinking budget over max_tokens', { thinking: { type: 'enabled', budget_tokens: 10_000 }, max_tokens: 16 }, [200, 400]),
    ...both('thinking as string', { thinking: 'yes' }, [400]), // fixed: was passed to Anthropic targets unchecked
    ...both('tool_result without matching tool_use', user([{ type: 'tool_result', tool_use_id: 'toolu_ghost', content: 'r' }])),
    ...both('tool_result without tool_use_id', user([{ type: 'tool_result', content: 'r' }]), [400]),
    ...both('tool_result content as number', { messages: [{ role: 'user', content: 'hi' }, toolUse, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 5 }] }] }, [400]),
    ...both('tool_result with image', { messages: [{ role: 'user', content: 'hi' }, toolUse, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] }] }] }, [200, 400]),
    ...both('tool_result with is_error string', { messages: [{ role: 'user', content: 'hi' }, toolUse, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'r', is_error: 'yes' }] }] }, [400]), // fixed: was read as false (a failed call reported as a success)
    ...both('tool_use without id', { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: [{ type: 'tool_use', name: 'f', input: {} }] }] }, [400]),
    ...both('tool_use input as string', { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: '{}' }] }] }, [400]), // fixed: OpenAI targets got the arguments '"{}"'
    ...both('tool_use in a user message', user([{ type: 'tool_use', id: 't', name: 'f', input: {} }]), [200, 400]),
    ...both('cache_control on a message', { messages: [{ role: 'user', content: 'hi', cache_control: { type: 'ephemeral' } }] }, [200, 400]),
    ...both('cache_control bogus type', user([{ type: 'text', text: 'hi', cache_control: { type: 'forever' } }]), [200, 400]),
    ...both('cache_control as string', user([{ type: 'text', text: 'hi', cache_control: 'ephemeral' }]), [200, 400]), // passed to Anthropic targets as sent, which check it
    ...both('cache_control on the body', { cache_control: { type: 'ephemeral' } }, [200, 400]),
    ...both('cache_control on a tool', { tools: [{ name: 'f', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } }] }),
    ...both('tools as object', { tools: { name: 'f' } }, [400]),
    ...both('tool without input_schema', { tools: [{ name: 'f' }] }, [200, 400]), // passed to Anthropic targets as sent, which check it
    ...both('tool_choice naming a missing tool', { tool_choice: { type: 'tool', name: 'ghost' } }, [200, 400]), // passed to Anthropic targets as sent, which check it
    ...both('tool_choice unknown type', { tool_choice: { type: 'maybe' } }, [400]),
    ...both('tool_choice as string', { tool_choice: 'auto' }, [400]),
    ...both('stop_sequences as string', { stop_sequences: 'STOP' }, [400]),
    ...both('stop_sequences with 10 entries', { stop_sequences: Array.from({ length: 10 }, (_, i) => `s${i}`) }, [200, 400]),
    ...both('metadata.user_id as number', { metadata: { user_id: 5 } }, [400]), // fixed: was dropped on OpenAI targets
    ...both('metadata as array', { metadata: ['u'] }, [400]),
    ...both('stream "yes"', { stream: 'yes' }, [400]),
    ...both('stream true with a bad body', { stream: true, messages: 'nope' }, [400]),
    ...both('lone surrogate in content', user('\udc00 x')),
    ...both('NUL in content', user('a\u0000b')),
    ...both('RTL marks in content', user('\u202e\u200fabc')),
    ...both('emoji ZWJ in content', user('👨‍💻')),
    ...both('document block', user([{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc' } }]), [200, 400]),
    ...both('server tool', { tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, [200, 400]),
    ...both('unknown top-level field', { container: 'c1' }, [200, 400]),
  ];
}

function countTokensCases(): Case[] {
  const p = '/v1/messages/count_tokens';
  const valid = { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] };
  const c = (name: string, patch: Record<string, unknown>, expect?: number[]): Case => ({ name, path: p, headers: anthropicHeaders, body: JSON.stringify({ ...valid, ...patch }), expect });
  return [
    ...commonCases(p, valid, anthropicHeaders),
    c('messages as string', { messages: 'hi' }, [400]),
    c('messages empty', { messages: [] }, [400]),
    c('content as number', { messages: [{ role: 'user', content: 42 }] }, [400]),
    c('block unknown type', { messages: [{ role: 'user', content: [{ type: 'hologram' }] }] }, [200, 400]),
    c('system array', { system: [{ type: 'text', text: 'x' }] }, [200]),
    c('system as number', { system: 5 }, [400]),
    c('tools as object', { tools: { name: 'f' } }, [400]),
    c('openai model', { model: 'gpt-4o-mini' }, [200]),
    c('lone surrogate', { messages: [{ role: 'user', content: '\ud800' }] }, [200]),
  ];
}

function modelsCases(): Case[] {
  const get = (name: string, path: string, expect?: number[], headers: Record<string, string | undefined> = bearer): Case => ({ name, method: 'GET', path, headers, expect });
  return [
    get('control: list', '/v1/models', [200]),
    get('control: one model', '/v1/models/gpt-4o-mini', [200]),
    get('provider/model id', '/v1/models/openai/gpt-4o-mini', [200, 404]),
    get('unknown model', '/v1/models/no-such-model', [404]),
    get('NUL in the id', '/v1/models/%00', [400, 404]),
    get('broken percent escape', '/v1/models/%E0%A4%A', [400, 404]),
    get('path traversal', '/v1/models/..%2f..%2fpackage.json', [400, 404]),
    get('lone surrogate escape', '/v1/models/%ED%A0%80', [400, 404]),
    get('id of 300 characters', `/v1/models/${'a'.repeat(300)}`, [400, 404, 414]),
    get('odd query', '/v1/models?limit=1e400&after=%00&a[b]=1', [200]),
    get('trailing slash', '/v1/models/', [200, 404]),
    get('no credentials', '/v1/models', [401], {}),
    get('unknown key', '/v1/models', [401], { authorization: 'Bearer gw-nope' }),
    { name: 'POST on a GET route', method: 'POST', path: '/v1/models', headers: bearer, body: '{}', expect: [404, 405] },
    { name: 'DELETE a model', method: 'DELETE', path: '/v1/models/gpt-4o-mini', headers: bearer, expect: [404, 405] },
    { name: 'unknown /v1 route', path: '/v1/completions', headers: bearer, body: '{"model":"gpt-4o-mini","prompt":"hi"}', expect: [404] },
    { name: 'unknown /v1 route with a broken body', path: '/v1/assistants', headers: bearer, body: '{', expect: [404] },
  ];
}

describe('hostile input, endpoint by endpoint (real sockets)', () => {
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, {
      server: { logLevel: 'warn', bodyLimitBytes: BODY_LIMIT, adminToken: 'hostile-admin-token-0123456789abcdef' },
      models: { 'text-embedding-3-small': { provider: 'openai', upstream: 'text-embedding-3-small', price: { input: '0.02', output: '0' }, contextWindow: 8192 } },
    });
    port = Number(new URL(gw.url).port);
  }, 30_000);
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('POST /v1/chat/completions', check('openai', chatCases()), 30_000);
  it('POST /v1/responses', check('openai', responsesCases()), 30_000);
  it('POST /v1/embeddings', check('openai', embeddingsCases()), 30_000);
  it('POST /v1/messages', check('anthropic', messagesCases()), 30_000);
  it('POST /v1/messages/count_tokens', check('anthropic', countTokensCases()), 30_000);
  it('GET /v1/models and unknown /v1 URLs', check('openai', modelsCases()), 30_000);

  const streams: { path: string; api: Api; headers: Record<string, string>; body: Record<string, unknown> }[] = [
    { path: '/v1/chat/completions', api: 'openai', headers: bearer, body: { ...chatValid, stream: true } },
    { path: '/v1/chat/completions', api: 'openai', headers: bearer, body: { ...claudeChat, stream: true } },
    { path: '/v1/responses', api: 'openai', headers: bearer, body: { model: 'gpt-4o-mini', input: 'hi', stream: true } },
    { path: '/v1/messages', api: 'anthropic', headers: anthropicHeaders, body: { model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], stream: true } },
    { path: '/v1/messages', api: 'anthropic', headers: anthropicHeaders, body: { model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], stream: true } },
  ];

  it('stream: true with an upstream that fails before the stream starts is a plain JSON error in the ingress envelope', async () => {
    for (const s of streams) {
      upstream.enqueue({ status: 500 });
      const r = await send({ name: 'upstream 500', path: s.path, headers: s.headers, body: JSON.stringify(s.body) });
      // The upstream failed, so a 5xx is right here; what matters is that it is JSON, not a half-open event stream.
      expect(r.status, `${s.path} ${s.body.model}`).toBe(502);
      expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
      expect(s.api === 'anthropic' ? anthropicEnvelopeProblem(r.body) : envelopeProblem(r.body)).toBeUndefined();
      for (const secret of SECRETS) expect(r.body).not.toContain(secret);
    }
  });

  it('a client that disconnects mid-stream ends the upstream request and leaves the gateway serving', async () => {
    const errorsBefore = gw.logs.filter((l) => l.level >= 50).length;
    for (const s of streams) {
      upstream.reset();
      upstream.enqueue({ chunkDelayMs: 100 });
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: s.path, headers: s.headers, agent: false }, (res) => {
          expect(res.statusCode).toBe(200);
          res.once('data', () => {
            req.destroy(); // gone after the first bytes
            resolve();
          });
        });
        req.on('error', (e) => (/socket hang up|aborted/.test(e.message) ? undefined : reject(e)));
        req.end(JSON.stringify(s.body));
      });
      // The gateway noticed and stopped reading (and paying for) the upstream stream.
      const outcome = await Promise.race([upstream.requests[0]!.closed, new Promise((r) => setTimeout(() => r('still open'), 3000))]);
      expect(outcome, `${s.path} ${s.body.model}`).toBe('aborted');
    }
    const after = await send({ name: 'after', path: '/v1/chat/completions', headers: bearer, body: JSON.stringify(chatValid) });
    expect(after.status).toBe(200);
    expect(gw.logs.filter((l) => l.level >= 50).slice(errorsBefore)).toEqual([]);
  });

  /** Writes raw bytes on a socket; resolves with what came back (status line and body) when the server closes or 3 s pass. */
  function rawExchange(bytes: string, halfClose = false): Promise<{ text: string; closed: boolean }> {
    return new Promise((resolve) => {
      const sock = connect(port, '127.0.0.1');
      let text = '';
      const done = (closed: boolean) => {
        clearTimeout(timer);
        sock.destroy();
        resolve({ text, closed });
      };
      const timer = setTimeout(() => done(false), 3000);
      sock.on('data', (d) => {
        text += d.toString('utf8');
        // One full response is enough: headers and a body of the declared length.
        const m = /content-length: (\d+)/i.exec(text);
        const head = text.indexOf('\r\n\r\n');
        if (m && head >= 0 && Buffer.byteLength(text.slice(head + 4)) >= Number(m[1])) done(true);
      });
      sock.on('close', () => done(true));
      sock.on('error', () => done(true));
      sock.write(bytes);
      if (halfClose) sock.end();
    });
  }

  it('broken HTTP framing gets a 4xx in an envelope or a closed connection, never a hang or a 5xx', async () => {
    const body = JSON.stringify(chatValid);
    const head = (extra: string) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TEST_KEY}\r\ncontent-type: application/json\r\n${extra}\r\n`;
    const cases: [string, string, boolean?][] = [
      ['chunked with a length that is not hex', `${head('transfer-encoding: chunked\r\n')}zz\r\n${body}\r\n0\r\n\r\n`],
      ['chunked with a length longer than the chunk', `${head('transfer-encoding: chunked\r\n')}ffff\r\n${body}\r\n0\r\n\r\n`, true],
      ['chunked with a negative length', `${head('transfer-encoding: chunked\r\n')}-5\r\n${body}\r\n0\r\n\r\n`],
      ['content-length longer than the body, then half-close', `${head(`content-length: ${body.length + 50}\r\n`)}${body}`, true],
      ['content-length shorter than the body', `${head('content-length: 10\r\n')}${body}`],
      ['content-length negative', `${head('content-length: -1\r\n')}${body}`],
      ['two different content-lengths', `${head(`content-length: ${body.length}\r\ncontent-length: 5\r\n`)}${body}`],
      ['content-length and chunked together', `${head(`content-length: ${body.length}\r\ntransfer-encoding: chunked\r\n`)}${body}`],
      ['content-length of 10 GB', `${head('content-length: 10737418240\r\n')}${body}`],
      ['NUL in a header value', `${head('x-odd: a\u0000b\r\n')}`],
      ['bare LF line endings', `POST /v1/chat/completions HTTP/1.1\nhost: x\ncontent-length: 2\n\n{}`],
      ['HTTP/1.0 without host', `POST /v1/chat/completions HTTP/1.0\r\nauthorization: Bearer ${TEST_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`],
    ];
    const failures: string[] = [];
    for (const [name, bytes, halfClose] of cases) {
      const { text, closed } = await rawExchange(bytes, halfClose);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      if (!status && !closed) failures.push(`${name}: no answer and not closed within 3 s`);
      if (status >= 500) failures.push(`${name}: ${status}`);
      if (status >= 400) {
        const problem = envelopeProblem(text.slice(text.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''));
        if (problem) failures.push(`${name}: ${status} ${problem}`);
      }
    }
    expect(failures).toEqual([]);
    const health = await send({ name: 'health', method: 'GET', path: '/healthz' });
    expect(health.status).toBe(200);
  }, 60_000);
});
