/**
 * Seeded generators of hostile values shared by both fuzz suites (test/ops/fuzz.test.ts over a gateway process,
 * test/fuzz/hostile-input.test.ts in process): JSON values of every type with extremes (odd numbers, huge and
 * odd-unicode strings, prototype keys, nesting), chat bodies with wrong types in their fields and every role ×
 * content-part shape, and raw bodies (broken JSON, invalid UTF-8, deep nesting, oversize, random bytes).
 * Pure functions of the PRNG, so a suite's seed reproduces its run exactly.
 */
import { seededRandom } from '../../src/util/seeded-random.js';

/** Deterministic PRNG (src/util's mulberry32) with the picks the generators use: same seed, same cases. */
export function createRng(seed: number) {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)], chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof createRng>;

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function', 'bogus', ''] as const;
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
function deepJson(depth: number, objects: boolean): string {
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

