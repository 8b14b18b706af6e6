import type { PiiCategory } from './types.js';

/** Cheap facts about a text, computed once per `detect` call so recognizers can skip their regex entirely. */
export interface TextFeatures {
  /** Number of ASCII digits. */
  digits: number;
  /** Longest run of digits, ignoring single separators (space, dot, dash, slash) between them. */
  longestDigitGroup: number;
  hasAt: boolean;
  hasColon: boolean;
  /** Lower-cased text, built lazily for context-word prefilters. */
  lower(): string;
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
   * Scan strategy for patterns whose values always contain a rare literal (`@`, `://`, `:`): find the literal with
   * indexOf, step back to where a value could start, and run `pattern` there only (sticky), instead of trying the
   * regex at every position of the text.
   */
  anchor?: { literal: string; startOf(text: string, at: number): number };
  /** Validate a match; `true` keeps the whole match, a span keeps part of it, false/null drops it. */
  accept?(m: RegExpExecArray, text: string): boolean | SpanOverride | null;
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

/** Computes TextFeatures in one tight pass over the text (plus two memchr-like `includes`). */
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
  let lower: string | undefined;
  return {
    digits,
    longestDigitGroup: longest,
    hasAt: text.includes('@'),
    hasColon: text.includes(':'),
    lower: () => (lower ??= text.toLowerCase()),
  };
}

/** Walks back from `at` while characters match `cls`, at most `max` characters; returns the run's start. */
export function runStart(text: string, at: number, cls: RegExp, max: number): number {
  let i = at;
  while (i > 0 && at - i < max && cls.test(text[i - 1])) i--;
  return i;
}
