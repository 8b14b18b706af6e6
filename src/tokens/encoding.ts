/**
 * Which tiktoken encoding a model uses, and one shared encoder per encoding.
 *
 * The encoders give tiktoken's tokens exactly (bpe.ts: tiktoken's patterns and merge order in JavaScript over
 * compact tables written by `npm run build`; test/tokens/bpe.test.ts checks them against tiktoken). tiktoken's own
 * WASM encoders held ~65 MB of RSS and took ~1 s of CPU to build (issue 22.5/22.6). Each encoder is created once,
 * on first use or by `warmEncoders` at start, and kept for the life of the process.
 */
import { createRequire } from 'node:module';
import { BpeEncoder, loadTables, nodeUnicodeMatches } from './bpe.js';
import { forEachSegment } from './segments.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/**
 * Encoding for models we cannot identify (unknown aliases, Anthropic's claude-*, other vendors).
 * Decision: o200k_base, the encoding of every current OpenAI model. Claude's own tokenizer is not public; o200k is
 * a reasonable stand-in for a *pre-call estimate* only, and Anthropic's reported usage replaces it after the call.
 */
export const DEFAULT_ENCODING: EncodingName = 'o200k_base';

// Prefixes are matched after stripping a `provider/` prefix and lower-casing. Order matters: longest first where
// one prefix contains another (gpt-4o before gpt-4).
const O200K_PREFIXES = ['gpt-4o', 'gpt-4.1', 'gpt-4.5', 'gpt-5', 'chatgpt-4o', 'o1', 'o3', 'o4', 'gpt-oss'];
const CL100K_PREFIXES = ['gpt-4', 'gpt-3.5', 'gpt-35', 'text-embedding-3', 'text-embedding-ada-002'];

/** Pure. Maps a model name (bare, dated, fine-tuned `ft:gpt-4o-…`, or `provider/model`) to its encoding. */
export function encodingForModel(model: string): EncodingName {
  let m = model.trim().toLowerCase();
  const slash = m.lastIndexOf('/');
  if (slash >= 0) m = m.slice(slash + 1);
  if (m.startsWith('ft:')) m = m.slice(3);
  if (O200K_PREFIXES.some((p) => m.startsWith(p))) return 'o200k_base';
  if (CL100K_PREFIXES.some((p) => m.startsWith(p))) return 'cl100k_base';
  return DEFAULT_ENCODING;
}

/** What the gateway uses of an encoding: tiktoken's `encode_ordinary` and `decode`, and a token count. */
export interface Encoder {
  encode_ordinary(text: string): Uint32Array;
  decode(tokens: Uint32Array): Uint8Array;
  count(text: string): number;
}

/**
 * The JavaScript encoder splits text as tiktoken only with the Unicode tables it was checked on (bpe-classes.ts);
 * on a Node with other tables, tiktoken's WASM encoder itself (loaded only then: ~65 MB, ~1 s).
 */
function createEncoder(name: EncodingName): Encoder {
  if (nodeUnicodeMatches()) return new BpeEncoder(name, loadTables(name).tables);
  const { get_encoding } = createRequire(import.meta.url)('tiktoken') as typeof import('tiktoken');
  const enc = get_encoding(name);
  return { encode_ordinary: (t) => enc.encode_ordinary(t), decode: (t) => enc.decode(t), count: (t) => enc.encode_ordinary(t).length };
}

const encoders = new Map<EncodingName, Encoder>();

/** The process-wide encoder for `name`, created on first call. */
export function getEncoder(name: EncodingName): Encoder {
  let enc = encoders.get(name);
  if (!enc) {
    enc = createEncoder(name);
    encoders.set(name, enc);
  }
  return enc;
}

/**
 * Loads now the encodings of `models` (public names and upstream ids; a few ms each from the generated tables, and
 * the pre-tokenizer's regex compiled by a first encode): called at start with the configured models, so the first
 * request does not pay it inside admission, and a gateway whose models all use o200k does not load cl100k. A
 * model that appears later (a reload, a passthrough name) loads its encoding on first use.
 */
export function warmEncoders(models: Iterable<string> = []): void {
  const names = new Set<EncodingName>([DEFAULT_ENCODING]);
  for (const m of models) names.add(encodingForModel(m));
  for (const name of names) getEncoder(name).count("Warm the pre-tokenizer: I'm 42, café.\n");
}

/** The encodings loaded so far (for the start-up test). */
export const loadedEncodings = (): EncodingName[] => [...encoders.keys()];

/**
 * Segments longer than this with no safe boundary inside (see segments.ts: long runs of letters, punctuation or
 * whitespace) are counted in `RUN_CHUNK_CHARS` slices. Why: tiktoken's BPE is quadratic in the length of one
 * pre-token piece — measured here, 40 KB of letters without a space takes 2 s and 160 KB takes 43 s — so one
 * hostile prompt could stall the event loop. Natural text, code, JSON and base64 never hit this and are counted
 * exactly; a sliced run may count a few tokens more than the API would (merges cannot cross a slice), which is
 * the safe side for a budget reservation.
 */
export const MAX_RUN_CHARS = 512;
const RUN_CHUNK_CHARS = 256;

/**
 * Segments up to this length are memoised (they are mostly single words with their leading space, which recur
 * across all traffic), so warm counting is a Map lookup per word instead of a WASM call. The memo is bounded and
 * simply cleared when full.
 */
const SHORT_SEGMENT_CHARS = 48;
const MAX_MEMO_ENTRIES = 65_536;
/** Misses encoded one by one (and so learned) per call; further misses are encoded in batches. */
const LEARN_PER_CALL = 16;
/** Segments looked up before deciding whether the memo helps this text (needs ≥ 1/3 hits to go on). */
const PROBE_SEGMENTS = 64;
/** Consecutive memo hits that end a pending batch of misses. */
const HIT_STREAK = 4;

const memos = new Map<EncodingName, Map<string, number>>();

function encodeLen(enc: Encoder, text: string): number {
  return text.length === 0 ? 0 : enc.count(text);
}

function slicedLen(enc: Encoder, text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; ) {
    let j = Math.min(to, i + RUN_CHUNK_CHARS);
    const c = text.charCodeAt(j);
    if (j < to && c >= 0xdc00 && c <= 0xdfff) j++; // keep surrogate pairs whole
    n += encodeLen(enc, text.slice(i, j));
    i = j;
  }
  return n;
}

