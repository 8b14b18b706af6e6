/**
 * Which tiktoken encoding a model uses, and one shared encoder per encoding.
 *
 * tiktoken's encoders are WASM objects that take ~100–300 ms to build and hold a few MB: each is created once,
 * lazily on first use, and kept for the life of the process. They are never freed (freeing one on the hot path
 * would force a rebuild on the next request).
 */
import { get_encoding, type Tiktoken } from 'tiktoken';

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

const encoders = new Map<EncodingName, Tiktoken>();

/** The process-wide encoder for `name`, created on first call. Callers must never `free()` it. */
export function getEncoder(name: EncodingName): Tiktoken {
  let enc = encoders.get(name);
  if (!enc) {
    enc = get_encoding(name);
    encoders.set(name, enc);
  }
  return enc;
}

/**
 * Runs longer than this, inside which the pre-tokenizer cannot split (letters, punctuation, whitespace), are
 * counted in `RUN_CHUNK_CHARS` slices. Why: tiktoken's BPE is quadratic in the length of one pre-token piece —
 * measured here, 40 KB of letters without a space takes 2 s and 160 KB takes 43 s — so one hostile prompt
 * could stall the event loop. Text without such runs (all natural text, code, JSON, base64) is counted exactly;
 * a sliced run may count a few tokens more than the API would (merges cannot cross a slice), never fewer in
 * practice, which is the safe side for a budget reservation.
 */
export const MAX_RUN_CHARS = 512;
const RUN_CHUNK_CHARS = 256;

const RE_LETTER = /[\p{L}\p{M}]/u;
const RE_SPACE = /\s/u;
const RE_NUMBER = /\p{N}/u;

/** 0 = breaks runs (numbers), 1 = letter/mark, 2 = punctuation/symbol, 3 = whitespace. */
function runClass(c: number, s: string, i: number): number {
  if (c < 128) {
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return 1;
    if (c >= 48 && c <= 57) return 0;
    if (c === 32 || (c >= 9 && c <= 13)) return 3;
    return 2;
  }
  if (c >= 0xdc00 && c <= 0xdfff) return -1; // low surrogate: same class as its high half
  const ch = String.fromCodePoint(s.codePointAt(i)!);
  if (RE_LETTER.test(ch)) return 1;
  if (RE_SPACE.test(ch)) return 3;
  if (RE_NUMBER.test(ch)) return 0;
  return 2;
}

/** Start/end index pairs of runs longer than MAX_RUN_CHARS; empty for ordinary text. One pass, O(n). */
function longRuns(s: string): number[] {
  const out: number[] = [];
  let cls = 0;
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    const k = i < s.length ? runClass(s.charCodeAt(i), s, i) : 0;
    if (k === -1) continue;
    if (k !== cls) {
      if (cls !== 0 && i - start > MAX_RUN_CHARS) out.push(start, i);
      cls = k;
      start = i;
    }
  }
  return out;
}

function encodeLen(enc: Tiktoken, text: string): number {
  return text.length === 0 ? 0 : enc.encode_ordinary(text).length;
}

/**
 * Token count of plain text. Special-token strings such as `<|endoftext|>` in user text are counted as ordinary
 * text (as the API treats them), never as control tokens and never as an error. Exact unless the text holds a
 * run longer than MAX_RUN_CHARS (see above).
 */
export function countTextTokens(text: string, encoding: EncodingName): number {
  if (text.length === 0) return 0;
  const enc = getEncoder(encoding);
  const runs = text.length > MAX_RUN_CHARS ? longRuns(text) : [];
  if (runs.length === 0) return encodeLen(enc, text);
  let n = 0;
  let pos = 0;
  for (let r = 0; r < runs.length; r += 2) {
    n += encodeLen(enc, text.slice(pos, runs[r]));
    for (let i = runs[r]; i < runs[r + 1]; ) {
      let j = Math.min(runs[r + 1], i + RUN_CHUNK_CHARS);
      const c = text.charCodeAt(j);
      if (j < runs[r + 1] && c >= 0xdc00 && c <= 0xdfff) j++; // keep surrogate pairs whole
      n += encodeLen(enc, text.slice(i, j));
      i = j;
    }
    pos = runs[r + 1];
  }
  return n + encodeLen(enc, text.slice(pos));
}
