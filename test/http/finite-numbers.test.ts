// The per-request fast check finds exactly the bodies the path-naming walk would name (deep, wide, arrays).
import { describe, expect, it } from 'vitest';
import { hasNonFinite, nonFinitePath } from '../../src/http/finite-numbers.js';

describe('hasNonFinite', () => {
  it('agrees with nonFinitePath on nested bodies', () => {
    const bodies: unknown[] = [
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
      { a: [1, 2, [3, { b: -Infinity }]] },
      { tools: [{ function: { parameters: { maximum: JSON.parse('1e400') } } }] },
      [NaN],
      Infinity,
      'text',
      null,
      { deep: JSON.parse('['.repeat(5000) + '1' + ']'.repeat(5000)) },
      { deep: JSON.parse('['.repeat(5000) + '-1e999' + ']'.repeat(5000)) },
      JSON.parse('{"__proto__": {"x": 1e400}, "y": 1}'),
    ];
    for (const b of bodies) expect(hasNonFinite(b)).toBe(nonFinitePath(b) !== undefined);
    expect(hasNonFinite(bodies[0])).toBe(false);
    expect(hasNonFinite(bodies[2])).toBe(true);
  });
});
