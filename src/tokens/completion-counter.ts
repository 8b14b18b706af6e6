/**
 * Counts streamed output tokens incrementally, for streams whose provider reports no usage (client abort,
 * upstream cut). Each `add` encodes only text up to the last *safe boundary* and keeps the rest as a small tail,
 * so a stream costs O(total length) in encoding work, not O(n²).
 *
 * A safe boundary is a position where tiktoken's pre-tokenizer (both o200k and cl100k patterns) must split no
 * matter what text follows, so encoding the parts separately gives exactly the tokens of the whole:
 *  - a space preceded by a non-whitespace character (no piece can end with a space unless it is a whitespace run,
 *    and the regex restarts there), or
 *  - a non-whitespace character other than `/` right after a line break (a whitespace run ends there, and only
 *    `[\r\n/]*` could extend a punctuation piece past a line break).
 * Text with no boundary for `MAX_TAIL_CHARS` (minified JSON, CJK) is cut there by force; that may differ from the
 * whole-text count by about one token per cut, which we accept to keep the hot path bounded.
 */
import { countTextTokens, encodingForModel, type EncodingName } from './encoding.js';

/** Longest tail kept without a safe boundary before a forced cut. */
export const MAX_TAIL_CHARS = 2048;
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
  /** Tokens of everything added so far, summed over channels. */
  tokens(): number;
}

function isWs(c: number): boolean {
  // \s in the tokenizer regex is Unicode whitespace; ASCII plus the common Unicode spaces covers what matters:
  // treating a rare whitespace char as non-whitespace only makes us skip a boundary, never invent a wrong one,
  // because boundaries are only ever placed at ' ' or after '\n'/'\r'.
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x85 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Last safe boundary index in `s` (split point: s.slice(0, i) | s.slice(i)), or 0 when none. */
export function lastSafeBoundary(s: string): number {
  for (let i = s.length - 1; i > 0; i--) {
    const c = s.charCodeAt(i);
    const prev = s.charCodeAt(i - 1);
    if (c === 32 && !isWs(prev)) return i;
    if ((prev === 10 || prev === 13) && !isWs(c) && c !== 47 /* '/' */) return i;
  }
  return 0;
}

interface Channel {
  committed: number;
  tail: string;
  tailTokens: number | undefined;
}

export function createCompletionCounter(model: string): CompletionCounter {
  const encoding: EncodingName = encodingForModel(model);
  const channels = new Map<number | string, Channel>();

  return {
    add(text, channelKey = 0) {
      if (!text) return;
      let ch = channels.get(channelKey);
      if (!ch) {
        ch = { committed: 0, tail: '', tailTokens: 0 };
        channels.set(channelKey, ch);
      }
      ch.tail += text;
      ch.tailTokens = undefined;
      if (ch.tail.length < MIN_COMMIT_CHARS) return;
      let cut = lastSafeBoundary(ch.tail);
      if (cut === 0 && ch.tail.length > MAX_TAIL_CHARS) {
        cut = ch.tail.length - 1;
        // Never split a surrogate pair: that would encode two lone halves.
        const c = ch.tail.charCodeAt(cut);
        if (c >= 0xdc00 && c <= 0xdfff) cut--;
      }
      if (cut > 0) {
        ch.committed += countTextTokens(ch.tail.slice(0, cut), encoding);
        ch.tail = ch.tail.slice(cut);
      }
    },
    tokens() {
      let n = 0;
      for (const ch of channels.values()) {
        if (ch.tailTokens === undefined) ch.tailTokens = countTextTokens(ch.tail, encoding);
        n += ch.committed + ch.tailTokens;
      }
      return n;
    },
  };
}
