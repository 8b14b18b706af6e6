import type { PiiCategory, PiiDetector, PiiFinding } from './types.js';
import { PII_CATEGORIES } from './types.js';
import { scanFeatures, type Recognizer } from './recognizer.js';
import { RECOGNIZERS } from './recognizers/index.js';
import { ENTITY_CATEGORIES, findEntities } from './entities/index.js';

/** Options for createPiiDetector. */
export interface PiiDetectorOptions {
  /** Categories to look for (default: every category, names/places/addresses by lexicons and context rules). */
  categories?: readonly PiiCategory[];
}

interface Candidate extends PiiFinding {
  priority: number;
}

/** Keeps the best candidate where several overlap: higher priority, then longer, then earlier. */
export function resolveOverlaps<T extends PiiFinding>(cands: T[], priorityOf: (c: T) => number): T[] {
  if (cands.length <= 1) return cands;
  const ranked = [...cands].sort(
    (a, b) => priorityOf(b) - priorityOf(a) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: T[] = [];
  for (const c of ranked) {
    if (!kept.some((k) => c.start < k.end && k.start < c.end)) kept.push(c);
  }
  return kept.sort((a, b) => a.start - b.start);
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

function keep(r: Recognizer, m: RegExpExecArray, text: string, out: Candidate[]): void {
  const verdict = r.accept ? r.accept(m, text) : true;
  if (!verdict) return;
  const span = verdict === true ? { start: m.index, end: m.index + m[0].length } : verdict;
  if (span.end > span.start) out.push({ category: r.category, start: span.start, end: span.end, priority: r.priority });
}

function runAnchored(r: Recognizer, text: string, out: Candidate[]): void {
  const { literal, startOf } = r.anchor!;
  const re = sticky(r);
  let covered = 0; // anchors inside the last match belong to it
  for (let at = text.indexOf(literal); at >= 0; at = text.indexOf(literal, at + literal.length)) {
    if (at < covered) continue;
    re.lastIndex = startOf(text, at);
    const m = re.exec(text);
    if (!m || m.index + m[0].length <= at) continue;
    covered = m.index + m[0].length;
    keep(r, m, text, out);
  }
}

function run(r: Recognizer, text: string, out: Candidate[]): void {
  if (r.anchor) return runAnchored(r, text, out);
  const re = r.pattern;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    keep(r, m, text, out);
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
  return {
    categories,
    detect(text: string): PiiFinding[] {
      if (text.length < 3) return [];
      const features = scanFeatures(text);
      const cands: Candidate[] = [];
      for (const r of recognizers) {
        if (r.prefilter && !r.prefilter(text, features)) continue;
        run(r, text, cands);
      }
      if (entities) cands.push(...findEntities(text, wanted));
      return resolveOverlaps(cands, (c) => c.priority).map(({ category, start, end }) => ({ category, start, end }));
    },
  };
}
