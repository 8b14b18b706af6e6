// One pass over the text for every recognizer with a `token` shape (see Recognizer.token): find each ASCII
// letters-and-digits token that starts after a non-word character, and run the sticky pattern of each recognizer
// whose shape fits that token's first character, length, digits and following character. A dozen whole-text regex
// scans become one loop over character codes (which also counts the digits the prefilters read) plus a handful of
// anchored regex runs.
import { digitRun, type Recognizer, type TokenShape } from './recognizer.js';

const MAX_LEN = 80;
const MAX_DIGITS = 20;
const CLASSES = 3; // 0 digit, 1 upper-case, 2 lower-case ASCII letter
const SPAN = MAX_LEN + 1;

function firstClasses(first: TokenShape['first']): number[] {
  return first === 'digit' ? [0] : first === 'upper' ? [1] : first === 'letter' ? [1, 2] : [0, 1, 2];
}

function lengthsOf(l: TokenShape['lengths']): number[] {
  if ('min' in l) return Array.from({ length: l.max - l.min + 1 }, (_, i) => l.min + i);
  return [...l];
}

/** What the one pass over the characters found: digit counts for the prefilters, and the tokens worth dispatching. */
export interface TokenPass {
  /** Number of ASCII digits (as `TextFeatures.digits`). */
  digits: number;
  /** As `TextFeatures.longestDigitGroup`. */
  longestDigitGroup: number;
}

export interface TokenScanner {
  /**
   * One pass over `text`: digit counts, and every token (start, length, first-character class) that some
   * recognizer's shape fits. Then `dispatch` runs the active recognizers on those tokens.
   */
  pass(text: string): TokenPass;
  /** Runs the recognizers whose index is set in `active` on the tokens of the last `pass`, calling `found` for each match (in text order per recognizer). */
  dispatch(text: string, active: Uint8Array, found: (index: number, m: RegExpExecArray) => void): void;
}

// Per UTF-16 code unit: 1 digit, 2 upper, 3 lower ASCII letter, 4 underscore (a word character that starts no
// token), 0 anything else.
const KIND = new Uint8Array(65536);
for (let c = 48; c <= 57; c++) KIND[c] = 1;
for (let c = 65; c <= 90; c++) KIND[c] = 2;
for (let c = 97; c <= 122; c++) KIND[c] = 3;
KIND[95] = 4;

// The character right after a token, as one bit of a `TokenShape.after` mask: ':' 2, '-' 4, '.' 8, ' ' 16, '(',
// ')' or '+' 32, anything else (or the end of the text) 1.
const AFTER = new Uint8Array(65536).fill(1);
AFTER[58] = 2;
AFTER[45] = 4;
AFTER[46] = 8;
AFTER[32] = 16;
AFTER[40] = AFTER[41] = AFTER[43] = 32;
const ANY_AFTER = 63;

function afterMask(after: string | undefined, len: number, below = Infinity): number {
  if (after === undefined || len >= below) return ANY_AFTER;
  let m = 0;
  for (let i = 0; i < after.length; i++) m |= AFTER[after.charCodeAt(i)];
  return m;
}

