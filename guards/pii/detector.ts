import type { PiiCategory, PiiDetector, PiiFinding } from './types.js';
import { PII_CATEGORIES } from './types.js';
import { textFeatures, type DigitPrefilter, type Recognizer } from './recognizer.js';
import { RECOGNIZERS } from './recognizers/index.js';
import { createTokenScanner } from './token-scan.js';
import { createLiteralScanner } from './literal-scan.js';
import { ENTITY_CATEGORIES, findEntities, type RankedFinding } from './entities/index.js';

/** Options for createPiiDetector. */
export interface PiiDetectorOptions {
  /** Categories to look for (default: every category, names/places/addresses by lexicons and context rules). */
  categories?: readonly PiiCategory[];
}

/** `order` is the recognizer's index: candidates are ordered by it before overlaps are resolved (ties keep the first). */
type Candidate = RankedFinding;

/** Keeps the best candidate where several overlap: higher priority, then longer, then earlier. */
export function resolveOverlaps<T extends PiiFinding>(cands: T[], priorityOf: (c: T) => number): T[] {
  if (cands.length <= 1) return cands;
  const ranked = [...cands].sort(
    (a, b) => priorityOf(b) - priorityOf(a) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  // Kept spans never overlap, so sorted by start they are sorted by end too: a binary search finds the only two
  // that could overlap a candidate (a linear check against every kept span was quadratic on long logs).
  const kept: T[] = [];
  for (const c of ranked) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid].start < c.start) lo = mid + 1;
      else hi = mid;
    }
    if ((lo > 0 && kept[lo - 1].end > c.start) || (lo < kept.length && kept[lo].start < c.end)) continue;
    kept.splice(lo, 0, c);
  }
  return kept;
}

const stickyCache = new WeakMap<Recognizer, RegExp>();

function sticky(r: Recognizer): RegExp {
  let re = stickyCache.get(r);
  if (!re) {
    re = new RegExp(r.pattern.source, r.pattern.flags.replace('g', '') + 'y');
    stickyCache.set(r, re);
  }
  return re;
}

function keep(r: Recognizer, order: number, m: RegExpExecArray, text: string, out: Candidate[]): void {
  const verdict = r.accept ? r.accept(m, text) : true;
  if (!verdict) return;
  const span = verdict === true ? { start: m.index, end: m.index + m[0].length } : verdict;
  if (span.end > span.start) out.push({ category: r.category, start: span.start, end: span.end, priority: r.priority, order });
}

function runAnchored(r: Recognizer, order: number, text: string, out: Candidate[]): void {
  const { literal, startOf, near } = r.anchor!;
  const re = sticky(r);
  let covered = 0; // anchors inside the last match belong to it
  for (let at = text.indexOf(literal); at >= 0; at = text.indexOf(literal, at + literal.length)) {
    if (at < covered || (near && !near(text, at))) continue;
    re.lastIndex = startOf(text, at);
    const m = re.exec(text);
    if (!m || m.index + m[0].length <= at) continue;
    covered = m.index + m[0].length;
    keep(r, order, m, text, out);
  }
}

function run(r: Recognizer, order: number, text: string, out: Candidate[]): void {
  if (r.anchor) return runAnchored(r, order, text, out);
  const re = r.pattern;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    keep(r, order, m, text, out);
  }
}

/**
 * Creates the in-process pattern detector. The returned detector is stateless apart from the compiled regexes
 * (each call resets `lastIndex` before use, and calls are synchronous), so one instance serves every request.
 */
export function createPiiDetector(opts: PiiDetectorOptions = {}): PiiDetector {
  const wanted = new Set<PiiCategory>(opts.categories ?? PII_CATEGORIES);
  const recognizers = RECOGNIZERS.filter((r) => wanted.has(r.category));
  const entities = ENTITY_CATEGORIES.some((c) => wanted.has(c));
  const categories = [...new Set([...recognizers.map((r) => r.category), ...ENTITY_CATEGORIES.filter((c) => wanted.has(c))])];
  const scanner = createTokenScanner(recognizers);
  const literals = createLiteralScanner(recognizers);
  // needDigits prefilters, read as numbers (-1: another prefilter, or none).
  const digitPre = (r: Recognizer) => (r.prefilter && 'digits' in r.prefilter ? (r.prefilter as DigitPrefilter) : undefined);
  const needDigits = Int32Array.from(recognizers, (r) => digitPre(r)?.digits ?? -1);
  const needGroup = Int32Array.from(recognizers, (r) => digitPre(r)?.group ?? -1);
  const active = new Uint8Array(recognizers.length); // reused: detect is synchronous
  return {
    categories,
    detect(text: string): PiiFinding[] {
      if (text.length < 3) return [];
      const features = textFeatures(text, scanner.pass(text));
      const found = literals.scan(text);
      const cands: Candidate[] = [];
      let tokens = false;
      for (let i = 0; i < recognizers.length; i++) {
        const r = recognizers[i];
        active[i] = 0;
        if (literals.masks[i] !== 0 && (literals.masks[i] & found) === 0) continue;
        if (needDigits[i] >= 0) {
          if (features.digits < needDigits[i] || features.longestDigitGroup < needGroup[i]) continue;
        } else if (r.prefilter && !r.prefilter(text, features)) continue;
        if (r.token) {
          active[i] = 1;
          tokens = true;
        } else run(r, i, text, cands);
      }
      if (tokens) {
        scanner.dispatch(text, active, (i, m) => keep(recognizers[i], i, m, text, cands));
        cands.sort((a, b) => a.order - b.order);
      }
      if (entities) findEntities(text, wanted, recognizers.length, cands);
      return resolveOverlaps(cands, (c) => c.priority).map(({ category, start, end }) => ({ category, start, end }));
    },
  };
}
