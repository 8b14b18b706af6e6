/**
 * Writes a tiny NLI cross-encoder (`logits` over contradiction / entailment / neutral) that transformers.js loads
 * from a local path, so the semantic cache's optional NLI verifier is tested through the real loading and
 * inference code without a download. Its "judgement" is a rule, not learning: a pair containing "not" or "no" is
 * a contradiction, anything else an entailment. Layout: tiny-sequence-classifier.ts.
 *
 * Usage: `npx tsx scripts/make-tiny-nli-model.ts [dir]` (default `test/.tmp/models/tiny/nli`).
 */
import { writeTinySequenceClassifier } from './tiny-sequence-classifier.js';

export const NLI_LABELS = ['contradiction', 'entailment', 'neutral'] as const;

/** Writes the model under `dir` unless it is there; returns `dir` (the path to configure). */
export function makeTinyNliModel(dir = 'test/.tmp/models/tiny/nli'): string {
  return writeTinySequenceClassifier(dir, {
    name: 'nli',
    labels: NLI_LABELS,
    table(vocab, size) {
      const table = new Float32Array(size * 3);
      for (let i = 0; i < size; i++) table[i * 3 + 1] = 1; // entailment
      for (const w of ['not', 'no']) if (vocab[w] !== undefined) table.set([40, 0, 0], vocab[w]! * 3);
      return table;
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`tiny NLI model written to ${makeTinyNliModel(process.argv[2])}`);
