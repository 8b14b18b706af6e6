/**
 * Cross-validation for the injection classifier: seeded stratified folds, precision/recall/F1/AUC, and
 * threshold selection on out-of-fold scores. Everything here is deterministic for a given seed.
 */
import { createDetectorFromModel } from './detector.js';
import { featurize, trainModel, type FeatureMatrix, type LabelledText, type TrainOptions } from './train.js';
import { seededRandom } from '../../src/util/seeded-random.js';


/** Fold number per row, each class spread evenly over k folds in a seeded random order. */
export function stratifiedFolds(labels: readonly number[], k: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  const fold = new Array<number>(labels.length).fill(0);
  for (const cls of [0, 1]) {
    const members = labels.map((l, i) => [l, i] as const).filter(([l]) => l === cls).map(([, i]) => i);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    members.forEach((row, pos) => (fold[row] = pos % k));
  }
  return fold;
}

export interface Metrics {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  falsePositiveRate: number;
}

export function metricsAt(scores: readonly number[], labels: readonly number[], threshold: number): Metrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  scores.forEach((s, i) => {
    const pred = s >= threshold;
    if (pred && labels[i] === 1) tp++;
    else if (pred) fp++;
    else if (labels[i] === 1) fn++;
    else tn++;
  });
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, accuracy: (tp + tn) / scores.length, falsePositiveRate: fp / Math.max(1, fp + tn) };
}

/** Area under the ROC curve (Mann-Whitney, ties count half). */
export function auc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((s, i) => [s, labels[i]] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j][0] === order[i][0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (order[k][1] === 1) (rankSumPos += avgRank, nPos++);
    i = j;
  }
  const nNeg = order.length - nPos;
  return nPos && nNeg ? (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg) : 0.5;
}

/** Threshold maximising F1 over the given scores (ties → the higher threshold, fewer false positives). */
export function bestF1Threshold(scores: readonly number[], labels: readonly number[]): number {
  const candidates = [...new Set(scores)].sort((a, b) => a - b);
  let best = 0.5;
  let bestF1 = -1;
  for (let i = 0; i < candidates.length; i++) {
    // Midpoint between neighbouring scores generalises better than sitting exactly on a training score.
    const t = i === 0 ? candidates[0] : (candidates[i - 1] + candidates[i]) / 2;
    const f = metricsAt(scores, labels, t).f1;
    if (f >= bestF1) (bestF1 = f, best = t);
  }
  return best;
}

/** Out-of-fold scores of k-fold CV, each row scored by the real detector trained without its fold. */
export function outOfFoldScores(
  data: readonly LabelledText[],
  m: FeatureMatrix,
  opts: TrainOptions,
  k: number,
  seed: number,
  rowsInScope?: readonly number[],
): number[] {
  const scope = rowsInScope ?? data.map((_, i) => i);
  const folds = stratifiedFolds(scope.map((i) => data[i].label), k, seed);
  const scores = new Array<number>(scope.length).fill(0);
  for (let f = 0; f < k; f++) {
    const train = scope.filter((_, p) => folds[p] !== f);
    const det = createDetectorFromModel(trainModel(m, opts, train));
    scope.forEach((row, p) => {
      if (folds[p] === f) scores[p] = det.score(data[row].text).score;
    });
  }
  return scores;
}

export { featurize };
