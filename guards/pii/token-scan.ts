// One pass over the text for every recognizer with a `token` shape (see Recognizer.token): find each ASCII
// letters-and-digits token that starts after a non-word character, and run the sticky pattern of each recognizer
// whose shape fits that token's first character and length. A dozen whole-text regex scans become one loop over
// character codes plus a handful of anchored regex runs.
import { digitRun, type Recognizer, type TokenShape } from './recognizer.js';

const MAX_LEN = 80;
const MAX_DIGITS = 20;
const NONE: readonly number[] = [];
const CLASSES = 3; // 0 digit, 1 upper-case, 2 lower-case ASCII letter

// Per code unit below 128: 1 digit, 2 upper, 3 lower, 4 underscore (a word character that starts no token), 0 other.
const ASCII = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII[c] = 1;
for (let c = 65; c <= 90; c++) ASCII[c] = 2;
for (let c = 97; c <= 122; c++) ASCII[c] = 3;
ASCII[95] = 4;

const kind = (c: number): number => (c < 128 ? ASCII[c] : 0);

function firstClasses(first: TokenShape['first']): number[] {
  return first === 'digit' ? [0] : first === 'upper' ? [1] : first === 'letter' ? [1, 2] : [0, 1, 2];
}

function lengthsOf(l: TokenShape['lengths']): number[] {
  if ('min' in l) return Array.from({ length: l.max - l.min + 1 }, (_, i) => l.min + i);
  return [...l];
}

export interface TokenScanner {
  /** Runs the recognizers whose index is set in `active`, calling `found` for each match (in text order per recognizer). */
  scan(text: string, active: Uint8Array, found: (index: number, m: RegExpExecArray) => void): void;
}

/** Builds the dispatch table for `recognizers` (indexes refer to this array; those without `token` are ignored). */
export function createTokenScanner(recognizers: readonly Recognizer[]): TokenScanner {
  // buckets[class * (MAX_LEN + 1) + length] = indexes of the recognizers a token of that class and length may start.
  const buckets: number[][] = Array.from({ length: CLASSES * (MAX_LEN + 1) }, () => []);
  const sticky: (RegExp | null)[] = recognizers.map((r) => (r.token ? new RegExp(r.pattern.source, r.pattern.flags.replace('g', '') + 'y') : null));
  recognizers.forEach((r, i) => {
    if (!r.token) return;
    for (const cls of firstClasses(r.token.first)) for (const len of lengthsOf(r.token.lengths)) buckets[cls * (MAX_LEN + 1) + len].push(i);
  });
  const covered = new Int32Array(recognizers.length);
  return {
    scan(text, active, found) {
      covered.fill(0);
      let prevWord = false;
      for (let i = 0; i < text.length; i++) {
        const k = kind(text.charCodeAt(i));
        if (k === 0 || k === 4 || prevWord) {
          prevWord = k !== 0;
          continue;
        }
        let j = i + 1;
        for (let kj = kind(text.charCodeAt(j)); j < text.length && kj >= 1 && kj <= 3; kj = kind(text.charCodeAt(j))) j++;
        const len = j - i;
        const list = len <= MAX_LEN ? buckets[(k - 1) * (MAX_LEN + 1) + len] : NONE;
        if (list.length) {
          let digits = -1; // digitRun from i, computed once for every recognizer that asks
          for (const idx of list) {
            if (!active[idx] || i < covered[idx]) continue;
            const shape = recognizers[idx].token!;
            if (shape.minDigits && (digits < 0 ? (digits = digitRun(text, i, MAX_DIGITS)) : digits) < shape.minDigits) continue;
            if (shape.test && !shape.test(text, i, j)) continue;
            const re = sticky[idx]!;
            re.lastIndex = i;
            const m = re.exec(text);
            if (!m) continue;
            covered[idx] = m.index + m[0].length;
            found(idx, m);
          }
        }
        i = j - 1;
        prevWord = true;
      }
    },
  };
}
