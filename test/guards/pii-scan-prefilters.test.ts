// The detector's shared prefilter scans (guards/pii/literal-scan.ts, the token pass's shapes) must report a literal or
// a token wherever a match could start: a literal inside another literal's occurrence, a literal that holds another,
// a token followed by the one character a shape asks for. pii-scan-equivalence.test.ts compares whole detections on
// corpora; these are the edge cases a corpus may not hold.
import { describe, expect, it } from 'vitest';
import { createLiteralScanner } from '../../guards/pii/literal-scan.js';
import { createPiiDetector, PATTERN_CATEGORIES } from '../../guards/pii/index.js';
import type { Recognizer } from '../../guards/pii/recognizer.js';

const rec = (literals: string[]): Recognizer => ({ category: 'jwt', priority: 1, pattern: /x/g, literals });

describe('literal scan', () => {
  const recs = [rec(['0x']), rec(['xox', 'xapp-']), rec(['sk-ant-']), rec(['sk-']), rec([])];
  const scanner = createLiteralScanner(recs);
  const has = (text: string) => recs.map((_, i) => scanner.masks[i] !== 0 && (scanner.scan(text) & scanner.masks[i]) !== 0);

  it('finds a literal that starts inside another one’s occurrence', () => {
    expect(has('a0xox b')).toEqual([true, true, false, false, false]);
  });

  it('a literal holding another counts for both', () => {
    expect(has('key sk-ant-api03-abc')).toEqual([false, false, true, true, false]);
    expect(has('key sk-proj-abc')).toEqual([false, false, false, true, false]);
  });

  it('is case-sensitive and finds nothing in plain text', () => {
    expect(has('SK-ANT- XOX 0X')).toEqual([false, false, false, false, false]);
    expect(scanner.masks[4]).toBe(0);
  });
});

describe('token shapes', () => {
  const detector = createPiiDetector({ categories: PATTERN_CATEGORIES });
  const cats = (text: string) => detector.detect(text).map((f) => f.category);

  it('a MAC address whose first group has no digit, in both notations', () => {
    expect(cats('mac ab:cd:ef:12:34:56 here')).toEqual(['mac_address']);
    expect(cats('mac abcd.ef12.3456 here')).toEqual(['mac_address']);
  });

  it('phone numbers starting at + or (, and at a short group followed by a separator', () => {
    expect(cats('call +44 20 7946 0958 now')).toEqual(['phone']);
    expect(cats('call (415) 555-2671 now')).toEqual(['phone']);
    expect(cats('call 415.555.2671 now')).toEqual(['phone']);
  });

  it('a NINO split after its letters (a token without a digit)', () => {
    expect(cats('NI number AB 12 34 56 C')).toEqual(['uk_nino']);
  });
});
