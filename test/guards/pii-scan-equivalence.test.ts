// The detector's fast scan strategies (token dispatch, literal anchors, the shared keyword prefilter scan, the
// lexicon hash table) must find exactly what a plain scan finds: every recognizer's global regex tried at every
// position of the text. A recognizer whose `token` shape or `anchor` is not a necessary condition of its pattern
// fails here. The corpus mixes the fixtures, the presidio sample and seeded random strings built from the pieces
// PII is made of (digit groups, separators, capitals, hex, symbols).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPiiDetector, PATTERN_CATEGORIES, type PiiFinding } from '../../guards/pii/index.js';
import { resolveOverlaps } from '../../guards/pii/detector.js';
import { scanFeatures } from '../../guards/pii/recognizer.js';
import { RECOGNIZERS } from '../../guards/pii/recognizers/index.js';
import { lexicons } from '../../guards/pii/entities/lexicons.js';
import { LEX, LexTable } from '../../guards/pii/entities/lex-table.js';
import { fromShared } from '../../src/paths.js';

/** The reference: each recognizer's regex over the whole text, no anchors, no token dispatch. */
function plainDetect(text: string): PiiFinding[] {
  if (text.length < 3) return [];
  const f = scanFeatures(text);
  const cands: (PiiFinding & { p: number })[] = [];
  for (const r of RECOGNIZERS) {
    if (r.prefilter && !r.prefilter(text, f)) continue;
    const re = new RegExp(r.pattern.source, r.pattern.flags);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const v = r.accept ? r.accept(m, text) : true;
      if (!v) continue;
      const span = v === true ? { start: m.index, end: m.index + m[0].length } : v;
      if (span.end > span.start) cands.push({ category: r.category, ...span, p: r.priority });
    }
  }
  return resolveOverlaps(cands, (c) => c.p).map(({ category, start, end }) => ({ category, start, end }));
}

function randomTexts(n: number): string[] {
  let seed = 20;
  const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % k);
  const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)]!;
  const digits = (k: number) => Array.from({ length: k }, () => String(rnd(10))).join('');
  const upper = (k: number) => Array.from({ length: k }, () => String.fromCharCode(65 + rnd(26))).join('');
  const hex = (k: number) => Array.from({ length: k }, () => '0123456789abcdefABCDEF'[rnd(22)]).join('');
  const pieces: (() => string)[] = [
    () => digits(1 + rnd(19)), () => `${digits(3)}-${digits(2)}-${digits(4)}`, () => `${digits(4)} ${digits(4)} ${digits(4)} ${digits(4)}`,
    () => upper(1 + rnd(12)), () => `${upper(2)}${digits(2)} ${upper(4)} ${digits(4)} ${digits(4)}`, () => `${upper(6)}${upper(2)}${rnd(2) ? digits(3) : ''}`,
    () => `${hex(2)}:${hex(2)}:${hex(2)}:${hex(2)}:${hex(2)}:${hex(2)}`, () => `${rnd(256)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`,
    () => `${pick(['X', 'Y', 'Z'])}${digits(7)}${upper(1)}`, () => `${digits(8)}${upper(1)}`, () => `0x${hex(40)}`, () => `AKIA${upper(16)}`,
    () => `${pick(['1', '3'])}${upper(10)}${digits(8)}${upper(9)}`, () => `bc1${hex(30).toLowerCase()}`, () => `${upper(3)}P${upper(1)}${digits(4)}${upper(1)}`,
    () => pick(['SSN', 'IBAN', 'card', 'passport', 'routing number', 'NHS', 'SIN', 'aadhaar', 'CPF', 'CNPJ', 'licence', 'DL', 'born', 'password:', 'secret', 'tel']),
    () => pick([' ', ' ', '  ', '-', '.', ',', ':', '/', '_', '+', '(', ')', '\n', '\t', 'é', '#']),
    () => pick(['the', 'Main', 'St', 'call', 'at', 'x', 'ext', 'and']),
  ];
  return Array.from({ length: n }, () => Array.from({ length: 5 + rnd(40) }, () => pick(pieces)()).join(pick(['', ' ', ' ', '-', '\n'])));
}

describe('PII scan strategies find what a plain scan finds', () => {
  const fixtures = ['pii-negative.txt', 'prose-negative.txt'].flatMap((f) =>
    readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8').split(/\n{2,}/),
  );
  const presidio = (JSON.parse(readFileSync(fromShared('datasets/pii/presidio-synth-dev.json'), 'utf8')) as { full_text: string }[]).map((r) => r.full_text);
  const detector = createPiiDetector({ categories: PATTERN_CATEGORIES });

  it.each([
    ['fixtures', fixtures],
    ['presidio sample', presidio],
    ['seeded random strings', randomTexts(3000)],
  ] as const)('%s', (_name, texts) => {
    const differ = texts.filter((t) => JSON.stringify(detector.detect(t)) !== JSON.stringify(plainDetect(t)));
    expect(differ.slice(0, 3)).toEqual([]);
  });

  it('finds at least the findings these corpora are known to hold (the comparison is not vacuous)', () => {
    const n = randomTexts(3000).reduce((s, t) => s + detector.detect(t).length, 0);
    expect(n).toBeGreaterThan(1000);
  });

  it('the lexicon table answers as the lexicon sets do', () => {
    const lex = lexicons();
    const table = new LexTable([...lex.firstNames].map((w): [string, number] => [w, LEX.FIRST]), lex.firstNames.size);
    const sample = [...lex.firstNames].filter((_, i) => i % 7 === 0);
    // Read case-insensitively from the text, as `Set.has(slice.toLowerCase())` would (ASCII names upper-cased).
    expect(sample.filter((w) => /^[a-z]+$/.test(w) && !(table.get(w.toUpperCase(), 0, w.length) & LEX.FIRST))).toEqual([]);
    expect(sample.filter((w) => !(table.get(w[0]!.toUpperCase() + w.slice(1), 0, w.length) & LEX.FIRST) && w[0]!.toUpperCase().toLowerCase() === w[0])).toEqual([]);
    expect(sample.filter((w) => !(table.get(`x${w}y`, 1, w.length + 1) & LEX.FIRST))).toEqual([]);
    const absent = [...lex.lastNames].filter((w) => !lex.firstNames.has(w)).slice(0, 3000);
    expect(absent.filter((w) => table.get(w, 0, w.length) !== 0)).toEqual([]);
    // Phrases are looked up from word ranges joined by single spaces, whatever separates them in the text.
    const two = new LexTable([['new york', LEX.PLACE]], 1);
    expect(two.phrase('in New\tYork.', [3, 7], [6, 11], 0, 2)).toBe(LEX.PLACE);
    expect(two.phrase('in New Yorks', [3, 7], [6, 12], 0, 2)).toBe(0);
  });
});
