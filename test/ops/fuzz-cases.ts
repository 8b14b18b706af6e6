/**
 * Seeded generators of hostile HTTP requests for the fuzz test: malformed and adversarial JSON bodies for every
 * route, wrong types in every chat field, every role × content-part combination, invalid UTF-8, deep nesting,
 * oversized bodies, odd headers. Pure functions of the PRNG, so a seed reproduces a run exactly.
 */

/** Deterministic PRNG (mulberry32): same seed, same cases. */
export function createRng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)], chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof createRng>;

/** One request the fuzzer sends through a normal HTTP client. */
export interface FuzzCase {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function', 'bogus', ''] as const;
const PART_TYPES = ['text', 'image_url', 'input_audio', 'file', 'refusal', 'bogus'] as const;

/** A value of a random JSON type, sometimes extreme. */
export function wildValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 9 : 11)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1e-320]);
    case 3: return '';
    case 4: return rng.pick(['x', 'gpt-4o-mini', '\u0000', '\ud800', '💥'.repeat(50), '<script>alert(1)</script>', '${HOME}', '../../etc/passwd', '%s%n']);
    case 5: return 'a'.repeat(rng.pick([1000, 65_536, 200_000]));
    case 6: return rng.int(1e9);
    case 7: return [];
    case 8: return {};
    case 9: return Array.from({ length: rng.int(4) }, () => wildValue(rng, depth + 1));
    default: return Object.fromEntries(Array.from({ length: rng.int(4) }, (_, i) => [rng.pick(['__proto__', 'constructor', 'type', 'x', `k${i}`]), wildValue(rng, depth + 1)]));
  }
}

function part(rng: Rng, type: string): unknown {
  const wild = rng.chance(0.3);
  switch (type) {
    case 'text': return { type, text: wild ? wildValue(rng) : 'hello' };
    case 'image_url': return { type, image_url: wild ? wildValue(rng) : { url: rng.pick(['data:image/png;base64,iVBORw0KGgo=', 'data:image/png;base64,!!!', 'https://example.invalid/x.png', 'data:,']), detail: rng.pick(['low', 'high', 'auto', 'bogus']) } };
    case 'input_audio': return { type, input_audio: wild ? wildValue(rng) : { data: 'AAAA', format: rng.pick(['wav', 'mp3', 'ogg']) } };
    case 'file': return { type, file: wild ? wildValue(rng) : { file_data: 'data:application/pdf;base64,AAAA', filename: 'a.pdf' } };
    case 'refusal': return { type, refusal: wild ? wildValue(rng) : 'no' };
    default: return { type, whatever: wildValue(rng) };
  }
}

/** A message with a random role and content shape (string, null, parts of every type, tool calls). */
export function message(rng: Rng, role: string = rng.chance(0.5) ? 'user' : rng.pick(ROLES)): Record<string, unknown> {
  const m: Record<string, unknown> = { role };
  const shape = rng.chance(0.4) ? 0 : rng.int(5);
  if (shape === 0) m.content = 'hi there';
  else if (shape === 1) m.content = null;
  else if (shape === 2) m.content = wildValue(rng);
  else m.content = Array.from({ length: 1 + rng.int(3) }, () => part(rng, rng.pick(PART_TYPES)));
  if (role === 'assistant' && rng.chance(0.4)) m.tool_calls = rng.chance(0.5) ? [{ id: 'c1', type: 'function', function: { name: 'f', arguments: rng.pick(['{}', '{bad', '']) } }] : wildValue(rng);
  if (role === 'tool') m.tool_call_id = rng.chance(0.7) ? 'c1' : wildValue(rng);
  if (rng.chance(0.1)) m.name = wildValue(rng);
  return m;
}

const CHAT_FIELDS = ['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'n', 'temperature', 'top_p', 'stop', 'tools', 'tool_choice', 'response_format', 'logit_bias', 'user', 'seed', 'parallel_tool_calls', 'metadata', 'reasoning_effort', 'modalities'] as const;

/** A chat body: mostly valid with one or two fields of a wrong type, or every role/part combination. */
export function chatBody(rng: Rng): unknown {
  const body: Record<string, unknown> = {
    model: rng.pick(['gpt-4o-mini', 'gpt-4o-mini', 'claude-haiku-4-5', 'nope', 'openai/gpt-4o-mini']),
    messages: Array.from({ length: 1 + rng.int(3) }, () => message(rng)),
    max_tokens: 16,
  };
  if (rng.chance(0.3)) {
    body.stream = true;
    if (rng.chance(0.5)) body.stream_options = { include_usage: true };
  }
  if (rng.chance(0.6)) for (let i = 1 + rng.int(2); i > 0; i--) body[rng.pick(CHAT_FIELDS)] = wildValue(rng);
  if (rng.chance(0.1)) delete body[rng.pick(['model', 'messages'])];
  if (rng.chance(0.05)) return wildValue(rng); // not even an object
  return body;
}

/** `depth` nested arrays (or objects): V8, the JSON parser's hardening and the validators must all survive it. */
export function deepJson(depth: number, objects: boolean): string {
  return objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
}

const INVALID_UTF8 = [Buffer.from([0xc3, 0x28]), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xe2, 0x82])];

