/**
 * Issue 18.8: the semantic cache never answers a different question because the embedder cut the prompt short.
 * Embedders read a bounded number of tokens (the tiny test model 128, like USE lite; MiniLM 512): a document
 * followed by "Summarize…" and then by "Translate…" must not be a hit, nor an instruction placed before it.
 * Run against the real local embedder (tiny model) and a provider embedder (an OpenAI-shaped /embeddings
 * server that, like a real model, reads only its first 128 tokens).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../../scripts/make-tiny-model.js';
import { CACHE_DEFAULTS, resolvePolicy, type EffectiveCache } from '../../src/config/policy.js';
import type { ChatResponse } from '../../src/core/types.js';
import { createResponseCache, type ResponseCache } from '../../src/cache/response-cache.js';
import { createLocalEmbedder, createProviderEmbedder, type Embedder } from '../../src/embeddings/embedder.js';
import type { StateStore } from '../../src/state/state-store.js';
import { createEmbeddedVectorStore, type VectorStore } from '../../src/vector/vector-store.js';
import { request, wordEmbedder } from '../routing/helpers.js';

const tiny = makeTinyModel('test/.tmp/models');
const policy = { ...CACHE_DEFAULTS, mode: 'on', semantic: 'on', similarityThreshold: 0.9, calibration: { precision: 0.999, minSamples: 0 } } as EffectiveCache;

function memoryStore(): StateStore {
  const m = new Map<string, string>();
  return { cacheGet: async (k: string) => m.get(k), cacheSet: async (k: string, v: string) => void m.set(k, v) } as unknown as StateStore;
}
const answer = (content: string) =>
  ({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }] }) as ChatResponse;

// Sentences of words the tiny model knows, so the document itself embeds word by word.
const SENTENCES = [
  'The old man and his dog walk by the river every morning before the sun is high.',
  'Children play near the water while their mother reads a book under a large tree.',
  'A small boat with a red sail comes into the port late in the day.',
  'The people of the town build a new school on the land near the mountain.',
  'Her father tells a long story about the war and the ship that never came home.',
  'Many birds fly over the sea toward the island in the cold north wind.',
  'The farm has a horse, four dogs and a field of green plants by the road.',
  'At night the family sits together at the table and listens to music.',
];
const doc = (sentences: number) => Array.from({ length: sentences }, (_, i) => SENTENCES[i % SENTENCES.length]).join(' ');
const LONG = doc(80); // ≈ 1,100 words
const MEDIUM = doc(8); // ≈ 140 words: past a 128-token window, within the segment limit

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'semantic-window-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cacheWith(embedder: Embedder): Promise<{ cache: ResponseCache; vectors: VectorStore }> {
  const vectors = createEmbeddedVectorStore({ dir: mkdtempSync(join(dir, 'v-')) });
  await vectors.init(embedder.dimension);
  return { cache: createResponseCache({ store: memoryStore(), vectors, embedder: () => embedder }), vectors };
}

const ask = (content: string) => request({ messages: [{ role: 'user', content }], temperature: 0 });

function suite(name: string, make: () => Promise<Embedder>) {
  describe(name, () => {
    let embedder: Embedder;
    beforeAll(async () => {
      embedder = await make();
    }, 60_000);
    afterAll(() => embedder?.close());

    async function storeThenAsk(first: string, second: string) {
      const { cache, vectors } = await cacheWith(embedder);
      const miss = await cache.lookup(ask(first), policy, 'team:a', 'm', {});
      expect(miss.status).toBe('miss');
      await cache.write(miss, answer('the first answer'), policy);
      const result = await cache.lookup(ask(second), policy, 'team:a', 'm', {});
      await vectors.close();
      return result;
    }

    it('a ~1,000-word document with "Summarize…" then "Translate…" after it is a miss; the exact repeat still hits', async () => {
      const summarize = `${LONG}\n\nSummarize the text above in three short points.`;
      const translate = `${LONG}\n\nTranslate the text above into French.`;
      const result = await storeThenAsk(summarize, translate);
      expect(result.status).toBe('miss');
      expect(result.status === 'miss' && result.shadow).toBeFalsy();
      expect((await storeThenAsk(summarize, summarize)).status).toBe('hit');
    });

    it('an instruction after a document longer than the window is not lost', async () => {
      const result = await storeThenAsk(`${MEDIUM}\nSummarize the text above in three short points.`, `${MEDIUM}\nTranslate the text above into French.`);
      expect(result.status).toBe('miss');
    });

    it('an instruction before the document weighs as much as the document (no dilution by mean pooling)', async () => {
      const result = await storeThenAsk(`Summarize the following text in three short points:\n${MEDIUM}`, `Translate the following text into French:\n${MEDIUM}`);
      expect(result.status).toBe('miss');
      if (result.status === 'miss' && result.shadow) expect(result.shadow.similarity).toBeLessThan(0.9);
    });

    it('a multi-sentence prompt still matches itself written differently (case, spacing)', async () => {
      const result = await storeThenAsk(`Summarize the following text:\n${MEDIUM}`, `summarize the following text:\n\n${MEDIUM.replaceAll('. ', '.  ')}`);
      expect(result).toMatchObject({ status: 'hit', layer: 'semantic' });
    });
  });
}

suite('local embedder (tiny model, reads 128 tokens)', async () => {
  const e = await createLocalEmbedder({ model: tiny.model, modelDir: tiny.modelDir });
  expect(e.maxInputTokens).toBe(128);
  return e;
});

let server: Server | undefined;
suite('provider embedder (reads its first 128 words)', async () => {
  const words = wordEmbedder(256);
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      const { input } = JSON.parse(raw) as { input: string[] };
      // Like a real model: whatever follows the window never reaches the embedding.
      const vectors = await words.embed(input.map((t) => t.split(/\s+/).slice(0, 128).join(' ')));
      const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: [...v] }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const e = await createProviderEmbedder({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k', model: 'words', maxInputTokens: 128 });
  const close = e.close;
  return Object.assign(e, { close: async () => (await close(), server!.close()) });
});

describe('the semantic layer starts in shadow mode', () => {
  it('new configs and teams get semantic: shadow; booleans of earlier versions still read', () => {
    expect(resolvePolicy({}, {}).cache.semantic).toBe('shadow');
    expect(resolvePolicy({ cache: { mode: 'on' } }, {}).cache).toMatchObject({ mode: 'on', semantic: 'shadow' });
    expect(resolvePolicy({}, { cache: { semantic: true } }).cache.semantic).toBe('on');
    expect(resolvePolicy({}, { cache: { semantic: false } }).cache.semantic).toBe('off');
  });
});
