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
 * Token count of plain text. Special-token strings such as `<|endoftext|>` in user text are counted as ordinary
 * text (as the API treats them), never as control tokens and never as an error.
 */
export function countTextTokens(text: string, encoding: EncodingName): number {
  if (text.length === 0) return 0;
  return getEncoder(encoding).encode_ordinary(text).length;
}