/** A raw body: broken JSON, invalid UTF-8 inside strings, deep nesting, oversize, or random bytes. */
export function rawBody(rng: Rng, bodyLimit: number): { kind: string; body: Buffer } {
  switch (rng.int(9)) {
    case 0: return { kind: 'truncated-json', body: Buffer.from(JSON.stringify(chatBody(rng)).slice(0, 1 + rng.int(40))) };
    case 1: {
      const bad = rng.pick(INVALID_UTF8);
      return { kind: 'invalid-utf8', body: Buffer.concat([Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"'), bad, Buffer.from('"}]}')]) };
    }
    case 2: return { kind: 'deep-json', body: Buffer.from(deepJson(rng.pick([1000, 10_000, 100_000]), rng.chance(0.5))) };
    case 3: return { kind: 'deep-json-in-field', body: Buffer.from(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":${deepJson(rng.pick([500, 5000, 50_000]), rng.chance(0.5))}}]}`) };
    case 4: return { kind: 'oversize', body: Buffer.alloc(bodyLimit + 1 + rng.int(1000), 0x61) };
    case 5: return { kind: 'random-bytes', body: Buffer.from(Array.from({ length: rng.int(300) }, () => rng.int(256))) };
    case 6: return { kind: 'proto-pollution', body: Buffer.from('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}') };
    case 7: return { kind: 'many-messages', body: Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: Array.from({ length: 5000 }, () => ({ role: 'user', content: 'x' })), max_tokens: 1 })) };
    default: return { kind: 'json-scalar', body: Buffer.from(rng.pick(['null', '1', '"x"', 'true', '[]', '{}', ' ', '\ufeff{}'])) };
  }
}

const CONTENT_TYPES = ['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', ''];

export interface FuzzKeys {
  apiKey: string;
  adminToken: string;
}

/** Auth header variants: good, missing, malformed, long, wrong scheme. */
function authHeader(rng: Rng, secret: string): string | undefined {
  if (rng.chance(0.75)) return `Bearer ${secret}`;
  return rng.pick([undefined, 'Bearer', `bearer ${secret}`, `Basic ${secret}`, `Bearer ${'k'.repeat(8000)}`, `Bearer ${secret} extra`, 'Bearer gw-\u00e9\u00e8']);
}

const ADMIN_PATHS = ['/admin/teams', '/admin/teams/default', '/admin/teams/x%00y', '/admin/teams/../keys', '/admin/keys', '/admin/keys/test', '/admin/keys/test/budget-status', '/admin/teams/default/budget-status', '/admin/usage', '/admin/usage?from=bogus&to=-1&granularity=year', '/admin/usage.csv?groupBy=__proto__', '/admin/keys?team=' + 'z'.repeat(3000), '/admin/openapi.json', '/admin/nope', `/admin/teams/${'i'.repeat(300)}`];
const OTHER_PATHS = ['/v1/models', '/v1/models/gpt-4o-mini', '/v1/models/%E0%A4%A', '/healthz', '/readyz', '/metrics', '/dashboard', '/dashboard/', '/dashboard/api/me', '/dashboard/api/summary?days=-5', '/dashboard/api/summary?days=1e9&team=../../', '/dashboard/assets/..%2f..%2fpackage.json', '/dashboard/assets/app.js', '/v1/chat/completions?x=' + 'q'.repeat(5000), '/%', '/v1//chat/completions', '/' + 'p'.repeat(10_000)];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

