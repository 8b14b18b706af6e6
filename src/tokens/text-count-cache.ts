/**
 * A bounded memo of text → token count, per encoding.
 *
 * Why: BPE through tiktoken's WASM costs ~0.25 µs per byte, while the same long strings come back on almost every
 * request (system prompts, tool schemas, the conversation history a chat client resends each turn). Looking a
 * string up in a Map hashes it (a fast linear scan in V8), which is far cheaper than encoding it again.
 * Short strings are not memoised: encoding them is cheaper than the bookkeeping.
 */
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
  // One Map per encoding; Map iteration order is insertion order, so re-inserting on a hit gives LRU for free.
  const maps = new Map<EncodingName, Map<string, number>>();
  let heldChars = 0;

  function evict(): void {
    while (heldChars > maxChars) {
      let evicted = false;
      for (const m of maps.values()) {
        const oldest = m.keys().next();
        if (!oldest.done) {
          heldChars -= oldest.value.length;
          m.delete(oldest.value);
          evicted = true;
          if (heldChars <= maxChars) return;
        }
      }
      if (!evicted) return;
    }
  }

  return {
    count(text, encoding) {
      if (text.length < MIN_MEMO_CHARS || text.length > maxChars) return countTextTokens(text, encoding);
      let m = maps.get(encoding);
      if (!m) {
        m = new Map();
        maps.set(encoding, m);
      }
      const hit = m.get(text);
      if (hit !== undefined) {
        m.delete(text);
        m.set(text, hit);
        return hit;
      }
      const n = countTextTokens(text, encoding);
      m.set(text, n);
      heldChars += text.length;
      evict();
      return n;
    },
    size() {
      let n = 0;
      for (const m of maps.values()) n += m.size;
      return n;
    },
  };
}
