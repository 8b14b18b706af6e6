// Turns the per-token output of a transformers.js token-classification pipeline into character spans. The pipeline
// reports no offsets (only the decoded token text), so tokens are aligned to the text left to right.
import type { PiiCategory, PiiFinding } from './types.js';

/** One token as the `token-classification` pipeline returns it with aggregation_strategy 'none'. */
export interface NerToken {
  entity: string;
  score: number;
  index: number;
  word: string;
}

/** Entity tags (without the B-/I- prefix, upper-cased) → category. Covers CoNLL, OntoNotes and PII-tuned models. */
export const DEFAULT_NER_LABELS: Readonly<Record<string, PiiCategory>> = {
  PER: 'person', PERSON: 'person', NAME: 'person', FIRSTNAME: 'person', LASTNAME: 'person', GIVENNAME: 'person',
  SURNAME: 'person', MIDDLENAME: 'person', FULLNAME: 'person', USERNAME: 'person',
  STREET: 'street_address', STREET_ADDRESS: 'street_address', STREETADDRESS: 'street_address', ADDRESS: 'street_address',
  BUILDINGNUMBER: 'street_address', BUILDING_NUMBER: 'street_address', SECONDARYADDRESS: 'street_address',
  ZIPCODE: 'street_address', POSTCODE: 'street_address',
};

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

interface Open {
  category: PiiCategory;
  start: number;
  end: number;
  scores: number[];
}

/**
 * Merges classified tokens into findings: subword pieces (`##son`, or a piece glued to the previous one) join their
 * word; consecutive I- tokens of one type separated only by spaces/punctuation join one entity; spans are widened to
 * whole words so no fragment of a name survives; spans whose mean score is below `minScore` are dropped.
 */
export function mergeNerTokens(
  text: string,
  tokens: readonly NerToken[],
  labels: Readonly<Record<string, PiiCategory>> = DEFAULT_NER_LABELS,
  minScore = 0.5,
): PiiFinding[] {
  const lower = text.toLowerCase();
  const out: PiiFinding[] = [];
  let cursor = 0;
  let open: Open | null = null;
  const close = () => {
    if (!open) return;
    const mean = open.scores.reduce((a, b) => a + b, 0) / open.scores.length;
    if (mean >= minScore) {
      let { start, end } = open;
      while (start > 0 && isWordChar(text[start - 1])) start--;
      while (end < text.length && isWordChar(text[end])) end++;
      const prev = out[out.length - 1];
      if (prev && start < prev.end) prev.end = Math.max(prev.end, end);
      else out.push({ category: open.category, start, end });
    }
    open = null;
  };

  for (const tok of [...tokens].sort((a, b) => a.index - b.index)) {
    const subword = tok.word.startsWith('##');
    const piece = tok.word.replace(/^(?:##|Ġ|▁|\s)+/, '').trim().toLowerCase();
    if (!piece) continue;
    let pos = lower.indexOf(piece, cursor);
    // A whole-word token must start at a word boundary; a subword must continue right where the last token ended.
    while (pos >= 0 && !subword && isWordChar(lower[pos - 1]) && pos !== cursor) pos = lower.indexOf(piece, pos + 1);
    if (pos < 0 || (subword && pos !== cursor)) continue;
    const start = pos;
    const end = pos + piece.length;
    cursor = end;

    const prefix = /^[BIES]-/.test(tok.entity) ? tok.entity[0] : 'I';
    const category = labels[tok.entity.replace(/^[BIES]-/, '').toUpperCase()];
    if (!category) {
      close();
      continue;
    }
    const gap = open ? text.slice(open.end, start) : '';
    const glued = open !== null && start === open.end;
    const continues =
      open !== null &&
      open.category === category &&
      (subword || glued || (prefix !== 'B' && prefix !== 'S' && /^[\s,.'\-]{0,3}$/.test(gap)));
    if (continues && open) {
      open.end = end;
      open.scores.push(tok.score);
    } else {
      close();
      open = { category, start, end, scores: [tok.score] };
    }
  }
  close();
  return out;
}