/** The next request: chat bodies (most), raw bodies, every other route with random methods and bodies. */
export function nextCase(rng: Rng, keys: FuzzKeys, bodyLimit: number): FuzzCase {
  const roll = rng.next();
  const headers: Record<string, string> = {};
  if (roll < 0.5) {
    const auth = authHeader(rng, keys.apiKey);
    if (auth) headers.authorization = auth;
    headers['content-type'] = 'application/json';
    return { kind: 'chat-json', method: 'POST', path: '/v1/chat/completions', headers, body: Buffer.from(JSON.stringify(chatBody(rng))) };
  }
  if (roll < 0.7) {
    const auth = authHeader(rng, keys.apiKey);
    if (auth) headers.authorization = auth;
    const ct = rng.pick(CONTENT_TYPES);
    if (ct) headers['content-type'] = ct;
    const { kind, body } = rawBody(rng, bodyLimit);
    return { kind: `chat-${kind}`, method: 'POST', path: '/v1/chat/completions', headers, body };
  }
  if (roll < 0.85) {
    const auth = rng.chance(0.7) ? `Bearer ${keys.adminToken}` : authHeader(rng, keys.apiKey);
    if (auth) headers.authorization = auth;
    const method = rng.pick(['GET', 'GET', 'POST', 'PATCH', 'PUT', 'DELETE']);
    const path = rng.pick(ADMIN_PATHS);
    // Never delete the fuzzer's own team or key: the run would turn into 401s.
    if (method === 'DELETE' && /default|test/.test(path)) return { kind: 'admin', method: 'GET', path, headers };
    const body = method === 'GET' || method === 'DELETE' ? undefined : rng.chance(0.2) ? rawBody(rng, bodyLimit).body : Buffer.from(JSON.stringify(wildValue(rng)));
    if (body) headers['content-type'] = rng.pick(CONTENT_TYPES) || 'application/json';
    return { kind: 'admin', method, path, headers, body };
  }
  const method = rng.pick(METHODS);
  const path = rng.pick(OTHER_PATHS);
  const auth = rng.chance(0.5) ? authHeader(rng, keys.apiKey) : rng.chance(0.5) ? `Bearer ${keys.adminToken}` : undefined;
  if (auth) headers.authorization = auth;
  if (rng.chance(0.2)) headers['x-request-id'] = rng.pick(['ok-id', '../../x', 'a'.repeat(500), 'id with spaces']);
  if (rng.chance(0.1)) headers['x-big'] = 'b'.repeat(rng.pick([1000, 8000]));
  const body = method === 'GET' || method === 'HEAD' || rng.chance(0.5) ? undefined : Buffer.from(JSON.stringify(wildValue(rng)));
  if (body) headers['content-type'] = 'application/json';
  return { kind: `route-${method}`, method, path, headers, body };
}

/** Byte-level requests no ordinary client would send (HTTP framing attacks). `connection: close` ends each. */
export function rawHttpCases(keys: FuzzKeys): { kind: string; bytes: Buffer }[] {
  const head = (lines: string[]) => Buffer.from(lines.join('\r\n') + '\r\n\r\n');
  const auth = `authorization: Bearer ${keys.apiKey}`;
  const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":5}';
  return [
    { kind: 'dup-content-length-conflict', bytes: Buffer.concat([head(['POST /v1/chat/completions HTTP/1.1', 'host: x', auth, 'content-type: application/json', `content-length: ${body.length}`, 'content-length: 3', 'connection: close']), Buffer.from(body)]) },
    { kind: 'dup-content-length-same', bytes: Buffer.concat([head(['POST /v1/chat/completions HTTP/1.1', 'host: x', auth, 'content-type: application/json', `content-length: ${body.length}`, `content-length: ${body.length}`, 'connection: close']), Buffer.from(body)]) },
    { kind: 'cl-and-chunked', bytes: Buffer.concat([head(['POST /v1/chat/completions HTTP/1.1', 'host: x', auth, 'content-type: application/json', 'content-length: 4', 'transfer-encoding: chunked', 'connection: close']), Buffer.from(`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`)]) },
    { kind: 'bad-chunk-size', bytes: Buffer.concat([head(['POST /v1/chat/completions HTTP/1.1', 'host: x', auth, 'content-type: application/json', 'transfer-encoding: chunked', 'connection: close']), Buffer.from('zz\r\nabc\r\n0\r\n\r\n')]) },
    { kind: 'negative-content-length', bytes: head(['POST /v1/chat/completions HTTP/1.1', 'host: x', auth, 'content-length: -5', 'connection: close']) },
    { kind: 'giant-header', bytes: head(['GET /healthz HTTP/1.1', 'host: x', `x-giant: ${'g'.repeat(100_000)}`, 'connection: close']) },
    { kind: 'many-headers', bytes: head(['GET /v1/models HTTP/1.1', 'host: x', auth, ...Array.from({ length: 3000 }, (_, i) => `x-h${i}: v`), 'connection: close']) },
    { kind: 'invalid-header-bytes', bytes: Buffer.concat([Buffer.from('GET /v1/models HTTP/1.1\r\nhost: x\r\nauthorization: Bearer '), Buffer.from([0xff, 0x00, 0xfe]), Buffer.from('\r\nconnection: close\r\n\r\n')]) },
    { kind: 'bad-request-line', bytes: Buffer.from('GARBAGE\r\n\r\n') },
    { kind: 'http-0.9', bytes: Buffer.from('GET /healthz\r\n\r\n') },
    { kind: 'huge-method', bytes: head([`${'X'.repeat(5000)} / HTTP/1.1`, 'host: x', 'connection: close']) },
  ];
}
