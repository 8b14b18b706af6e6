/**
 * Counts streamed output tokens incrementally, for streams whose provider reports no usage (client abort,
 * upstream cut). Each `add` encodes only text up to the last *safe boundary* and keeps the rest as a small tail,
 * so a stream costs O(total length) in encoding work, not O(n²).
 *
 * Safe boundaries are defined and justified in segments.ts.
 * Text with no boundary for `MAX_TAIL_CHARS` (e.g. long runs of one script without spaces) is cut by force after
 * all but the last 16 tokens of its encoding; BPE merges are local, so this is almost always exact, and at worst
 * off by about a token per cut, accepted to keep the hot path bounded.
 */
import { countTextTokens, encodingForModel, getEncoder, type EncodingName } from './encoding.js';
import { lastSafeBoundary } from './segments.js';

export { lastSafeBoundary };

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

interface Channel {
  committed: number;
  tail: string;
  tailTokens: number | undefined;
  /** Positions of `tail` below this index are known not to be boundaries. */
  scanned: number;
  /**
   * `tail` up to this safe boundary (0: none yet) counts `countedTokens` whatever text follows. `tokens()` is
   * asked after every chunk: this way it counts the tail's last word, not the whole tail again (issue 22).
   */
  counted: number;
  countedTokens: number;
}

/** Tokens kept uncommitted on a forced cut: BPE merges near the cut could still change with more text. */
const FORCED_CUT_KEEP_TOKENS = 16;
const utf8 = new TextDecoder('utf-8', { fatal: false });
/** The tail changes with every chunk: counted by its words, never memoised whole. */
const ONE_OFF = { oneOff: true };

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
  /** Tokens of `ch.tail`: its counted prefix, then the text after, moving the prefix up to its last safe boundary. */
  function tailTokens(ch: Channel): number {
    const cut = lastSafeBoundary(ch.tail, ch.counted + 1);
    if (cut > ch.counted) {
      ch.countedTokens += countTextTokens(ch.tail.slice(ch.counted, cut), encoding, ONE_OFF);
      ch.counted = cut;
    }
    return ch.countedTokens + countTextTokens(ch.counted > 0 ? ch.tail.slice(ch.counted) : ch.tail, encoding, ONE_OFF);
  }
  const channels = new Map<number | string, Channel>();
  let overhead = 0;

  return {
    add(text, channelKey = 0) {
      if (!text) return;
      let ch = channels.get(channelKey);
      if (!ch) {
        ch = { committed: 0, tail: '', tailTokens: 0, scanned: 0, counted: 0, countedTokens: 0 };
        channels.set(channelKey, ch);
      }
      ch.tail += text;
      ch.tailTokens = undefined;
      if (ch.tail.length < MIN_COMMIT_CHARS) return;
      const cut = lastSafeBoundary(ch.tail, ch.scanned);
      if (cut > 0) {
        // Counts add up across safe boundaries: the part `tokens()` already counted is not counted again.
        const from = cut >= ch.counted ? ch.counted : 0;
        const before = from > 0 ? ch.countedTokens : 0;
        ch.committed += before + countTextTokens(ch.tail.slice(from, cut), encoding, ONE_OFF);
        ch.tail = ch.tail.slice(cut);
      } else if (ch.tail.length > MAX_TAIL_CHARS) {
        forceCommit(ch);
      }
      ch.counted = 0;
      ch.countedTokens = 0;
      // Everything left in the tail was scanned (from the end down to the cut) and holds no boundary.
      ch.scanned = ch.tail.length;
    },
    toolCall() {
      overhead += TOOL_CALL_OVERHEAD_TOKENS;
    },
    tokens() {
      let n = overhead;
      for (const ch of channels.values()) {
        if (ch.tailTokens === undefined) ch.tailTokens = tailTokens(ch);
        n += ch.committed + ch.tailTokens;
      }
      return n;
    },
  };
}
