/**
 * The response cache without HTTP: what is stored, what is served, and how it degrades when the semantic layer
 * (embedder, vector store) fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_DEFAULTS, type EffectiveCache } from '../../src/config/policy.js';
import type { ChatChunk, ChatResponse } from '../../src/core/types.js';
import { replayChunks } from '../../src/cache/replay.js';
import { createResponseCache } from '../../src/cache/response-cache.js';
import { createStreamAssembler } from '../../src/cache/stream-assembler.js';
import type { StateStore } from '../../src/state/state-store.js';
import { createEmbeddedVectorStore } from '../../src/vector/vector-store.js';
import type { Embedder } from '../../src/embeddings/embedder.js';
import { request, wordEmbedder } from '../routing/helpers.js';

const policy: EffectiveCache = { ...CACHE_DEFAULTS, mode: 'on', semantic: 'on', similarityThreshold: 0.9, calibration: { precision: 0.999, minSamples: 0 } } as EffectiveCache;

/** The two StateStore methods the cache uses, over a Map. */
function memoryStore(): StateStore {
  const m = new Map<string, string>();
  return { cacheGet: async (k: string) => m.get(k), cacheSet: async (k: string, v: string) => void m.set(k, v) } as unknown as StateStore;
}

function answer(content: string, finish: string = 'stop'): ChatResponse {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish }],
    usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
  } as ChatResponse;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
async function vectors(dimension: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cache-vectors-'));
  dirs.push(dir);
  const v = createEmbeddedVectorStore({ dir });
  await v.init(dimension);
  return v;
}

describe('semantic layer failures', () => {
  it('an embedder that rejects (worker restarting) is a miss, and the exact layer still stores and serves', async () => {
    const working = wordEmbedder(64);
    const broken: Embedder = { ...working, embed: async () => Promise.reject(new Error('embedding worker died (SIGKILL); restarting')) };
    const cache = createResponseCache({ store: memoryStore(), vectors: await vectors(64), embedder: () => broken });
    const req = request({ messages: [{ role: 'user', content: 'Name three primary colours' }], temperature: 0 });

    const first = await cache.lookup(req, policy, 'team:a', 'gpt-4o-mini', {});
    expect(first.status).toBe('miss');
    // The write embeds again and fails again: the exact entry must be stored before that.
    await cache.write(first, answer('Red, yellow and blue.'), policy).catch(() => undefined);
    const second = await cache.lookup(req, policy, 'team:a', 'gpt-4o-mini', {});
    expect(second.status).toBe('hit');
  });
});

describe('requests for log probabilities', () => {
  it('bypass the cache: a stored answer, replayed as a stream, could not give them back', async () => {
    const c = createResponseCache({ store: memoryStore(), embedder: () => null });
    const req = request({ messages: [{ role: 'user', content: 'Say hello' }], temperature: 0, logprobs: true, top_logprobs: 2 });
    const first = await c.lookup(req, policy, 'team:a', 'm', {});
    expect(first).toMatchObject({ status: 'bypass', reason: 'logprobs', write: false });
    await c.write(first, answer('Hello.'), policy);
    expect((await c.lookup(req, policy, 'team:a', 'm', {})).status).toBe('bypass');
  });
});

describe('what is never stored', () => {
  const cache = () => createResponseCache({ store: memoryStore(), embedder: () => null });
  const req = request({ messages: [{ role: 'user', content: 'Say hello' }], temperature: 0 });

  it('an answer without choices', async () => {
    const c = cache();
    const miss = await c.lookup(req, policy, 'team:a', 'm', {});
    await c.write(miss, { ...answer('x'), choices: [] }, policy);
    expect((await c.lookup(req, policy, 'team:a', 'm', {})).status).toBe('miss');
  });

  it('a streamed answer whose stream never said why it finished (cut before its finish chunk)', async () => {
    const c = cache();
    const asm = createStreamAssembler();
    const base = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini' } as const;
    asm.add({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] } as ChatChunk);
    asm.add({ ...base, choices: [{ index: 0, delta: { content: 'The answer is' }, logprobs: null, finish_reason: null }] } as ChatChunk);
    const miss = await c.lookup(req, policy, 'team:a', 'm', {});
    await c.write(miss, asm.result()!, policy);
    expect((await c.lookup(req, policy, 'team:a', 'm', {})).status).toBe('miss');
  });
});

describe('stream replay', () => {
  it('never splits a character across chunks (emoji and other astral characters stay whole)', () => {
    // 63 ASCII characters then an emoji: a split by UTF-16 code units cuts the emoji's surrogate pair in two,
    // which JSON clients other than JavaScript (Python, Go) turn into broken text or U+FFFD.
    const text = `${'a'.repeat(63)}😀${'b'.repeat(40)}🎉 ${'c'.repeat(63)}𝒳 end`;
    const chunks = replayChunks(answer(text), 'chatcmpl-x', 1);
    const pieces = chunks.map((c) => c.choices[0]?.delta?.content ?? '').filter(Boolean);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) expect(JSON.stringify(p)).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
  });
});
