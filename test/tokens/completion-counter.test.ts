import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { MAX_TAIL_CHARS, createCompletionCounter } from '../../src/tokens/completion-counter.js';
import { lastSafeBoundary } from '../../src/tokens/segments.js';
import { MAX_RUN_CHARS, countTextTokens } from '../../src/tokens/encoding.js';

const o200k = get_encoding('o200k_base');
const cl100k = get_encoding('cl100k_base');
const whole = (text: string, enc = o200k) => enc.encode_ordinary(text).length;

/** Deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Splits text into random deltas of 1..maxLen code units (never splitting a surrogate pair, like real streams). */
function randomDeltas(text: string, seed: number, maxLen = 12): string[] {
  const r = rng(seed);
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let j = Math.min(text.length, i + 1 + Math.floor(r() * maxLen));
    const c = text.charCodeAt(j - 1);
    if (c >= 0xd800 && c <= 0xdbff && j < text.length) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

const SAMPLES: Record<string, string> = {
  prose:
    "I'm unable to provide real-time updates, including current weather information. For the latest weather in San " +
    "Francisco, I recommend checking a reliable weather website or app such as the Weather Channel, BBC Weather. ".repeat(6),
  whitespace: 'a  b   c\n\n\n  d\t\te  \r\n  f    \n    g\n/* x */\n   //  y\n' .repeat(20),
  code:
    'function fib(n) {\n  let a = 0, b = 1;\n  for (let i = 0; i < n; i++) { [a, b] = [b, a + b]; }\n  return a;\n}\n'.repeat(10),
  numbers: 'Totals: 1234567890 12 345 6789.01 -42 3.14159e10 0x1F 100000000000000 '.repeat(12),
  json: '{\n  "location": "San Francisco, CA",\n  "weather": {\n    "temperature": {"current": "N/A"}\n  }\n}\n'.repeat(8),
  minifiedJson: JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, ok: i % 2 === 0 })) }),
  cjkEmoji: '今天天气很好，我们去公园散步吧。🌞🌳👨‍👩‍👧 Ünïcödé façade — naïve café. Ελληνικά русский текст. '.repeat(15),
  contractions: "It's what they'd've said; we're sure you'll see I'M RIGHT. DON'T you THINK so?\n".repeat(15),
  punctuationNewlines: 'Done.\n/path/to/file\n...\n!!!\n\n---\n***\n'.repeat(20),
  marksAndScripts: 'cafe\u0301 nai\u0308ve 𝐀𝐁𝐂𝐝𝐞 𝟏𝟐𝟑 ½² Ⅻ 한국어텍스트 हिन्दी पाठ ไทยภาษา 123abc456déf\'s X1Y2Z3 '.repeat(20),
  longNoSpaceWords: 'supercalifragilisticexpialidocious_'.repeat(40) + 'ABCdefGHIjkl'.repeat(40),
};

describe('createCompletionCounter', () => {
  for (const [name, text] of Object.entries(SAMPLES)) {
    it(`${name}: streamed count equals encoding the full text (o200k and cl100k)`, () => {
      for (const seed of [1, 2, 3]) {
        const a = createCompletionCounter('gpt-4o');
        const b = createCompletionCounter('gpt-4-turbo');
        for (const d of randomDeltas(text, seed)) {
          a.add(d);
          b.add(d);
        }
        expect(a.tokens()).toBe(whole(text));
        expect(b.tokens()).toBe(whole(text, cl100k));
      }
    });
  }

  it('is exact at every step, not only at the end', () => {
    const text = SAMPLES.prose + SAMPLES.whitespace;
    const c = createCompletionCounter('gpt-4o');
    let sofar = '';
    for (const d of randomDeltas(text, 7, 20)) {
      c.add(d);
      sofar += d;
      expect(c.tokens()).toBe(whole(sofar));
    }
  });

  it('keeps channels (choices, tool calls) apart and sums them', () => {
    const c = createCompletionCounter('gpt-4o');
    const x = 'Hello there, how are you doing today?';
    const y = '{"city":"Edinburgh","country":"GB"}';
    for (let i = 0; i < x.length || i < y.length; i += 3) {
      c.add(x.slice(i, i + 3), 0);
      c.add(y.slice(i, i + 3), 'tool0');
    }
    expect(c.tokens()).toBe(whole(x) + whole(y));
  });

  it('counts 400 KB streamed in 4-char deltas (tokens() after each) in linear time', () => {
    const text = SAMPLES.prose.repeat(Math.ceil(400_000 / SAMPLES.prose.length));
    const c = createCompletionCounter('gpt-4o');
    const t0 = performance.now();
    for (let i = 0; i < text.length; i += 4) {
      c.add(text.slice(i, i + 4));
      c.tokens();
    }
    const ms = performance.now() - t0;
    expect(c.tokens()).toBe(whole(text));
    // Re-encoding the whole text per delta would take minutes; incremental work is well under a few seconds.
    expect(ms).toBeLessThan(8000);
  });

  it('bounds the work for text without boundaries (forced cuts stay within a token per cut)', () => {
    const text = 'abcdefghijklmnopqrstuvwxyz'.repeat(320); // 8 KB of letters: no boundary at all
    const c = createCompletionCounter('gpt-4o');
    for (let i = 0; i < text.length; i += 5) c.add(text.slice(i, i + 5));
    const exact = whole(text);
    expect(Math.abs(c.tokens() - exact)).toBeLessThanOrEqual(Math.ceil(text.length / MAX_TAIL_CHARS));
  });

  it('counts pathological runs in bounded time, exactly below the run limit and never fewer tokens above it', () => {
    const ok = 'ab'.repeat(MAX_RUN_CHARS / 2 - 1) + ' ' + 'cd'.repeat(MAX_RUN_CHARS / 2 - 1);
    expect(countTextTokens(ok, 'o200k_base')).toBe(whole(ok));
    const long = 'abcdefghijklmnopqrstuvwxyz'.repeat(200); // 5.2 KB, one pre-token piece
    const t0 = performance.now();
    const n = countTextTokens('x'.repeat(100_000) + ' ' + long, 'o200k_base');
    expect(performance.now() - t0).toBeLessThan(3000); // unsliced, 100 KB of one letter takes tens of seconds
    expect(n).toBeGreaterThan(0);
    expect(countTextTokens(long, 'o200k_base')).toBeGreaterThanOrEqual(whole(long));
  });

  it('places boundaries only where the tokenizer must split', () => {
    expect(lastSafeBoundary('hello world')).toBe(5);
    expect(lastSafeBoundary('hello  ')).toBe(5);
    expect(lastSafeBoundary('a.\nb')).toBe(3);
    expect(lastSafeBoundary('a.\n/b')).toBe(1); // only letter → punctuation; not before the '/'
    expect(lastSafeBoundary('nospaces')).toBe(0);
    expect(lastSafeBoundary('{"id":12')).toBe(6); // punctuation → digit
    expect(lastSafeBoundary('{"id":12,"o')).toBe(8); // digit → punctuation
    expect(lastSafeBoundary('true}')).toBe(4); // letter → punctuation
    expect(lastSafeBoundary("it'")).toBe(0); // a contraction may follow
    expect(lastSafeBoundary('e\u0301')).toBe(0); // a combining mark joins its letter
  });
});
