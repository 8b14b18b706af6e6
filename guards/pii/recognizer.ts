import type { PiiCategory } from './types.js';

/** Cheap facts about a text, computed once per `detect` call so recognizers can skip their regex entirely. */
export interface TextFeatures {
  /** Number of ASCII digits. */
  digits: number;
  /** Longest run of digits, ignoring single separators (space, dot, dash, slash) between them. */
  longestDigitGroup: number;
  hasAt: boolean;
  hasColon: boolean;
  /** Which of the KEYWORDS occur (bit set, KW), found lazily in one case-insensitive scan shared by every prefilter. */
  keywords(): number;
}

/** Keywords whose absence lets a recognizer skip its regex: one bit each in `TextFeatures.keywords()`. */
export const KW = { LICEN: 1, DL: 2, DOB: 4, AWS_SECRET: 8, PASSWORD: 16 } as const;

// One alternation, a capture group per KW bit in order. Case-insensitive without the u flag: only ASCII letters fold,
// as they did when these prefilters read a lower-cased copy of the text (which cost an allocation per text).
const KEYWORDS = /(licen)|(?<![a-z0-9])(dl)|(birth|born|dob|d\.o\.b|geb|naci|nasc|naiss|nat[oa]\b|n[ée]e? le)|(aws|secret)|(pass|pwd|pw|kennwort|contrase|senha)/gi;
const ALL_KW = 31;

function findKeywords(text: string): number {
  let found = 0;
  KEYWORDS.lastIndex = 0;
  for (let m = KEYWORDS.exec(text); m && found !== ALL_KW; m = KEYWORDS.exec(text)) {
    for (let g = 1; g <= 5; g++) if (m[g] !== undefined) found |= 1 << (g - 1);
  }
  return found;
}

/** See `Recognizer.token`. */
export interface TokenShape {
  first: 'digit' | 'upper' | 'letter' | 'any';
  /** The token lengths a match can start with: a list, or an inclusive range [min, max] (max ≤ 80). */
  lengths: readonly number[] | { min: number; max: number };
  /**
   * For digit-led tokens: at least this many digits from the token's start, single space, dash, dot or slash
   * separators allowed between them (`digitRun`, computed once per token for every recognizer).
   */
  minDigits?: number;
  /** Tokens of this length or longer always hold a digit where a match starts (most words of prose hold none). */
  digitFrom?: number;
  /**
   * The characters that can follow the token where a match starts (`:-.` for a MAC address's first group; any of
   * `:-. ()+` or "anything else" can be named, the last as any other character); default any.
   */
  after?: string;
  /** `after` holds for tokens shorter than this only (default: every length). */
  afterBelow?: number;
  /**
   * Characters other than letters and digits at which a match may also start (phone numbers: `+(`); the pass
   * records them in text order among the tokens, `test` sees them as a token of length 1.
   */
  alsoAt?: string;
  /** `text[start, end)` is the token. */
  test?(text: string, start: number, end: number): boolean;
}

/** Span adjustment returned by `accept` when only part of the match is the sensitive value. */
export interface SpanOverride {
  start: number;
  end: number;
}

/**
 * One pattern recognizer. Contract: `pattern` is a global (`g`) regex without catastrophic backtracking (every
 * repetition bounded or anchored by a lookbehind so scanning stays linear); `accept` is pure and decides from the
 * match and its surroundings whether it is a real value (checksum, context words).
 */
