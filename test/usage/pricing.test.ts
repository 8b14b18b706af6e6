import { describe, expect, it } from 'vitest';
import type { Usage } from '../../src/core/types.js';
import { costMicros, microsToUsd, parsePrice, parseUsdToMicros, worstCaseCostMicros } from '../../src/usage/pricing.js';

const usage = (p: number, c: number, cached = 0, write = 0): Usage => ({
  promptTokens: p,
  completionTokens: c,
  cachedTokens: cached,
  cacheWriteTokens: write,
  estimated: false,
});

/** Independent exact reference: the whole cost as a BigInt rational over 10^12 (USD per token × 10^12), half-up. */
function exactMicros(u: Usage, price: { in: string; out: string; cached: string; write: string }): bigint {
  const scaled = (s: string) => {
    const [i, f = ''] = s.split('.');
    return BigInt(i + f.padEnd(12, '0').slice(0, 12)); // USD × 10^12 per 1M tokens
  };
  const uncached = BigInt(u.promptTokens - u.cachedTokens - u.cacheWriteTokens);
  const num =
    uncached * scaled(price.in) +
    BigInt(u.cachedTokens) * scaled(price.cached) +
    BigInt(u.cacheWriteTokens) * scaled(price.write) +
    BigInt(u.completionTokens) * scaled(price.out);
  // num is USD × 10^12 × tokens / 1M  →  micro-USD = num / 10^12 (10^6 for micro, 10^6 for per-1M, 10^12 scale)
  const denom = 10n ** 12n;
  return (num * 2n + denom) / (2n * denom);
}

