/**
 * Writes a tiny text classifier (`logits` over SAFE / INJECTION, the labels of the public prompt-injection DeBERTa
 * models) that transformers.js loads from a local path, so the `classifier` guard is tested through the real
 * loading and inference code without a download. Its "judgement" is a rule, not learning: the more of its trigger
 * words ("ignore", "previous", "instructions", "jailbreak", "pretend") a text has, the higher its INJECTION
 * probability (one trigger word in a short sentence already wins). Layout: tiny-sequence-classifier.ts.
 *
 * Usage: `npx tsx scripts/make-tiny-classifier-model.ts [dir]` (default `test/.tmp/models/tiny/classifier`).
 */
import { writeTinySequenceClassifier } from './tiny-sequence-classifier.js';

const CLASSIFIER_LABELS = ['SAFE', 'INJECTION'] as const;
const TRIGGER_WORDS = ['ignore', 'previous', 'instructions', 'jailbreak', 'pretend'] as const;

/** Writes the model under `dir` unless it is there; returns `dir` (the path to configure). */
export function makeTinyClassifierModel(dir = 'test/.tmp/models/tiny/classifier'): string {
  return writeTinySequenceClassifier(dir, {
    name: 'classifier',
    labels: CLASSIFIER_LABELS,
    extraWords: TRIGGER_WORDS,
    table(vocab, size) {
      const table = new Float32Array(size * 2);
      for (let i = 0; i < size; i++) table[i * 2] = 1; // SAFE
      for (const w of TRIGGER_WORDS) table.set([0, 30], vocab[w]! * 2);
      return table;
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`tiny classifier model written to ${makeTinyClassifierModel(process.argv[2])}`);