export interface Recognizer {
  category: PiiCategory;
  /** Higher wins when two findings overlap (validated/specific beats loose). */
  priority: number;
  pattern: RegExp;
  /** Return false to skip the regex for this text (e.g. no `@` means no e-mail). */
  prefilter?(text: string, f: TextFeatures): boolean;
  /**
   * Case-sensitive strings one of which every match contains (`sk-`, `eyJ`): the recognizer is skipped for a text
   * holding none of them. The detector finds the literals of every recognizer in one scan (literal-scan.ts).
   */
  literals?: readonly string[];
  /**
   * Scan strategy for patterns whose values always contain a rare literal (`@`, `://`, `:`): find the literal with
   * indexOf, step back to where a value could start, and run `pattern` there only (sticky), instead of trying the
   * regex at every position of the text.
   */
  anchor?: {
    literal: string;
    startOf(text: string, at: number): number;
    /** Optional cheap test that this occurrence of the literal can be inside a match at all. */
    near?(text: string, at: number): boolean;
  };
  /**
   * Scan strategy for patterns whose matches always start at the beginning of an ASCII letters-and-digits token (a
   * `\b` before a letter or digit, nothing of [A-Za-z0-9_] before it) or at one of `alsoAt`: which first character and which lengths of
   * that token (its run of [A-Za-z0-9]) a match can start with, plus an optional cheap test. The detector finds the
   * tokens in one pass shared by every such recognizer and runs `pattern` (sticky) only at the tokens that fit,
   * instead of letting each regex try every position of the text. Must be a necessary condition of a match.
   */
  token?: TokenShape;
  /** Validate a match; `true` keeps the whole match, a span keeps part of it, false/null drops it. */
  accept?(m: RegExpExecArray, text: string): boolean | SpanOverride | null;
}

/** A prefilter that only asks for digits (see `needDigits`): the detector compares the two numbers itself. */
export interface DigitPrefilter {
  (text: string, f: TextFeatures): boolean;
  readonly digits: number;
  readonly group: number;
}

/**
 * The prefilter "at least `digits` ASCII digits and a digit group (`longestDigitGroup`) of at least `group`". The
 * detector reads its numbers instead of calling it: a call through one of ~20 different closures per recognizer and
 * text cost more than the comparison.
 */
export function needDigits(digits: number, group = 0): DigitPrefilter {
  return Object.assign((_t: string, f: TextFeatures) => f.digits >= digits && f.longestDigitGroup >= group, { digits, group });
}

/** Builds a case-insensitive whole-word matcher for context words. */
export function contextWords(words: string[]): RegExp {
  const alt = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[\\s_-]?')).join('|');
  return new RegExp(`(?:^|[^a-z0-9])(?:${alt})(?![a-z])`, 'i');
}

/**
 * True when one of `words` occurs within `before` characters before the match or `after` characters after it.
 * Context rules cut false positives for formats that are otherwise just "some digits".
 */
export function hasContext(text: string, start: number, end: number, words: RegExp, before = 48, after = 24): boolean {
  const from = Math.max(0, start - before);
  if (words.test(text.slice(from, start))) return true;
  return after > 0 && words.test(text.slice(end, end + after));
}

/** Digits of a candidate, separators removed. */
export function digitsOf(s: string): string {
  return s.replace(/\D+/g, '');
}

/** Computes TextFeatures in one pass over the text (the detector gets the same counts from its token pass, token-scan.ts). */
export function scanFeatures(text: string): TextFeatures {
  let digits = 0;
  let run = 0;
  let longest = 0;
  let gap = 0; // characters since the last digit
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      run = gap <= 1 ? run + 1 : 1;
      gap = 0;
      if (run > longest) longest = run;
    } else if (++gap === 1 && c !== 32 && c !== 45 && c !== 46 && c !== 47) {
      gap = 2; // any other character ends the group
    }
  }
  return textFeatures(text, { digits, longestDigitGroup: longest });
}

/** TextFeatures from digit counts already made (the detector's token pass counts them on its way). */
export function textFeatures(text: string, counts: { digits: number; longestDigitGroup: number }): TextFeatures {
  let keywords = -1;
  return {
    digits: counts.digits,
    longestDigitGroup: counts.longestDigitGroup,
    hasAt: text.includes('@'),
    hasColon: text.includes(':'),
    keywords: () => (keywords < 0 ? (keywords = findKeywords(text)) : keywords),
  };
}

/** Digits from `at` on, single space, dash, dot or slash separators allowed between them, counting at most `upTo`. */
export function digitRun(text: string, at: number, upTo: number): number {
  let n = 0;
  for (let i = at; i < text.length && n < upTo; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
    else if (!((c === 32 || c === 45 || c === 46 || c === 47) && i > at && isDigit(text.charCodeAt(i + 1)) && isDigit(text.charCodeAt(i - 1)))) break;
  }
  return n;
}

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Walks back from `at` while characters match `cls`, at most `max` characters; returns the run's start. */
export function runStart(text: string, at: number, cls: RegExp, max: number): number {
  let i = at;
  while (i > 0 && at - i < max && cls.test(text[i - 1])) i--;
  return i;
}
