/**
 * On a Node whose Unicode tables are not those src/tokens/bpe-classes.ts was checked on, the JavaScript
 * pre-tokenizer is not proven to split as tiktoken's: the encoder is tiktoken's own, and counts stay exact.
 */
import { get_encoding } from 'tiktoken';
import { afterAll, describe, expect, it, vi } from 'vitest';

describe('encoder on another Unicode version', () => {
  const real = process.versions.unicode;
  afterAll(() => Object.defineProperty(process.versions, 'unicode', { value: real }));

  it('uses tiktoken itself, with the same counts and tokens', async () => {
    Object.defineProperty(process.versions, 'unicode', { value: '1.0' });
    vi.resetModules();
    const { getEncoder, countTextTokens } = await import('../../src/tokens/encoding.js');
    const { BpeEncoder } = await import('../../src/tokens/bpe.js');
    const enc = getEncoder('o200k_base');
    expect(enc).not.toBeInstanceOf(BpeEncoder);
    const text = "Hello, I'm 42 — naïve café 中文 😀\n  x";
    const ref = get_encoding('o200k_base');
    expect([...enc.encode_ordinary(text)]).toEqual([...ref.encode_ordinary(text)]);
    expect(enc.count(text)).toBe(ref.encode_ordinary(text).length);
    expect(countTextTokens(text, 'o200k_base')).toBe(ref.encode_ordinary(text).length);
    expect(new TextDecoder().decode(enc.decode(enc.encode_ordinary(text)))).toBe(text);
  });
});
