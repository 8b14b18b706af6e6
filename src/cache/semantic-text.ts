/**
 * How the semantic cache cuts a prompt into the pieces it embeds.
 *
 * Why not embed the prompt whole: embedders truncate their input (all-MiniLM-L6-v2 at 512 tokens, Universal
 * Sentence Encoder lite served as a provider after ~128), so a 1,000-word document followed by "Summarize…" and
 * by "Translate…" embeds to the same vector (a hit at 1.0000), and mean pooling dilutes an instruction placed
 * before the document (0.97). So every sentence (and every line, and the part before a colon, where
 * instructions usually end) is its own segment, cut further so that each fits the embedder's window; two prompts
 * match only with as many segments, each similar to its counterpart (the lowest similarity counts). The
 * instruction then weighs as much as the document, and no text goes unseen. A prompt of more than
 * MAX_SEGMENTS segments gets no semantic lookup at all (exact layer only): such long documents are rarely
 * paraphrased, and embedding all of them would cost more than the cache saves.
 */

/** Longest prompt (in segments) the semantic layer looks up; longer ones are matched exactly only. */
export const MAX_SEGMENTS = 16;

/** Window assumed for an embedder that does not say (the shortest of the common sentence encoders). */
export const DEFAULT_MAX_INPUT_TOKENS = 128;

let sentences: Intl.Segmenter | undefined;
/**
 * ICU's sentence segmenter, made on first use: making it costs ~20 ms, which a gateway that embeds nothing never
 * pays, and one that does pays while its embedder loads (semantic.ts), not in a request.
 */
export function sentenceSegmenter(): Intl.Segmenter {
  return (sentences ??= new Intl.Segmenter('en', { granularity: 'sentence' }));
}
const encoder = new TextEncoder();

/**
 * UTF-8 bytes a segment may have so that the embedder sees all of it: every tokenizer in use (WordPiece,
 * SentencePiece, byte-level BPE) makes at most one token per byte, plus its special tokens (a margin of 8).
 */
export function segmentBudget(maxInputTokens: number | undefined): number {
  return Math.max(16, (maxInputTokens ?? DEFAULT_MAX_INPUT_TOKENS) - 8);
}

/**
 * The segments of `text` in order (trimmed, none empty), each at most `maxBytes` UTF-8 bytes; undefined when
 * there are more than MAX_SEGMENTS (no semantic lookup for this prompt).
 */
export function segmentText(text: string, maxBytes: number): string[] | undefined {
  const out: string[] = [];
  for (const { segment } of sentenceSegmenter().segment(text)) {
    // Lines and "instruction: material" are apart even without a sentence end between them.
    for (const part of segment.split(/\n|(?<=:)\s+/)) {
      const trimmed = part.trim();
      if (!trimmed) continue;
      for (const piece of cutToBytes(trimmed, maxBytes)) {
        out.push(piece);
        if (out.length > MAX_SEGMENTS) return undefined;
      }
    }
  }
  return out;
}

/** Splits at spaces where possible (else inside a word, never inside a code point) into pieces of ≤ maxBytes. */
function cutToBytes(text: string, maxBytes: number): string[] {
  if (encoder.encode(text).length <= maxBytes) return [text];
  const pieces: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const word of text.split(/\s+/)) {
    for (const chunk of cutWord(word, maxBytes)) {
      const bytes = encoder.encode(chunk).length;
      if (current && currentBytes + 1 + bytes > maxBytes) {
        pieces.push(current);
        current = '';
        currentBytes = 0;
      }
      current = current ? `${current} ${chunk}` : chunk;
      currentBytes += (currentBytes ? 1 : 0) + bytes;
    }
  }
  if (current) pieces.push(current);
  return pieces;
}

function cutWord(word: string, maxBytes: number): string[] {
  if (encoder.encode(word).length <= maxBytes) return [word];
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of word) {
    const b = encoder.encode(ch).length;
    if (bytes + b > maxBytes) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += b;
  }
  if (current) out.push(current);
  return out;
}
