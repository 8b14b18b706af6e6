/**
 * The optional NLI verifier (cache.verifierModelPath), through transformers.js's real tokenizer and ONNX
 * inference on a tiny generated cross-encoder whose rule is known: a pair containing "not"/"no" is a
 * contradiction, anything else an entailment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTinyNliModel } from '../../scripts/make-tiny-nli-model.js';
import { createNliVerifier } from '../../src/cache/nli-verifier.js';
import { createResponseCache } from '../../src/cache/response-cache.js';
import { CACHE_DEFAULTS, type EffectiveCache } from '../../src/config/policy.js';
import type { ChatResponse } from '../../src/core/types.js';
import type { StateStore } from '../../src/state/state-store.js';
import { createEmbeddedVectorStore } from '../../src/vector/vector-store.js';
import { request, wordEmbedder } from '../routing/helpers.js';

const nli = makeTinyNliModel();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('createNliVerifier', () => {
  it('runs the model from its path on both directions', async () => {
    const v = createNliVerifier({ modelPath: nli });
    expect(await v.paraphrase('How warm is the sea in June?', 'how warm is the sea in june')).toBe(true);
    expect(await v.paraphrase('Is the sea not warm in June?', 'is the sea not warm in june')).toBe(false);
  });

  it('rejects when the path holds no model (nothing is downloaded)', async () => {
    await expect(createNliVerifier({ modelPath: join(tmpdir(), 'no-such-nli-model') }).paraphrase('a', 'b')).rejects.toThrow();
  });
});

describe('in the cache', () => {
  const answer = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'A stored answer.', refusal: null }, logprobs: null, finish_reason: 'stop' }] } as ChatResponse;
  const ask = (content: string) => request({ messages: [{ role: 'user', content }], temperature: 0 });

  async function cacheWith(verifierModelPath: string) {
    const m = new Map<string, string>();
    const store = { cacheGet: async (k: string) => m.get(k), cacheSet: async (k: string, v: string) => void m.set(k, v) } as unknown as StateStore;
    const dir = mkdtempSync(join(tmpdir(), 'nli-'));
    dirs.push(dir);
    const vectors = createEmbeddedVectorStore({ dir });
    await vectors.init(64);
    const embedder = wordEmbedder(64);
    const warnings: string[] = [];
    const cache = createResponseCache({ store, vectors, embedder: () => embedder, logger: { warn: (_o, msg) => warnings.push(msg) } });
    const policy = { ...CACHE_DEFAULTS, mode: 'on', semantic: 'on', similarityThreshold: 0.9, calibration: { precision: 0.999, minSamples: 0 }, verifierModelPath } as EffectiveCache;
    const storeThenAsk = async (stored: string, asked: string) => {
      await cache.write(await cache.lookup(ask(stored), policy, 'team:a', 'm', {}), answer, policy);
      return cache.lookup(ask(asked), policy, 'team:a', 'm', {});
    };
    return { storeThenAsk, warnings };
  }

  it('a candidate the word rules pass is served only when the model finds the prompts paraphrases', async () => {
    const { storeThenAsk } = await cacheWith(nli);
    expect(await storeThenAsk('How warm is the sea in June?', 'how warm is the sea in June')).toMatchObject({ status: 'hit', layer: 'semantic' });
    expect(await storeThenAsk('Is the lake not frozen in May?', 'is the lake not frozen in May')).toMatchObject({ status: 'miss', shadow: { rejected: 'nli' } });
  });

  it('decides wording the word rules refuse, but never overrides a difference in negation, numbers or names', async () => {
    const { storeThenAsk } = await cacheWith(nli);
    // Reworded ("main" for "big"): the word rules say content, the model (here: no negation, so entailment) decides.
    expect(await storeThenAsk('Which is the big city in the north of the country?', 'which is the main city in the north of the country')).toMatchObject({ status: 'hit' });
    expect(await storeThenAsk('Which are the two big cities in the north of Spain?', 'which are the three big cities in the north of Spain')).toMatchObject({ status: 'miss', shadow: { rejected: 'number' } });
  });

  it('a model that cannot be loaded refuses every candidate (fails closed) and is reported once', async () => {
    const { storeThenAsk, warnings } = await cacheWith(join(tmpdir(), 'no-such-nli-model'));
    expect(await storeThenAsk('How deep is the river?', 'how deep is the river')).toMatchObject({ status: 'miss', shadow: { rejected: 'nli' } });
    expect(await storeThenAsk('How long is the river?', 'how long is the river')).toMatchObject({ status: 'miss', shadow: { rejected: 'nli' } });
    expect(warnings).toEqual(['semantic cache NLI verifier unavailable: semantic candidates are refused until it loads']);
  });
});
