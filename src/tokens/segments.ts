/**
 * Safe split points for tiktoken's pre-tokenizer, shared by prompt counting and the streaming counter.
 *
 * A safe boundary is a position p where the pre-tokenizer regex (both the o200k and cl100k patterns) must end a
 * piece whatever text follows, so encoding the two sides separately gives exactly the tokens of the whole.
 * With c1 = the character before p and c2 = the one at p:
 *  - c1 not whitespace, c2 a space (only whitespace pieces end in a space, and the regex restarts at p);
 *  - c1 a line break, c2 neither whitespace nor `/` (only `[\r\n/]*` extends a punctuation piece past a break);
 *  - c1 a number (\p{N}), c2 not a number (only `\p{N}{1,3}` pieces hold numbers);
 *  - c1 a letter (\p{L}), c2 not a letter, mark or `'` (letter pieces grow only by letters, marks, contractions);
 *  - c1 punctuation (not whitespace, letter, mark or number), c2 a number (a punctuation run or a letter
 *    piece's one-character prefix cannot take a digit).
 * Pure functions; no allocation on ASCII text.
 */

/** Character classes. */
export const WS = 1;
export const LETTER = 2;
export const MARK = 3;
export const NUMBER = 4;
export const PUNCT = 5;
/** Second half of a surrogate pair: never a split point. */
export const LOW_SURROGATE = 6;

const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c === 32 || (c >= 9 && c <= 13)) ASCII[c] = WS;
  else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) ASCII[c] = LETTER;
  else if (c >= 48 && c <= 57) ASCII[c] = NUMBER;
  else ASCII[c] = PUNCT;
}
const RE_WS = /\s/u;
const RE_L = /\p{L}/u;
const RE_M = /\p{M}/u;
const RE_N = /\p{N}/u;

/** Class of the UTF-16 unit at i of s (a high surrogate is classified by its whole code point). */
export function charClass(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 128) return ASCII[c];
  if (c >= 0xdc00 && c <= 0xdfff) return LOW_SURROGATE;
  const ch = c >= 0xd800 && c <= 0xdbff ? s.slice(i, i + 2) : s[i];
  if (RE_WS.test(ch)) return WS;
  if (RE_L.test(ch)) return LETTER;
  if (RE_M.test(ch)) return MARK;
  if (RE_N.test(ch)) return NUMBER;
  return PUNCT;
}

/** The boundary rule, given the classes and codes of the characters before (k1, c1) and at (k2, c2) the split. */
export function isBoundaryBetween(k1: number, c1: number, k2: number, c2: number): boolean {
  if (k2 === LOW_SURROGATE) return false;
  if (c2 === 32) return k1 !== WS;
  if (c1 === 10 || c1 === 13) return k2 !== WS && c2 !== 47; // '/'
  if (k1 === NUMBER) return k2 !== NUMBER;
  if (k1 === LETTER) return k2 !== LETTER && k2 !== MARK && c2 !== 39; // "'"
  if (k1 === PUNCT) return k2 === NUMBER;
  return false;
}

/** Class of the character that ends just before index i (looks through a surrogate pair). */
function classBefore(s: string, i: number): number {
  const k = charClass(s, i - 1);
  return k === LOW_SURROGATE && i >= 2 ? charClass(s, i - 2) : k;
}

/**
 * Last safe boundary index in `s` at or after `from` (split: s.slice(0, i) | s.slice(i)), or 0 when none.
 * Whether i is a boundary depends only on the characters at i − 1 and i, so scanned positions need no second look.
 */
export function lastSafeBoundary(s: string, from = 1): number {
  for (let i = s.length - 1; i >= Math.max(1, from); i--) {
    if (isBoundaryBetween(classBefore(s, i), s.charCodeAt(i - 1), charClass(s, i), s.charCodeAt(i))) return i;
  }
  return 0;
}

/**
 * Calls `each(start, end)` for consecutive segments of `s` split at every safe boundary, until it returns
 * `false`. One pass, O(n).
 */
export function forEachSegment(s: string, each: (start: number, end: number) => boolean | void): void {
  if (s.length === 0) return;
  let start = 0;
  let k1 = charClass(s, 0);
  let c1 = s.charCodeAt(0);
  for (let i = 1; i < s.length; i++) {
    const k2 = charClass(s, i);
    const c2 = s.charCodeAt(i);
    if (isBoundaryBetween(k1, c1, k2, c2)) {
      if (each(start, i) === false) return;
      start = i;
    }
    if (k2 !== LOW_SURROGATE) k1 = k2;
    c1 = c2;
  }
  each(start, s.length);
}
