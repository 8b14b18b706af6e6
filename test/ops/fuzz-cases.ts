/**
 * Seeded generators of hostile HTTP requests for the process fuzz test (fuzz.test.ts): the shared hostile values
 * (test/helpers/hostile-values.ts) sent to every route with odd content types, credentials and methods, and
 * byte-level framing attacks no ordinary client sends. Pure functions of the PRNG, so a seed reproduces a run.
 */
import { chatBody, rawBody, wildValue, type Rng } from '../helpers/hostile-values.js';

/** One request the fuzzer sends through a normal HTTP client. */
export interface FuzzCase {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
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
