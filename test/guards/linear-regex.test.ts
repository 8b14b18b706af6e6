/** guards/linear-regex.ts: RE2 semantics for admin patterns and globs, in linear time (issue 18.3). */
import { describe, expect, it } from 'vitest';
import { compileGlob, compileLinear } from '../../guards/linear-regex.js';

/** CPU ms of the best of 3 runs (the machine is shared; a backtracking match is slow on every run). */
function cpuMs(fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / 1000);
  }
  return best;
}

describe('compileLinear', () => {
  it('flags: i (default with u), m, s; g, y and unknown flags refused', () => {
    expect(compileLinear('secret').test('TOP SECRET')).toBe(true);
    expect(compileLinear('secret', 'u').test('TOP SECRET')).toBe(false);
    expect(compileLinear('^b', 'm').test('a\nb')).toBe(true);
    expect(compileLinear('^b', '').test('a\nb')).toBe(false);
    expect(compileLinear('a.b', 's').test('a\nb')).toBe(true);
    expect(compileLinear('a.b', '').test('a\nb')).toBe(false);
    for (const f of ['g', 'y', 'gi', 'ii', 'd', 'v']) expect(() => compileLinear('x', f), f).toThrow(/invalid flags/);
  });

  it('is stateless: the same answer on every call', () => {
    const re = compileLinear('foo');
    for (let i = 0; i < 3; i++) expect(re.test('a foo b')).toBe(true);
  });

  it('names what RE2 cannot do, and refuses oversized programs', () => {
    expect(() => compileLinear('a(?=b)')).toThrow(/lookahead\/lookbehind/);
    expect(() => compileLinear('a(?!b)')).toThrow(/lookahead\/lookbehind/);
    expect(() => compileLinear('(?<=a)b')).toThrow(/lookahead\/lookbehind/);
    expect(() => compileLinear('(a)\\1')).toThrow(/backreferences/);
    expect(() => compileLinear('(?<n>a)\\k<n>')).toThrow(/backreferences/);
    expect(() => compileLinear('\\u00e9')).toThrow(/RE2 syntax/);
    expect(() => compileLinear('a{1001}')).toThrow(/RE2 syntax/);
    expect(() => compileLinear('\\w{400}')).toThrow(/too large/);
    expect(() => compileLinear('')).toThrow(/non-empty/);
    // A literal `\\1` (escaped backslash, then 1) is fine: the check reads RE2's verdict, not the text.
    expect(compileLinear('\\\\1').test('a\\1')).toBe(true);
  });
});

describe('compileGlob', () => {
  it('* matches any run (newlines too); the rest is literal and case-sensitive; matched whole', () => {
    expect(compileGlob('github__*').test('github__create_issue')).toBe(true);
    expect(compileGlob('github__*').test('gitlab__create_issue')).toBe(false);
    expect(compileGlob('*__read_*').test('fs__read_file')).toBe(true);
    expect(compileGlob('a.b').test('axb')).toBe(false);
    expect(compileGlob('a.b').test('a.b')).toBe(true);
    expect(compileGlob('(x)+[y]').test('(x)+[y]')).toBe(true);
    expect(compileGlob('Tool').test('tool')).toBe(false);
    expect(compileGlob('a*').test('a\nb')).toBe(true);
    expect(compileGlob('*').test('')).toBe(true);
  });

  it('a many-star glob on a long name takes milliseconds (23 s for 30 characters as a V8 RegExp)', () => {
    const g = compileGlob('*a*a*a*a*a*a*a*a*a*a*a*a*b');
    expect(g.test('a'.repeat(30))).toBe(false);
    expect(cpuMs(() => g.test('a'.repeat(10_000)))).toBeLessThan(50);
  });
});
