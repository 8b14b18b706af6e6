import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  countPromptTokens,
  createTextCountCache,
  encodingForModel,
  imageSizeFromUrl,
  imageTokens,
  UNKNOWN_SIZE_IMAGE_TOKENS,
} from '../../src/tokens/index.js';
import { toChatRequest } from './helpers.js';
import { pngDataUrl } from './png.js';
import { referencePromptTokens } from './reference-count.js';

interface CorpusEntry {
  name: string;
  model: string;
  body: Record<string, unknown>;
  imageSizes?: ([number, number] | null)[];
}

/** Loads the corpus, replacing `{{png:WxH}}` placeholders with real PNG data URLs of that size. */
function loadCorpus(): CorpusEntry[] {
  const raw = readFileSync(new URL('./fixtures/requests.json', import.meta.url), 'utf8');
  return JSON.parse(raw.replace(/\{\{png:(\d+)x(\d+)\}\}/g, (_, w, h) => pngDataUrl(Number(w), Number(h))));
}

describe('encodingForModel', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base'],
    ['openai/gpt-4.1-nano', 'o200k_base'],
    ['gpt-5-mini', 'o200k_base'],
    ['o1-preview', 'o200k_base'],
    ['o3', 'o200k_base'],
    ['o4-mini', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['ft:gpt-4o-mini-2024-07-18:acme::abc123', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-turbo-2024-04-09', 'cl100k_base'],
    ['gpt-3.5-turbo-0125', 'cl100k_base'],
    ['GPT-4-0613', 'cl100k_base'],
    ['claude-3-5-sonnet-20241022', 'o200k_base'],
    ['anthropic/claude-opus-4', 'o200k_base'],
    ['some-unknown-model', 'o200k_base'],
  ])('%s → %s', (model, enc) => {
    expect(encodingForModel(model)).toBe(enc);
  });
});

describe('countPromptTokens on a corpus of requests', () => {
  const corpus = loadCorpus();
  it('has about twenty varied requests', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(20);
  });
  it.each(corpus.map((c) => [c.name, c] as const))('%s equals the cookbook reference count', (_, c) => {
    const expected = referencePromptTokens(c.model, c.body, c.imageSizes ?? []);
    expect(countPromptTokens(toChatRequest(c.body), c.model)).toBe(expected);
  });

  it('matches the cookbook example figure for gpt-4-0613 (129 tokens)', () => {
    // The cookbook prints 129 for this example with gpt-4-0613 (API-reported and estimated agree).
    const c = corpus.find((x) => x.name.startsWith('cookbook example'))!;
    expect(countPromptTokens(toChatRequest(c.body), 'gpt-4-0613')).toBe(129);
  });

  it('counts the same on a second call (memo hit) as on the first', () => {
    const c = corpus.find((x) => x.name === 'long system prompt')!;
    const req = toChatRequest(structuredClone(c.body));
    const first = countPromptTokens(req, c.model);
    const second = countPromptTokens(toChatRequest(structuredClone(c.body)), c.model);
    expect(second).toBe(first);
  });

  it('grows with each message, name and tool, never throws on odd shapes', () => {
    const base = toChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const n0 = countPromptTokens(base, 'gpt-4o');
    expect(n0).toBe(3 + 1 + 1 + 3); // per-message 3, "user", "hi", priming 3
    const named = toChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi', name: 'bob' }] });
    expect(countPromptTokens(named, 'gpt-4o')).toBe(n0 + 1 + 1);
    const odd = toChatRequest({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }, null] }],
      tools: [null, { type: 'function' }, { type: 'custom', custom: { name: 'grep' } }],
    });
    expect(() => countPromptTokens(odd, 'gpt-4o')).not.toThrow();
  });
});

describe('image tokens', () => {
  it('follows the published examples (1024×1024 high → 765, 2048×4096 high → 1105, low → 85)', () => {
    expect(imageTokens('high', { width: 1024, height: 1024 })).toBe(765);
    expect(imageTokens('high', { width: 2048, height: 4096 })).toBe(1105);
    expect(imageTokens('low', { width: 4096, height: 8192 })).toBe(85);
    expect(imageTokens('auto', { width: 512, height: 512 })).toBe(255);
  });
  it('uses the worst case (8 tiles) when the size is unknown, and never exceeds it', () => {
    expect(imageTokens('high', undefined)).toBe(UNKNOWN_SIZE_IMAGE_TOKENS);
    expect(UNKNOWN_SIZE_IMAGE_TOKENS).toBe(1445);
    for (const [w, h] of [[2048, 768], [8000, 3000], [100, 9000], [767, 2048], [4096, 4096], [1, 1]]) {
      expect(imageTokens('high', { width: w, height: h })).toBeLessThanOrEqual(UNKNOWN_SIZE_IMAGE_TOKENS);
    }
  });
  it('reads the size of inline PNGs, and nothing from remote or malformed URLs', () => {
    expect(imageSizeFromUrl(pngDataUrl(640, 480))).toEqual({ width: 640, height: 480 });
    expect(imageSizeFromUrl('https://example.com/a.png')).toBeUndefined();
    expect(imageSizeFromUrl('data:image/png;base64,bm90IGFuIGltYWdl')).toBeUndefined();
    expect(imageSizeFromUrl('data:text/plain,hello')).toBeUndefined();
  });
});

describe('text count cache', () => {
  it('stays within its character bound', () => {
    const cache = createTextCountCache(10_000);
    for (let i = 0; i < 100; i++) cache.count(`${i} `.padEnd(1000, 'lorem ipsum '), 'o200k_base');
    expect(cache.size()).toBeLessThanOrEqual(10);
    expect(cache.size()).toBeGreaterThan(0);
  });
});
