/**
 * The safe-boundary rule is what makes memoised, segment-wise counting exact. Fuzz it against tiktoken itself:
 * for random strings over an alphabet chosen to hit every pre-tokenizer rule (spaces, line breaks, digits,
 * contractions, marks, slashes, CJK, emoji), segment-wise counting must equal encoding the whole string.
 */
import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { countTextTokens } from '../../src/tokens/encoding.js';
import { forEachSegment } from '../../src/tokens/segments.js';

const ALPHABET = [
  ' ', ' ', ' ', '  ', '\n', '\r\n', '\t', '/', "'", "'s", "'LL", '.', ',', '"', '{', '}', ':', '-', '!', '?', '_',
  'a', 'b', 'Z', 'Hello', 'world', 'DON', 'x', '0', '1', '23', '456', '7.5', '½', '²', 'é', 'e\u0301', '\u0301',
  'ß', 'Ω', 'ж', '中', '文', '。', '，', '😀', '👍🏽', '𝐀', '\u00a0', '\u3000', '#', '<|endoftext|>', 'ﬁ', 'İ',
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('segment-wise counting equals whole-string encoding', () => {
  for (const [name, enc] of [
    ['o200k_base', get_encoding('o200k_base')],
    ['cl100k_base', get_encoding('cl100k_base')],
  ] as const) {
    it(`${name}: 3000 random strings`, () => {
      const r = rng(name.length * 7919);
      for (let t = 0; t < 3000; t++) {
        const parts = 1 + Math.floor(r() * 60);
        let s = '';
        for (let i = 0; i < parts; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
        const got = countTextTokens(s, name);
        const want = enc.encode_ordinary(s).length;
        if (got !== want) throw new Error(`mismatch on ${JSON.stringify(s)}: ${got} vs ${want}`);
      }
    });

    it(`${name}: long texts (batched misses, memo hits) stay exact`, () => {
      const r = rng(42);
      for (let t = 0; t < 10; t++) {
        let s = '';
        while (s.length < 6000) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
        expect(countTextTokens(s, name)).toBe(enc.encode_ordinary(s).length);
        expect(countTextTokens(s, name)).toBe(enc.encode_ordinary(s).length); // second time: from the memo
      }
    });
  }

  it('text the memo does not know (random identifiers) is counted exactly, and long runs are sliced', () => {
    const enc = get_encoding('o200k_base');
    const r = rng(2024);
    const word = () => Array.from({ length: 3 + Math.floor(r() * 9) }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join('');
    for (let t = 0; t < 5; t++) {
      const words = Array.from({ length: 800 }, (_, i) => (i % 13 === 0 ? `${word()}-${Math.floor(r() * 1e6)}.\n` : word()));
      const text = words.join(' ');
      expect(countTextTokens(text, 'o200k_base')).toBe(enc.encode_ordinary(text).length);
    }
    const withRun = `${Array.from({ length: 200 }, word).join(' ')} ${'q'.repeat(3000)} tail end`;
    expect(countTextTokens(withRun, 'o200k_base')).toBeGreaterThanOrEqual(enc.encode_ordinary(withRun).length);
  });

  it('segments tile the string exactly', () => {
    const s = 'Hello, world! 123abc\n  foo/bar 😀 e\u0301';
    const parts: string[] = [];
    forEachSegment(s, (a, b) => {
      parts.push(s.slice(a, b));
    });
    expect(parts.join('')).toBe(s);
    expect(parts.length).toBeGreaterThan(5);
  });
});
