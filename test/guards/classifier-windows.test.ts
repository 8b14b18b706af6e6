/**
 * The classifier's windows against a fake transformers.js pipeline (no model): a long text is read window by
 * window, and a caller whose deadline has passed stops it between windows (docs/guards.md, "Classifier").
 */
import { describe, expect, it, vi } from 'vitest';

const calls: string[][] = [];
let onCall: (() => void) | undefined;

vi.mock('@huggingface/transformers', () => ({
  pipeline: async () => {
    // Words are tokens: ids are word positions in a growing vocabulary; 12 tokens per window at most.
    const vocab: string[] = [];
    const tokenizer = {
      model_max_length: 12,
      encode: (text: string) => text.split(/\s+/).filter(Boolean).map((w) => (vocab.includes(w) ? vocab.indexOf(w) : vocab.push(w) - 1)),
      decode: (ids: number[]) => ids.map((i) => vocab[i]).join(' '),
    };
    const pipe = async (texts: string[]) => {
      calls.push(texts);
      onCall?.();
      return texts.map((t) => [
        { label: 'INJECTION', score: t.includes('attack') ? 0.9 : 0.1 },
        { label: 'SAFE', score: t.includes('attack') ? 0.1 : 0.9 },
      ]);
    };
    return Object.assign(pipe, { model: { config: { id2label: { 0: 'SAFE', 1: 'INJECTION' }, max_position_embeddings: 512 } }, tokenizer });
  },
}));

const { createTextClassifier } = await import('../../guards/classifier/index.js');

// 100 distinct words: many windows of 10 tokens (12 minus the special tokens).
const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');

describe('classifier windows', () => {
  it('reads a long text window by window, to its end', async () => {
    calls.length = 0;
    onCall = undefined;
    const c = createTextClassifier({ modelPath: '(fake)' });
    const v = await c.classify([`${long} attack`], ['INJECTION']);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.every((batch) => batch.length === 1)).toBe(true);
    expect(v).toEqual({ score: 0.9, label: 'INJECTION' });
  });

  it('stops between windows once the deadline has passed: the window running finishes, no other starts', async () => {
    calls.length = 0;
    const ctl = new AbortController();
    onCall = () => ctl.abort(); // the deadline passes during the first window
    const c = createTextClassifier({ modelPath: '(fake)' });
    const v = await c.classify([`${long} attack`], ['INJECTION'], ctl.signal);
    expect(calls).toHaveLength(1);
    expect(v.score).toBe(0.1);
  });
});
