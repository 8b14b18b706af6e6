/**
 * Prompt-injection detector: a hashed logistic-regression text classifier (word 1–2-grams + char 3–5-grams)
 * combined with structural signals and topic-free concept features, trained by `npx tsx guards/injection/train.ts` and shipped as `model.json`.
 *
 * Usage: `const det = createInjectionDetector(); det.score(text).score >= DEFAULT_INJECTION_THRESHOLD`.
 */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../../src/paths.js';
import { createDetectorFromModel, type InjectionDetector, type InjectionScore } from './detector.js';
import { decodeModel } from './model-format.js';

export type { InjectionDetector, InjectionScore };

/**
 * Threshold chosen by validation by source: the lowest at which the pooled out-of-source false-positive rate is
 * ≤ 5 % (docs/guards.md). A test keeps it equal to the shipped model's `threshold`.
 */
export const DEFAULT_INJECTION_THRESHOLD = 0.68;

/**
 * Path of the model file shipped in the repository, from the package root: tsc does not copy it to dist/, and
 * the bundle `npm start` runs (src/launch.ts) sits elsewhere than this module (the Docker image copies it there).
 */
export function defaultInjectionModelPath(): string {
  return fromRoot('guards', 'injection', 'model.json');
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
