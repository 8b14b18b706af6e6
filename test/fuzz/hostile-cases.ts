/**
 * Seeded generators for the in-process fuzz test (hostile-input.test.ts). They build on the hostile values both
 * fuzz suites share (test/helpers/hostile-values.ts: wrong types in chat fields, broken JSON, deep nesting,
 * invalid UTF-8) and add what the process fuzzer (test/ops/fuzz.test.ts) does not send: numeric literals
 * JSON.stringify cannot write (1e400 parses as Infinity), every numeric parameter at and past OpenAI's limits,
 * budgets/limits/policies with extreme values on the admin API, and every route Fastify has registered (read
 * from the app, so a new route is fuzzed without editing this file).
 */
import type { FastifyInstance } from 'fastify';
import { chatBody, rawBody, wildValue, type Rng } from '../helpers/hostile-values.js';

/** Literals as they appear in a JSON text: the numeric edge cases, plus wrong types and broken literals. */
export const NUMERIC_LITERALS = [
  '-1', '0', '-0', '1', '2', '20', '21', '100', '101', '-100', '-101', '128', '129', '0.5', '1.5', '-2.5', '1e-400',
  '1e400', '-1e400', '1e308', '-1e308', '1e15', '9007199254740991', '9007199254740993', '-9007199254740993',
  '18446744073709551616', '1E3', '1048576', '1048577', '2147483648',
  // wrong types and literals that are not JSON
  '"5"', 'null', 'true', '[]', '{}', '[1e400]', '{"x":-1e400}', 'NaN', 'Infinity', '-Infinity', '0x10', '01', '+1', '.5', '1.', '1e', '--1',
] as const;

/** Every numeric parameter of the chat request, as a JSON path template (`$` is where the literal goes). */
const NUMERIC_FIELDS = [
  '"max_tokens":$', '"max_completion_tokens":$', '"temperature":$', '"top_p":$', '"n":$', '"presence_penalty":$',
  '"frequency_penalty":$', '"top_logprobs":$,"logprobs":true', '"logprobs":$', '"seed":$', '"logit_bias":{"50256":$}',
  '"logit_bias":{"$":1}', '"stream":true,"stream_options":{"include_usage":$}', '"metadata":{"k":$}', '"user":$',
  '"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"number","maximum":$}}}}}]',
  '"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"integer","minimum":$}}}',
  '"prediction":{"type":"content","content":$}', '"reasoning_effort":$', '"service_tier":$', '"verbosity":$',
  '"web_search_options":{"search_context_size":$}', '"audio":{"voice":"alloy","format":$}', '"modalities":$',
] as const;

/** A chat body as JSON text with one or two numeric parameters set to edge literals (text, so 1e400 survives). */
export function numericChatText(rng: Rng): string {
  const model = rng.pick(['gpt-4o-mini', 'claude-haiku-4-5', 'gpt-4o-mini']);
  const fields = Array.from({ length: 1 + rng.int(2) }, () => rng.pick(NUMERIC_FIELDS).replace('$', rng.pick(NUMERIC_LITERALS)));
  const messages = rng.chance(0.8) ? '[{"role":"user","content":"hi"}]' : `[{"role":"user","content":${rng.pick(NUMERIC_LITERALS)}}]`;
  return `{"model":"${model}","messages":${messages},${fields.join(',')}}`;
}

/** An Anthropic Messages body (/v1/messages, count_tokens) with numeric parameters at edge literals. */
export function messagesText(rng: Rng): string {
  const model = rng.pick(['claude-haiku-4-5', 'gpt-4o-mini']);
  const n = () => rng.pick(NUMERIC_LITERALS);
  const fields = [
    `"max_tokens":${rng.chance(0.7) ? n() : '16'}`,
    ...(rng.chance(0.5) ? [rng.pick([`"temperature":${n()}`, `"top_p":${n()}`, `"top_k":${n()}`, `"thinking":{"type":"enabled","budget_tokens":${n()}}`, `"metadata":{"user_id":${n()}}`, `"stop_sequences":${n()}`, `"system":${n()}`])] : []),
  ];
  return `{"model":"${model}","messages":[{"role":"user","content":${rng.chance(0.85) ? '"hi"' : n()}}],${fields.join(',')}}`;
}

/** A Responses API or embeddings body with numeric parameters at edge literals (routes other ingresses serve). */
export function otherIngressText(rng: Rng): { url: string; text: string } {
  const n = () => rng.pick(NUMERIC_LITERALS);
  if (rng.chance(0.7)) {
    const field = rng.pick(['max_output_tokens', 'temperature', 'top_p', 'top_logprobs', 'max_tool_calls', 'truncation', 'input']);
    return { url: '/v1/responses', text: `{"model":"${rng.pick(['gpt-4o-mini', 'claude-haiku-4-5'])}","input":"hi","${field}":${n()}${rng.chance(0.3) ? ',"stream":true' : ''}}` };
  }
  const field = rng.pick(['dimensions', 'input', 'encoding_format']);
  return { url: '/v1/embeddings', text: `{"model":"${rng.pick(['text-embedding-3-small', 'gpt-4o-mini'])}","input":"hi","${field}":${n()}}` };
}

