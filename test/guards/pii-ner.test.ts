import { describe, expect, it } from 'vitest';
import { mergeNerTokens, type NerToken } from '../../guards/pii/ner-spans.js';
import { createNerRecognizer, windows } from '../../guards/pii/ner.js';

// Token lists shaped exactly as transformers.js token-classification returns them (no offsets, decoded pieces).
const tok = (index: number, word: string, entity: string, score = 0.99): NerToken => ({ index, word, entity, score });
const spans = (text: string, tokens: NerToken[], minScore?: number) =>
  mergeNerTokens(text, tokens, undefined, minScore).map((f) => [f.category, text.slice(f.start, f.end)]);

describe('NER span merging', () => {
  it('joins WordPiece subwords and multi-token names into one whole-word span', () => {
    const text = 'Yesterday Johanna Lindqvist met Bob.';
    const tokens = [tok(2, 'Jo', 'B-PER'), tok(3, '##hanna', 'I-PER'), tok(4, 'Lind', 'I-PER'), tok(5, '##qvist', 'I-PER'), tok(7, 'Bob', 'B-PER')];
    expect(spans(text, tokens)).toEqual([
      ['person', 'Johanna Lindqvist'],
      ['person', 'Bob'],
    ]);
  });

  it('starts a new entity on B- and skips labels it does not map (LOC, ORG)', () => {
    const text = 'Anna Bob Paris';
    const tokens = [tok(1, 'Anna', 'B-PER'), tok(2, 'Bob', 'B-PER'), tok(3, 'Paris', 'B-LOC')];
    expect(spans(text, tokens)).toEqual([
      ['person', 'Anna'],
      ['person', 'Bob'],
    ]);
  });

  it('widens a partial token to the whole word so no fragment of a name survives', () => {
    const text = 'Ask Maximilian today';
    expect(spans(text, [tok(2, 'Max', 'B-PER')])).toEqual([['person', 'Maximilian']]);
  });

  it('maps address labels, joins pieces across commas, and drops low-confidence spans', () => {
    const text = 'Ship to 221B Baker Street, London please';
    const tokens = [tok(3, '221', 'B-STREET_ADDRESS'), tok(4, '##B', 'I-STREET_ADDRESS'), tok(5, 'Baker', 'I-STREET_ADDRESS'), tok(6, 'Street', 'I-STREET_ADDRESS'), tok(8, 'London', 'I-STREET_ADDRESS', 0.3)];
    expect(spans(text, tokens, 0.5)).toEqual([['street_address', '221B Baker Street, London']]);
    expect(spans(text, tokens.map((t) => ({ ...t, score: 0.2 })), 0.5)).toEqual([]);
  });

  it('aligns repeated words to the right occurrence (BPE-style pieces too)', () => {
    const text = 'an Ann and Annie';
    const tokens = [tok(2, 'ĠAnn', 'B-PER'), tok(4, 'ĠAnnie', 'B-PER')];
    expect(spans(text, tokens)).toEqual([
      ['person', 'Ann'],
      ['person', 'Annie'],
    ]);
  });
});

describe('NER recognizer', () => {
  it('splits long texts into windows at whitespace that cover the text exactly', () => {
    const text = 'word '.repeat(1000);
    const w = windows(text, 300);
    expect(w.map((x) => x.text).join('')).toBe(text);
    expect(Math.max(...w.map((x) => x.text.length))).toBeLessThanOrEqual(300);
    for (const x of w) expect(text.slice(x.offset, x.offset + x.text.length)).toBe(x.text);
  });

  it('loads only from the configured path: a missing model rejects instead of downloading', async () => {
    const ner = createNerRecognizer({ modelPath: '/nonexistent/ner-model' });
    await expect(ner.detect('Hello Maria')).rejects.toThrow(/local|not found|nonexistent/i);
    expect(await ner.detect('   ')).toEqual([]);
  });
});
