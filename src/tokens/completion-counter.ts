/**
 * Counts streamed output tokens incrementally, for streams whose provider reports no usage (client abort,
 * upstream cut). Each `add` encodes only text up to the last *safe boundary* and keeps the rest as a small tail,
 * so a stream costs O(total length) in encoding work, not O(n²).
 *
 * A safe boundary is a position p where tiktoken's pre-tokenizer (both the o200k and cl100k patterns) must split
 * whatever text follows, so encoding the two sides separately gives exactly the tokens of the whole. With
 * c1 = the character before p and c2 = the one at p:
 *  - c1 not whitespace, c2 a space (only whitespace pieces end in a space, and the regex restarts at p);
 *  - c1 a line break, c2 neither whitespace nor `/` (only `[\r\n/]*` extends a punctuation piece past a break);
 *  - c1 a number (\p{N}), c2 not a number (only `\p{N}{1,3}` pieces hold numbers);
 *  - c1 a letter (\p{L}), c2 not a letter, mark or `'` (letter pieces grow only by letters, marks, contractions);
 *  - c1 punctuation (not whitespace, letter, mark or number), c2 a number (a punctuation run or a letter
 *    piece's one-character prefix cannot take a digit).
 * Text with no boundary for `MAX_TAIL_CHARS` (e.g. long runs of one script without spaces) is cut by force after
 * all but the last 16 tokens of its encoding; BPE merges are local, so this is almost always exact, and at worst
 * off by about a token per cut, accepted to keep the hot path bounded.
 */
import { countTextTokens, encodingForModel, getEncoder, type EncodingName } from './encoding.js';

/**
 * Hidden tokens the model emits around each tool call (recipient and framing), measured on the recorded gpt-4o
 * transcripts: every single-call stream reports exactly 7 more completion tokens than its name + arguments text.
 */
export const TOOL_CALL_OVERHEAD_TOKENS = 7;
/** Longest tail kept without a safe boundary before a forced cut. */
export const MAX_TAIL_CHARS = 1024;
/** Don't bother encoding a committed prefix until this much text is pending (fewer WASM calls). */
const MIN_COMMIT_CHARS = 64;

/**
 * Output token counter for one request. Lifetime: one stream. Not thread-shared; cheap to create.
 * `add` never throws. Separate output streams (choices of `n > 1`, content vs. each tool call) must use separate
 * `channel`s, because their texts are not one continuous string.
 */
export interface CompletionCounter {
  /** Append streamed output text (content, refusal, tool-call name or arguments) to `channel` (default 0). */
  add(text: string, channel?: number | string): void;
  /** Count the fixed overhead of one more tool call (call once per new tool-call index, not per fragment). */
  toolCall(): void;
  /** Tokens of everything added so far, summed over channels, plus tool-call overhead. */
  tokens(): number;
}

type CharClass = 'ws' | 'L' | 'M' | 'N' | 'P';
const RE_WS = /\s/u;
const RE_L = /\p{L}/u;
const RE_M = /\p{M}/u;
const RE_N = /\p{N}/u;

function classify(cp: number): CharClass {
  if (cp < 128) {
    if (cp === 32 || (cp >= 9 && cp <= 13)) return 'ws';
    if ((cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122)) return 'L';
    if (cp >= 48 && cp <= 57) return 'N';
    return 'P';
  }
  const ch = String.fromCodePoint(cp);
  if (RE_WS.test(ch)) return 'ws';
  if (RE_L.test(ch)) return 'L';
  if (RE_M.test(ch)) return 'M';
  if (RE_N.test(ch)) return 'N';
  return 'P';
}

/** Code point ending at index i - 1 (handles a surrogate pair ending there). */
function codePointBefore(s: string, i: number): number {
  const lo = s.charCodeAt(i - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && i >= 2) {
    const hi = s.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return (hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
  }
  return lo;
}

function isBoundary(s: string, i: number): boolean {
  const c2code = s.charCodeAt(i);
  if (c2code >= 0xdc00 && c2code <= 0xdfff) return false; // inside a surrogate pair
  const c1 = codePointBefore(s, i);
  const c2 = s.codePointAt(i)!;
  const k1 = classify(c1);
  const k2 = classify(c2);
  if (c2 === 32) return k1 !== 'ws';
  if (c1 === 10 || c1 === 13) return k2 !== 'ws' && c2 !== 47; /* '/' */
  switch (k1) {
    case 'N':
      return k2 !== 'N';
    case 'L':
      return k2 !== 'L' && k2 !== 'M' && c2 !== 39; /* "'" */
    case 'P':
      return k2 === 'N';
    default:
      return false;
  }
}

/**
 * Last safe boundary index in `s` at or after `from` (split point: s.slice(0, i) | s.slice(i)), or 0 when none.
 * Whether i is a boundary depends only on the characters at i - 1 and i, so already-scanned positions need no
 * second look.
 */
export function lastSafeBoundary(s: string, from = 1): number {
  for (let i = s.length - 1; i >= Math.max(1, from); i--) if (isBoundary(s, i)) return i;
  return 0;
}

interface Channel {
  committed: number;
  tail: string;
  tailTokens: number | undefined;
  /** Positions of `tail` below this index are known not to be boundaries. */
  scanned: number;
}

/** Tokens kept uncommitted on a forced cut: BPE merges near the cut could still change with more text. */
const FORCED_CUT_KEEP_TOKENS = 16;
const utf8 = new TextDecoder('utf-8', { fatal: false });

export function createCompletionCounter(model: string): CompletionCounter {
  const encoding: EncodingName = encodingForModel(model);

  /** No safe boundary in a long tail: commit all but the last few tokens of its current encoding. */
  function forceCommit(ch: Channel): void {
    const enc = getEncoder(encoding);
    const tokens = enc.encode_ordinary(ch.tail);
    for (let keep = tokens.length - FORCED_CUT_KEEP_TOKENS; keep > 0; keep--) {
      const prefix = utf8.decode(enc.decode(tokens.subarray(0, keep)));
      // A token may end inside a multi-byte character; only cut where the prefix decodes to the exact text.
      if (ch.tail.startsWith(prefix)) {
        ch.committed += keep;
        ch.tail = ch.tail.slice(prefix.length);
        return;
      }
    }
  }
  const channels = new Map<number | string, Channel>();
  let overhead = 0;

  return {
    add(text, channelKey = 0) {
      if (!text) return;
      let ch = channels.get(channelKey);
      if (!ch) {
        ch = { committed: 0, tail: '', tailTokens: 0, scanned: 0 };
        channels.set(channelKey, ch);
      }
      ch.tail += text;
      ch.tailTokens = undefined;
      if (ch.tail.length < MIN_COMMIT_CHARS) return;
      const cut = lastSafeBoundary(ch.tail, ch.scanned);
      if (cut > 0) {
        ch.committed += countTextTokens(ch.tail.slice(0, cut), encoding);
        ch.tail = ch.tail.slice(cut);
      } else if (ch.tail.length > MAX_TAIL_CHARS) {
        forceCommit(ch);
      }
      // Everything left in the tail was scanned (from the end down to the cut) and holds no boundary.
      ch.scanned = ch.tail.length;
    },
    toolCall() {
      overhead += TOOL_CALL_OVERHEAD_TOKENS;
    },
    tokens() {
      let n = overhead;
      for (const ch of channels.values()) {
        if (ch.tailTokens === undefined) ch.tailTokens = countTextTokens(ch.tail, encoding);
        n += ch.committed + ch.tailTokens;
      }
      return n;
    },
  };
}