/** Admin bodies with extreme numbers and odd shapes where the admin API takes numbers and patterns. */
export function adminText(rng: Rng): string {
  const n = () => rng.pick(NUMERIC_LITERALS);
  switch (rng.int(8)) {
    case 0: return `[{"period":"${rng.pick(['daily', 'monthly', 'lifetime', 'hourly', ''])}","usd":${n()},"tokens":${n()},"softThreshold":${n()}}]`;
    case 1: return `{"rpm":${n()},"tpm":${n()}}`;
    case 2: return `{"id":"fz${rng.int(50)}","budgets":[{"period":"daily","usd":${rng.chance(0.5) ? n() : `"${rng.pick(['1.00', '-1', '1e400', 'NaN', '0.0000001', '99999999999999999999'])}"`}}],"rateLimits":{"rpm":${n()}}}`;
    case 3: return `{"guards":{"prompt":{"deny":[${JSON.stringify(rng.pick(['(a|aa)+$', '(?=x)', '(\\w+)\\1', '[', 'x'.repeat(2000), '\\p{Greek}+', '(?i)secret', '']))}],"maxPromptChars":${n()}}}}`;
    case 4: return `{"guards":{"injection":{"threshold":${n()}},"topics":{"threshold":${n()},"timeoutMs":${n()}}},"cache":{"ttlSeconds":${n()},"similarityThreshold":${n()},"maxTemperature":${n()}}}`;
    case 5: return `{"team":"${rng.pick(['default', 'tight', 'nope', ''])}","name":"k","budgets":[{"period":"daily","tokens":${n()}}],"expiresAt":${rng.pick(['"2000-01-01T00:00:00Z"', '"9999-12-31T23:59:59Z"', '"bogus"', n()])}}`;
    case 6: return JSON.stringify(rng.pick([['*'], ['gpt-4o-mini', 'openai/*'], [], ['\u0000'], 'x', null]));
    default: return JSON.stringify(wildValue(rng));
  }
}

/** A registered route: path template (`:id`, `*`) and its methods. */
export interface Route {
  path: string;
  methods: string[];
}

/** The routes Fastify registered, read from `printRoutes` (one tree line per path segment). */
export function registeredRoutes(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    // A wildcard child is printed without its slash: `/v1/models` then `*` is `/v1/models/*`.
    stack.push(m[2] === '*' && !stack.join('').endsWith('/') ? '/*' : m[2]!);
    if (m[3]) routes.push({ path: stack.join(''), methods: m[3].split(', ') });
  }
  return routes;
}

const PARAM_VALUES = ['default', 'tight', 'test', 'tight-key', 'nope', '..', '%2e%2e', '%00', '%E0%A4%A', '__proto__', 'constructor', '💥', '%F0%9F%92%A5', 'a'.repeat(250), 'x%20y', 'app.js', 'uplot.min.css', '..%2f..%2fpackage.json'];
const QUERIES = ['', '', '?days=-5', '?days=1e400', '?days=7&team=tight', '?team=../../', '?from=bogus&to=-1&granularity=year', '?groupBy=__proto__', '?limit=1e400&offset=-1', `?q=${'z'.repeat(3000)}`, '?a[b][c]=1&a=2', '?%zz', '?team=default&team=tight', '?days=30&team=%00'];
/** Methods Node's HTTP parser knows (inject refuses others), including ones no route takes. */
const METHODS = ['GET', 'GET', 'HEAD', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'LOCK', 'PURGE'];

/**
 * What a changing admin call may name instead of the fuzzer's own team and keys: revoking, deleting or setting a
 * $0 budget on those would turn the rest of the run into 401/402s and hide the pipeline from the fuzzer.
 */
const VICTIM_VALUES = ['victim', 'victim-key', ...PARAM_VALUES.slice(4)];

/** A concrete URL for a route template: parameters filled with valid and hostile values, a hostile query. */
export function concretePath(rng: Rng, template: string, changes = false): string {
  const values = changes && template.startsWith('/admin') ? VICTIM_VALUES : PARAM_VALUES;
  const path = template.replace(/:[a-zA-Z]+/g, () => rng.pick(values)).replace(/\*$/, () => rng.pick(['gpt-4o-mini', 'claude-haiku-4-5', 'openai/gpt-4o-mini', ...PARAM_VALUES]));
  return path + rng.pick(QUERIES);
}

