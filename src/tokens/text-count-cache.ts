/**
 * A bounded memo of text → token count, per encoding.
 *
 * Why: BPE through tiktoken's WASM costs ~0.25 µs per byte, while the same long strings come back on almost every
 * request (system prompts, tool schemas, the conversation history a chat client resends each turn). Looking a
 * string up in a Map hashes it (a fast linear scan in V8), which is far cheaper than encoding it again.
 * Short strings are not memoised: encoding them is cheaper than the bookkeeping.
 */
import { LRUCache } from 'lru-cache';
import { countTextTokens, type EncodingName } from './encoding.js';

/** Strings shorter than this are always encoded directly. */
const MIN_MEMO_CHARS = 256;

/** Memoised token counting. Lifetime: process-wide; bounded by total characters held (least recently used evicted). */
export interface TextCountCache {
  /** Token count of `text` under `encoding`; identical to `countTextTokens`. Never throws for any string. */
  count(text: string, encoding: EncodingName): number;
  /** Number of memoised strings (for tests and metrics). */
  size(): number;
}

export function createTextCountCache(maxChars = 4_000_000): TextCountCache {
  // lru-cache, not a Map re-inserted on hits: evicting a Map's oldest entry walks the holes its earlier deletions
  // left, which cost ~5 µs per request once the cache was full of one-off prompts.
  const caches = new Map<EncodingName, LRUCache<string, number>>();

  return {
    count(text, encoding) {
      if (text.length < MIN_MEMO_CHARS || text.length > maxChars) return countTextTokens(text, encoding);
      let c = caches.get(encoding);
      if (!c) {
        c = new LRUCache<string, number>({ maxSize: maxChars, sizeCalculation: (_n, key) => key.length });
        caches.set(encoding, c);
      }
      const hit = c.get(text);
      if (hit !== undefined) return hit;
      const n = countTextTokens(text, encoding);
      c.set(text, n);
      return n;
    },
    size() {
      let n = 0;
      for (const c of caches.values()) n += c.size;
      return n;
    },
  };
}