/**
 * Token count of plain text. Special-token strings such as `<|endoftext|>` in user text are counted as ordinary
 * text (as the API treats them), never as control tokens and never as an error. Exact (the text is cut only at
 * safe boundaries, where the tokenizer splits anyway) unless a segment exceeds MAX_RUN_CHARS (see above).
 * `oneOff`: see below.
 */
export function countTextTokens(text: string, encoding: EncodingName, opts?: { oneOff?: boolean }): number {
  if (text.length === 0) return 0;
  const enc = getEncoder(encoding);
  let memo = memos.get(encoding);
  if (!memo) {
    memo = new Map();
    memos.set(encoding, memo);
  }
  const m = memo;
  // `oneOff`: text that will not come again (a stream's uncommitted tail, new at every chunk) is never memoised
  // whole, which would be a WASM call and a dead memo entry per chunk; its words still are.
  if (text.length <= SHORT_SEGMENT_CHARS && !opts?.oneOff) return memoLen(enc, m, text);

  // Memo hits end a pending batch of misses only after HIT_STREAK consecutive hits: splitting a batch costs a
  // WASM call, which is worth more than re-encoding a word or two that happens to be known.
  let n = 0;
  let learn = LEARN_PER_CALL;
  let pendStart = -1;
  let pendEnd = -1;
  let streakStart = -1;
  let streakTokens = 0;
  let streak = 0;
  const flush = () => {
    if (pendStart < 0) return;
    n += streak > 0 ? encodeLen(enc, text.slice(pendStart, streakStart)) + streakTokens : encodeLen(enc, text.slice(pendStart, pendEnd));
    pendStart = -1;
    streak = 0;
    streakTokens = 0;
  };
  let seen = 0;
  let hits = 0;
  let rest = -1;
  forEachSegment(text, (a, b) => {
    // Text the memo barely knows (random identifiers, hashes): stop looking words up and encode the rest at once.
    if (++seen === PROBE_SEGMENTS && hits * 3 < seen) {
      rest = a;
      return false;
    }
    const len = b - a;
    if (len <= SHORT_SEGMENT_CHARS) {
      const seg = text.slice(a, b);
      const hit = m.get(seg);
      if (hit !== undefined) {
        hits++;
        if (pendStart < 0) {
          n += hit;
          return;
        }
        if (streak === 0) streakStart = a;
        streak++;
        streakTokens += hit;
        pendEnd = b;
        if (streak >= HIT_STREAK) flush();
        return;
      }
      if (learn > 0 && pendStart < 0) {
        learn--;
        n += memoLen(enc, m, seg);
        return;
      }
    } else if (len > MAX_RUN_CHARS) {
      flush();
      n += slicedLen(enc, text, a, b);
      return;
    }
    // Contiguous misses are encoded together: still exact, since every cut between them is a safe boundary.
    if (pendStart < 0) pendStart = a;
    streak = 0;
    streakTokens = 0;
    pendEnd = b;
  });
  if (rest >= 0) {
    // `rest` is a segment start, so a safe boundary: a pending batch ending there and the rest are exact apart.
    if (pendStart >= 0) pendEnd = rest;
    flush();
    return n + countRest(enc, text, rest);
  }
  flush();
  return n;
}

/** The tail of a text from a safe boundary, still slicing over-long runs. */
function countRest(enc: Encoder, text: string, from: number): number {
  let n = 0;
  let start = from;
  forEachSegment(text.slice(from), (a, b) => {
    if (b - a > MAX_RUN_CHARS) {
      n += encodeLen(enc, text.slice(start, from + a)) + slicedLen(enc, text, from + a, from + b);
      start = from + b;
    }
  });
  return n + encodeLen(enc, text.slice(start));
}

function memoLen(enc: Encoder, memo: Map<string, number>, seg: string): number {
  const hit = memo.get(seg);
  if (hit !== undefined) return hit;
  const n = encodeLen(enc, seg);
  if (memo.size >= MAX_MEMO_ENTRIES) memo.clear();
  memo.set(seg, n);
  return n;
}