/** Builds the dispatch table for `recognizers` (indexes refer to this array; those without `token` are ignored). */
export function createTokenScanner(recognizers: readonly Recognizer[]): TokenScanner {
  // buckets[((class * 2 + hasDigit) * SPAN) + length] = indexes of the recognizers a token of that first-character
  // class, digit presence and length may start. Most words of prose have no digit, and only a few shapes (MAC
  // address groups, SWIFT codes, …) accept such a token: they then are not recorded at all.
  const buckets: number[][] = Array.from({ length: CLASSES * 2 * SPAN }, () => []);
  const sticky: (RegExp | null)[] = recognizers.map((r) => (r.token ? new RegExp(r.pattern.source, r.pattern.flags.replace('g', '') + 'y') : null));
  // Per bucket, per recognizer in it (same order): its `after` mask for that token length.
  const masks: number[][] = buckets.map(() => []);
  // Per bucket: the union of its recognizers' `after` masks (0: no recognizer starts at such a token).
  const wanted = new Uint8Array(buckets.length);
  recognizers.forEach((r, i) => {
    if (!r.token) return;
    const digitFrom = r.token.digitFrom ?? Infinity;
    for (const cls of firstClasses(r.token.first)) {
      for (const len of lengthsOf(r.token.lengths)) {
        for (let hasDigit = 0; hasDigit < 2; hasDigit++) {
          if (!hasDigit && (cls === 0 || len >= digitFrom)) continue; // a digit-led token has a digit
          const b = (cls * 2 + hasDigit) * SPAN + len;
          const mask = afterMask(r.token.after, len, r.token.afterBelow);
          buckets[b].push(i);
          masks[b].push(mask);
          wanted[b] |= mask;
        }
      }
    }
  });
  // `TokenShape.alsoAt`: one more bucket per such character, holding the recognizers that may start there.
  const punct = new Int32Array(65536).fill(-1);
  recognizers.forEach((r, i) => {
    for (const ch of r.token?.alsoAt ?? '') {
      const c = ch.charCodeAt(0);
      if (punct[c] < 0) {
        punct[c] = buckets.length;
        buckets.push([]);
        masks.push([]);
      }
      buckets[punct[c]].push(i);
      masks[punct[c]].push(ANY_AFTER);
    }
  });
  // Each bucket in ascending order of minDigits (the order within a token does not matter: candidates are ordered by
  // recognizer afterwards), so that dispatch stops at the first recognizer needing more digits than the token has.
  const minDigitsOf = Int32Array.from(recognizers, (r) => r.token?.minDigits ?? 0);
  buckets.forEach((list, b) => {
    const order = list.map((_, x) => x).sort((x, y) => minDigitsOf[list[x]] - minDigitsOf[list[y]] || x - y);
    buckets[b] = order.map((x) => list[x]);
    masks[b] = order.map((x) => masks[b][x]);
  });
  const covered = new Int32Array(recognizers.length);
  // The last pass's tokens: start, bucket index and the AFTER bit of the next character, triples; reused across calls
  // (detect is synchronous).
  let tokens = new Int32Array(384);
  let count = 0;

  function record(start: number, bucket: number, after: number): void {
    if (count * 3 + 3 > tokens.length) {
      const grown = new Int32Array(tokens.length * 2);
      grown.set(tokens);
      tokens = grown;
    }
    tokens[count * 3] = start;
    tokens[count * 3 + 1] = bucket;
    tokens[count * 3 + 2] = after;
    count++;
  }

  return {
    pass(text) {
      count = 0;
      const kind = KIND;
      const want = wanted;
      let digits = 0;
      let run = 0;
      let longest = 0;
      let gap = 0; // characters since the last digit (as scanFeatures)
      let tokStart = -1; // start of the current letters-and-digits run when it is a token (no word character before)
      let tokDigit = 0; // 1 when the current run has a digit
      let inRun = false;
      let prevWord = false;
      const n = text.length;
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        const k = kind[c];
        if (k === 1) {
          digits++;
          run = gap <= 1 ? run + 1 : 1;
          gap = 0;
          if (run > longest) longest = run;
        } else if (++gap === 1 && c !== 32 && c !== 45 && c !== 46 && c !== 47) {
          gap = 2; // any other character ends the group
        }
        if (k >= 1 && k <= 3) {
          if (!inRun) {
            tokStart = prevWord ? -1 : i;
            tokDigit = 0;
            inRun = true;
          }
          if (k === 1) tokDigit = 1;
        } else {
          if (inRun) {
            inRun = false;
            if (tokStart >= 0 && i - tokStart <= MAX_LEN) {
              const bucket = ((kind[text.charCodeAt(tokStart)] - 1) * 2 + tokDigit) * SPAN + (i - tokStart);
              const after = AFTER[c];
              if (want[bucket] & after) record(tokStart, bucket, after);
            }
          }
          if (k === 0 && punct[c] >= 0) record(i, punct[c], ANY_AFTER);
        }
        prevWord = k !== 0;
      }
      if (inRun && tokStart >= 0 && n - tokStart <= MAX_LEN) {
        const bucket = ((kind[text.charCodeAt(tokStart)] - 1) * 2 + tokDigit) * SPAN + (n - tokStart);
        if (want[bucket] & 1) record(tokStart, bucket, 1);
      }
      return { digits, longestDigitGroup: longest };
    },
    dispatch(text, active, found) {
      covered.fill(0);
      for (let t = 0; t < count; t++) {
        const i = tokens[t * 3];
        const bucket = tokens[t * 3 + 1];
        const after = tokens[t * 3 + 2];
        const j = bucket < wanted.length ? i + (bucket % SPAN) : i + 1;
        let digits = -1; // digitRun from i, computed once for every recognizer that asks
        const list = buckets[bucket];
        const mask = masks[bucket];
        for (let x = 0; x < list.length; x++) {
          const idx = list[x];
          if (!active[idx] || i < covered[idx] || !(mask[x] & after)) continue;
          const need = minDigitsOf[idx];
          if (need && (digits < 0 ? (digits = digitRun(text, i, MAX_DIGITS)) : digits) < need) break; // so do the rest
          const shape = recognizers[idx].token!;
          if (shape.test && !shape.test(text, i, j)) continue;
          const re = sticky[idx]!;
          re.lastIndex = i;
          const m = re.exec(text);
          if (!m) continue;
          covered[idx] = m.index + m[0].length;
          found(idx, m);
        }
      }
    },
  };
}
