/**
 * Prompt-injection detector: a hashed logistic-regression text classifier (word 1–2-grams + char 3–5-grams)
 * combined with structural signals and topic-free concept features, trained by `npx tsx guards/injection/train.ts` and shipped as `model.json`.
 *
 * Usage: `const det = createInjectionDetector(); det.score(text).score >= DEFAULT_INJECTION_THRESHOLD`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDetectorFromModel, type InjectionDetector, type InjectionScore } from './detector.js';
import { decodeModel } from './model-format.js';

export type { InjectionDetector, InjectionScore };

/**
 * Threshold chosen by validation by source: the lowest at which the pooled out-of-source false-positive rate is
 * ≤ 5 % (docs/guards.md). A test keeps it equal to the shipped model's `threshold`.
 */
export const DEFAULT_INJECTION_THRESHOLD = 0.68;

// From the sources the model sits next to this file; from a tsc build (dist/guards/injection/) the JSON is
// not copied, so fall back to the source tree.
const DEFAULT_MODEL_CANDIDATES = [
  new URL('./model.json', import.meta.url),
  new URL('../../../guards/injection/model.json', import.meta.url),
];

/** Path of the model file shipped in the repository. */
export function defaultInjectionModelPath(): string {
  for (const u of DEFAULT_MODEL_CANDIDATES) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  return fileURLToPath(DEFAULT_MODEL_CANDIDATES[0]);
}

/**
 * Loads the model synchronously (once, at start-up) and returns a detector.
 * Throws an Error naming the file when it is missing or not a valid model.
 */
export function createInjectionDetector(opts: { modelPath?: string } = {}): InjectionDetector {
  const path = opts.modelPath ?? defaultInjectionModelPath();
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`injection model: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return createDetectorFromModel(decodeModel(doc));
  } catch (err) {
    throw new Error(`${(err as Error).message} (${path})`);
  }
}