export interface InjectCase {
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

export interface Secrets {
  apiKeys: string[];
  adminToken: string;
  metricsToken: string;
}

const CONTENT_TYPES = ['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', 'application/octet-stream', ''];

function auth(rng: Rng, s: Secrets, preferred: string): string | undefined {
  if (rng.chance(0.7)) return `Bearer ${preferred}`;
  return rng.pick([undefined, 'Bearer', '', `bearer ${preferred}`, `Basic ${preferred}`, `Bearer ${'k'.repeat(8000)}`, `Bearer ${preferred} extra`, `Bearer ${rng.pick(s.apiKeys)}`, `Bearer ${s.adminToken}`, `Bearer ${s.metricsToken}`, 'Bearer gw-\u00e9\u00e8', 'Bearer \t', `Bearer ${preferred.slice(0, -1)}`]);
}

/** The next case: chat (most), numeric-edge chat, raw bodies, every registered route with odd methods/bodies. */
export function nextInjectCase(rng: Rng, routes: Route[], s: Secrets, bodyLimit: number): InjectCase {
  const roll = rng.next();
  const headers: Record<string, string> = {};
  const key = rng.pick(s.apiKeys);
  if (roll < 0.3) {
    const a = auth(rng, s, key);
    if (a !== undefined) headers.authorization = a;
    headers['content-type'] = rng.chance(0.95) ? 'application/json' : rng.pick(CONTENT_TYPES);
    return { kind: 'chat-numeric', method: 'POST', url: '/v1/chat/completions', headers, payload: numericChatText(rng) };
  }
  if (roll < 0.35) {
    headers['x-api-key'] = rng.chance(0.9) ? key : rng.pick(['', s.adminToken, 'x'.repeat(300)]);
    headers['anthropic-version'] = '2023-06-01';
    headers['content-type'] = 'application/json';
    return { kind: 'messages-numeric', method: 'POST', url: rng.pick(['/v1/messages', '/v1/messages', '/v1/messages/count_tokens']), headers, payload: messagesText(rng) };
  }
  if (roll < 0.4) {
    const a = auth(rng, s, key);
    if (a !== undefined) headers.authorization = a;
    headers['content-type'] = 'application/json';
    const { url, text } = otherIngressText(rng);
    return { kind: 'other-ingress-numeric', method: 'POST', url, headers, payload: text };
  }
  if (roll < 0.55) {
    const a = auth(rng, s, key);
    if (a !== undefined) headers.authorization = a;
    headers['content-type'] = 'application/json';
    return { kind: 'chat-json', method: 'POST', url: '/v1/chat/completions', headers, payload: JSON.stringify(chatBody(rng)) };
  }
  if (roll < 0.65) {
    const a = auth(rng, s, key);
    if (a !== undefined) headers.authorization = a;
    const ct = rng.pick(CONTENT_TYPES);
    if (ct) headers['content-type'] = ct;
    const { kind, body } = rawBody(rng, bodyLimit);
    if (rng.chance(0.3)) headers['x-api-key'] = rng.pick([key, key, '', 'x'.repeat(300)]);
    return { kind: `chat-${kind}`, method: 'POST', url: rng.pick(['/v1/chat/completions', '/v1/messages', '/admin/teams']), headers, payload: body };
  }
  // Every registered route, with the credential it expects most of the time.
  const route = rng.pick(routes);
  const method = rng.chance(0.6) ? rng.pick(route.methods) : rng.pick(METHODS);
  const preferred = route.path.startsWith('/admin') ? s.adminToken : route.path.startsWith('/metrics') ? s.metricsToken : key;
  const a = auth(rng, s, preferred);
  if (a !== undefined) headers.authorization = a;
  if (route.path.startsWith('/v1/messages') && rng.chance(0.6)) headers['x-api-key'] = rng.pick([key, key, s.adminToken, '']);
  if (rng.chance(0.15)) headers['x-request-id'] = rng.pick(['ok-id', '../../x', 'a'.repeat(500), 'id with spaces', '']);
  if (rng.chance(0.05)) headers['x-big'] = 'b'.repeat(rng.pick([1000, 8000]));
  if (rng.chance(0.05)) headers.accept = rng.pick(['text/event-stream', 'application/xml', '*/*;q=bogus']);
  if (rng.chance(0.05)) headers.cookie = rng.pick(['gw_session=../../', `gw_key=${key}`, 'a=b; a=c', '💥=1']);
  let payload: string | Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD' && rng.chance(0.85)) {
    const r = rng.next();
    payload = r < 0.55 ? adminText(rng) : r < 0.75 ? JSON.stringify(wildValue(rng)) : r < 0.9 ? numericChatText(rng) : rawBody(rng, bodyLimit).body;
    const ct = rng.chance(0.85) ? 'application/json' : rng.pick(CONTENT_TYPES);
    if (ct) headers['content-type'] = ct;
  }
  const changes = !['GET', 'HEAD', 'OPTIONS', 'PROPFIND', 'SEARCH', 'TRACE'].includes(method);
  return { kind: `route ${method} ${route.path}`, method, url: concretePath(rng, route.path, changes), headers, payload };
}
