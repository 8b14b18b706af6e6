/**
 * The vectors of a prompt for the semantic layer (see semantic-text.ts for why a prompt is embedded in
 * segments): one vector per segment, their normalised mean to search the vector store with, and the similarity
 * of two prompts — the lowest similarity of their segments side by side.
 */
import { l2normalise, type Embedder } from '../embeddings/embedder.js';
import { segmentBudget, segmentText } from './semantic-text.js';

export interface PromptVectors {
  segments: string[];
  /** One vector per segment, in order. */
  vectors: Float32Array[];
  /** What the vector store is searched with and stores: the normalised mean of `vectors`. */
  search: Float32Array;
}

/** Embeds `text` segment by segment in one call; undefined when the prompt is too long for the semantic layer. */
export async function embedPrompt(embedder: Embedder, text: string): Promise<PromptVectors | undefined> {
  const segments = segmentText(text, segmentBudget(embedder.maxInputTokens));
  if (!segments?.length) return undefined;
  const vectors = await embedder.embed(segments);
  if (vectors.length === 1) return { segments, vectors, search: vectors[0]! };
  const mean = new Float32Array(embedder.dimension);
  for (const v of vectors) for (let i = 0; i < mean.length; i++) mean[i]! += v[i]!;
  return { segments, vectors, search: l2normalise(mean) };
}

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Similarity of the prompt with a stored one: for one segment the store's score; for several, the lowest of the
 * segment-by-segment similarities (stored vectors from `packVectors`), so no segment — the instruction, the
 * last paragraph — is outweighed by the others. Undefined when the stored vectors are missing or do not fit.
 * Once it falls below `floor` the rest is not compared (the value returned is then some similarity < floor).
 */
export function promptSimilarity(prompt: PromptVectors, storeScore: number, stored: unknown, floor = -Infinity): number | undefined {
  if (prompt.vectors.length === 1) return storeScore;
  const others = unpackVectors(stored, prompt.vectors.length, prompt.vectors[0]!.length);
  if (!others) return undefined;
  let min = Infinity;
  for (let i = 0; i < others.length; i++) {
    min = Math.min(min, dot(prompt.vectors[i]!, others[i]!));
    if (min < floor) break; // below what the caller can use: the rest cannot raise it
  }
  return min;
}

/** Segment vectors as base64 of their float32 bytes (payloads are JSON, in SQLite or Qdrant). */
export function packVectors(vectors: Float32Array[]): string {
  const dim = vectors[0]!.length;
  const all = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => all.set(v, i * dim));
  return Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString('base64');
}

/**
 * One buffer the stored vectors are decoded into, reused: a 16-segment entry is 24 KB, three candidates per
 * lookup, and allocating them each time made the young-generation collections that set a long lookup's p99.
 * The vectors read from it are used before the next decode (promptSimilarity is synchronous).
 */
let scratch = new Float32Array(0);

function unpackVectors(packed: unknown, count: number, dim: number): Float32Array[] | undefined {
  if (typeof packed !== 'string') return undefined;
  const need = count * dim * 4;
  // Exactly the base64 length of `need` bytes (padded), so the decode below is the whole string.
  if (packed.length !== 4 * Math.ceil(need / 3)) return undefined;
  if (scratch.byteLength < need) scratch = new Float32Array(need / 4);
  const bytes = Buffer.from(scratch.buffer, 0, need);
  if (bytes.write(packed, 'base64') !== need) return undefined;
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) out.push(scratch.subarray(i * dim, (i + 1) * dim));
  return out;
}