describe('parseUsdToMicros / parsePrice', () => {
  it.each([
    ['0.15', 150_000],
    ['0.6', 600_000],
    ['2.50', 2_500_000],
    ['15', 15_000_000],
    ['0.075', 75_000],
    ['0.000001', 1],
    ['3.75', 3_750_000],
    ['1.25e-1', 125_000],
    ['1e2', 100_000_000],
    ['  0.30 ', 300_000],
    ['.5', 500_000],
    ['0', 0],
  ])('%s USD → %d micro-dollars', (s, micros) => {
    expect(parseUsdToMicros(s)).toBe(micros);
  });

  it('parses YAML numbers through their decimal spelling, not float arithmetic', () => {
    // Float math drifts here: 1.001 * 1e6 = 1000999.9999999999, and Math.floor of it is off by one.
    expect(1.001 * 1e6).not.toBe(1_001_000);
    expect(parseUsdToMicros(1.001)).toBe(1_001_000);
    expect(parseUsdToMicros(0.000249)).toBe(249);
    expect(parseUsdToMicros(1.1)).toBe(1_100_000);
    expect(parseUsdToMicros(1e-6)).toBe(1);
  });

  it.each(['', 'abc', '-1', '1.2.3', '0.0000001', '1e-7', '$1', 'NaN'])('rejects %j', (s) => {
    expect(() => parseUsdToMicros(s)).toThrow(RangeError);
  });
  it('rejects non-finite numbers', () => {
    expect(() => parseUsdToMicros(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('defaults cached and cache-write prices to the input price', () => {
    expect(parsePrice({ inputPerMTok: '3', outputPerMTok: '15' })).toEqual({
      inputMicrosPerMTok: 3_000_000,
      outputMicrosPerMTok: 15_000_000,
      cachedInputMicrosPerMTok: 3_000_000,
      cacheWriteMicrosPerMTok: 3_000_000,
    });
  });
});

describe('costMicros', () => {
  const gpt4oMini = parsePrice({ inputPerMTok: '0.15', outputPerMTok: '0.60', cachedInputPerMTok: '0.075' });
  const sonnet = parsePrice({ inputPerMTok: '3', outputPerMTok: '15', cachedInputPerMTok: '0.30', cacheWritePerMTok: '3.75' });

  it('prices each kind of token at its own rate', () => {
    // 1000 uncached × 0.15 + 333 × 0.60 = 150 + 199.8 = 349.8 µ$ → 350
    expect(costMicros(usage(1000, 333), gpt4oMini)).toBe(350);
    // 2006 prompt of which 1920 cached: 86 × 0.15 + 1920 × 0.075 + 300 × 0.6 = 12.9 + 144 + 180 = 336.9 → 337
    expect(costMicros(usage(2006, 300, 1920), gpt4oMini)).toBe(337);
    // Anthropic: 100 fresh × 3 + 2000 read × 0.3 + 500 written × 3.75 + 321 × 15 = 300+600+1875+4815 = 7590
    expect(costMicros(usage(2600, 321, 2000, 500), sonnet)).toBe(7590);
  });

  it('rounds half-up once per request', () => {
    const p = parsePrice({ inputPerMTok: '0.5', outputPerMTok: '0.5' });
    expect(costMicros(usage(1, 0), p)).toBe(1); // 0.5 → 1
    expect(costMicros(usage(1, 1), p)).toBe(1); // 1.0 → 1 (rounded once, not 1 + 1)
    expect(costMicros(usage(0, 0), p)).toBe(0);
    const q = parsePrice({ inputPerMTok: '0.499999', outputPerMTok: '0' });
    expect(costMicros(usage(1, 0), q)).toBe(0);
  });

  it('accepts the config form directly', () => {
    expect(costMicros(usage(1000, 333), { inputPerMTok: 0.15, outputPerMTok: '0.6' })).toBe(350);
  });

  it('never charges a negative remainder when an upstream reports cached > prompt', () => {
    expect(costMicros(usage(10, 0, 20), gpt4oMini)).toBe(costMicros(usage(20, 0, 20), gpt4oMini));
  });

  it('stays exact beyond 2^53 intermediate products (BigInt path)', () => {
    const dear = parsePrice({ inputPerMTok: '900000', outputPerMTok: '900000' }); // 9e11 µ$ per 1M tokens
    const u = usage(20_000_000, 10_000_000);
    expect(costMicros(u, dear)).toBe(Number(exactMicros(u, { in: '900000', out: '900000', cached: '900000', write: '900000' })));
  });

  it('rejects impossible token counts', () => {
    expect(() => costMicros(usage(-1, 0), gpt4oMini)).toThrow(RangeError);
    expect(() => costMicros(usage(1.5, 0), gpt4oMini)).toThrow(RangeError);
  });

  it('1e6 requests: the ledger sum equals the exact total, where float dollars drift', () => {
    const priceText = { in: '0.15', out: '0.6', cached: '0.075', write: '0.15' };
    const p = parsePrice({ inputPerMTok: priceText.in, outputPerMTok: priceText.out, cachedInputPerMTok: priceText.cached });
    let ledger = 0;
    let exact = 0n;
    let floatUsd = 0;
    let s = 12345;
    for (let i = 0; i < 1_000_000; i++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const prompt = 1 + (s % 5000);
      const cached = i % 3 === 0 ? Math.floor(prompt / 2) : 0;
      const completion = s % 997;
      const u = usage(prompt, completion, cached);
      ledger += costMicros(u, p);
      if (i % 10 === 0) exact += exactMicros(u, priceText); // sampled independent check (keeps the test fast)
      else exact += BigInt(costMicros(u, p));
      floatUsd += ((prompt - cached) * 0.15 + cached * 0.075 + completion * 0.6) / 1e6;
    }
    expect(Number.isSafeInteger(ledger)).toBe(true);
    expect(BigInt(ledger)).toBe(exact);
    // Float accumulation in dollars does not land on the integer ledger (drift + no per-request rounding).
    expect(Math.round(floatUsd * 1e6)).not.toBe(ledger);
  });

  it('1e6 identical requests sum to exactly 1e6 × one request', () => {
    const p = parsePrice({ inputPerMTok: '0.15', outputPerMTok: '0.6' });
    const one = costMicros(usage(1000, 333), p);
    let total = 0;
    let floatUsd = 0;
    for (let i = 0; i < 1_000_000; i++) {
      total += costMicros(usage(1000, 333), p);
      floatUsd += 1000 * 0.15e-6 + 333 * 0.6e-6;
    }
    expect(total).toBe(one * 1_000_000);
    expect(microsToUsd(total)).toBe('350.000000');
    expect(floatUsd).not.toBe(349.8); // the float sum of the unrounded cost is not even exactly its own total
  });
});

describe('worstCaseCostMicros', () => {
  it('is never below the final cost for usage within the reserved counts', () => {
    const p = parsePrice({ inputPerMTok: '3', outputPerMTok: '15', cachedInputPerMTok: '0.3', cacheWritePerMTok: '3.75' });
    const reserve = worstCaseCostMicros(2600, 500, p);
    expect(reserve).toBe(17_250); // 2600 × 3.75 (cache write is dearer than input) + 500 × 15 = 9750 + 7500
    for (const u of [usage(2600, 500), usage(2600, 500, 0, 2600), usage(2600, 500, 2600), usage(1, 1), usage(2600, 499, 1000, 1600)]) {
      expect(costMicros(u, p)).toBeLessThanOrEqual(reserve);
    }
  });
  it('rounds up', () => {
    const p = parsePrice({ inputPerMTok: '0.15', outputPerMTok: '0.6' });
    expect(worstCaseCostMicros(1, 0, p)).toBe(1); // 0.15 µ$ → 1
    expect(worstCaseCostMicros(0, 0, p)).toBe(0);
  });
});

describe('microsToUsd', () => {
  it.each([
    [0, '0.000000'],
    [1, '0.000001'],
    [150_000, '0.150000'],
    [1_234_567_890, '1234.567890'],
    [-5, '-0.000005'],
  ])('%d → %s', (m, s) => expect(microsToUsd(m)).toBe(s));
});
