/**
 * The JavaScript BPE encoder (src/tokens/bpe.ts) must give tiktoken's tokens exactly: every code point in
 * several contexts (its class as tiktoken's regex sees it), random mixed text, lone surrogates, long runs, and the
 * tables read from the generated file equal to those built from tiktoken's rank file.
 */
import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { BPE_UNKNOWN } from '../../src/tokens/bpe-classes.js';
import { BpeEncoder, buildTables, deserialiseTables, serialiseTables, type BpeEncodingName } from '../../src/tokens/bpe.js';

const NAMES: BpeEncodingName[] = ['o200k_base', 'cl100k_base'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = [
  ' ', ' ', '  ', '\n', '\r\n', '\t', '/', "'", "'s", "'LL", "'ſ", '.', ',', '"', '{', '}', ':', '-', '!', '?', '_',
  'a', 'b', 'Z', 'Hello', 'world', 'DON', 'x', '0', '1', '23', '456', '7.5', '½', '²', 'é', 'e\u0301', '\u0301',
  'ß', 'Ω', 'ж', '中', '文', '。', '，', '😀', '👍🏽', '𝐀', '\u00a0', '\u3000', '\u0085', '\ufeff', '#', '<|endoftext|>',
  'ﬁ', 'İ', 'ǅ', 'ʰ', 'ا', 'ب', '१', 'क', '\u093f', '\ud800', '\udc00', '\u200b', '\u2028', 'ⅷ', '\u1c89', '\u088f',
];

describe('JavaScript BPE = tiktoken', () => {
  for (const name of NAMES) {
    const ref = get_encoding(name);
    const built = buildTables(name);
    const ours = new BpeEncoder(name, built);
    const same = (s: string) => {
      const a = ours.encode_ordinary(s);
      const b = ref.encode_ordinary(s);
      if (a.length !== b.length || a.some((t, i) => t !== b[i])) throw new Error(`${name} differs on ${JSON.stringify(s)}: ${[...a]} vs ${[...b]}`);
      if (ours.count(s) !== b.length) throw new Error(`${name} count differs on ${JSON.stringify(s)}`);
    };

    // Every code point: scripts/make-bpe-classes.ts (27 contexts, both encodings). Here one code point in 17, all
    // of Latin-1, and every code point tiktoken's Unicode does not have (BPE_UNKNOWN) with its neighbours.
    it(`${name}: code points in letter, digit, space, mark and contraction contexts`, () => {
      const probe = (cp: number) => {
        if (cp >= 0xd800 && cp <= 0xdfff) return;
        const c = String.fromCodePoint(cp);
        same(`a${c} ${c}A ${c}'s 1${c}2 \n${c}${c}\u0301 .${c}b`);
      };
      for (let cp = 0; cp <= 0x10ffff; cp += cp < 0x100 ? 1 : 17) probe(cp);
      for (const m of BPE_UNKNOWN.matchAll(/\\u\{([0-9a-f]+)\}(?:-\\u\{([0-9a-f]+)\})?/g)) {
        const [a, b] = [parseInt(m[1]!, 16), parseInt(m[2] ?? m[1]!, 16)];
        for (let cp = a - 1; cp <= b + 1; cp++) probe(cp);
      }
    });

    it(`${name}: 3000 random mixed strings, and decode gives the text's bytes back`, () => {
      const r = rng(name.length * 31);
      const utf8 = new TextEncoder();
      for (let t = 0; t < 3000; t++) {
        let s = '';
        const parts = 1 + Math.floor(r() * 80);
        for (let i = 0; i < parts; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
        same(s);
        expect(ours.decode(ours.encode_ordinary(s))).toEqual(utf8.encode(s));
      }
    });

    it(`${name}: long runs without a boundary and long words`, () => {
      const r = rng(7);
      for (const len of [300, 1000, 3000]) {
        same('a'.repeat(len));
        same(Array.from({ length: len }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join(''));
        same(Array.from({ length: len }, () => '中文字😀'[Math.floor(r() * 4)]).join(''));
        same(' '.repeat(len) + 'x');
        same('9'.repeat(len));
        same('=-'.repeat(len));
      }
    });

    it(`${name}: special-token text is ordinary text; decode of specials`, () => {
      same('<|endoftext|> and <|endofprompt|>');
      const eot = name === 'o200k_base' ? 199999 : 100257;
      expect(new TextDecoder().decode(ours.decode([eot]))).toBe('<|endoftext|>');
    });

    it(`${name}: the serialised tables read back equal, and a stale key is refused`, () => {
      const buf = serialiseTables(built, `k ${name}`);
      const back = deserialiseTables(buf, `k ${name}`)!;
      const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      expect(bytes(back.offsets).equals(bytes(built.offsets))).toBe(true);
      expect(bytes(back.table).equals(bytes(built.table))).toBe(true);
      expect(bytes(back.bytes).equals(bytes(built.bytes))).toBe(true);
      expect(deserialiseTables(buf, 'another key')).toBeUndefined();
    });
  }
});
