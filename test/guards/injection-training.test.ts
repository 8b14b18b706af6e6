import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDetectorFromModel } from '../../guards/injection/detector.js';
import { auc, metricsAt, stratifiedFolds } from '../../guards/injection/evaluate.js';
import { decodeModel, encodeModel } from '../../guards/injection/model-format.js';
import { featurize, trainModel, type LabelledText } from '../../guards/injection/train.js';
import { defaultInjectionModelPath } from '../../guards/injection/index.js';
import { fromShared } from '../../src/paths.js';

const DATA = fromShared('datasets/prompt-injection/train.jsonl');
const rows = readFileSync(DATA, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as LabelledText);

describe('injection training', () => {
  it('is deterministic: the same rows give byte-identical model files', () => {
    const subset = rows.filter((_, i) => i % 4 === 0);
    const a = JSON.stringify(encodeModel(trainModel(featurize(subset, 16), { iterations: 150 })));
    const b = JSON.stringify(encodeModel(trainModel(featurize(subset, 16), { iterations: 150 })));
    expect(a).toBe(b);
    const other = rows.filter((_, i) => i % 4 === 1);
    const c = JSON.stringify(encodeModel(trainModel(featurize(other, 16), { iterations: 150 })));
    expect(c).not.toBe(a);
  });

  it('generalises to a held-out stratified fold', () => {
    const labels = rows.map((r) => r.label);
    const folds = stratifiedFolds(labels, 5, 7);
    const m = featurize(rows, 16);
    const train = rows.map((_, i) => i).filter((i) => folds[i] !== 0);
    const test = rows.map((_, i) => i).filter((i) => folds[i] === 0);
    expect(test.filter((i) => labels[i] === 1).length).toBeGreaterThan(30);
    const model = trainModel(m, { iterations: 300 }, train);
    const det = createDetectorFromModel(model);
    const scores = test.map((i) => det.score(rows[i].text).score);
    const testLabels = test.map((i) => labels[i]);
    expect(auc(scores, testLabels)).toBeGreaterThan(0.93);
    expect(metricsAt(scores, testLabels, 0.5).f1).toBeGreaterThan(0.8);
  });

  it('round-trips the shipped model file without losing weights', () => {
    const doc = JSON.parse(readFileSync(defaultInjectionModelPath(), 'utf8'));
    const a = decodeModel(doc);
    const again = encodeModel(a);
    expect(again.buckets.count).toBe(doc.buckets.count);
    const b = decodeModel(again);
    expect(b.bias).toBe(a.bias);
    let maxDiff = 0;
    for (let i = 0; i < a.weights.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.weights[i] - b.weights[i]));
    expect(maxDiff).toBeLessThanOrEqual(doc.buckets.scale);
  });

  it('stratified folds keep each class spread evenly', () => {
    const labels = rows.map((r) => r.label);
    const folds = stratifiedFolds(labels, 5, 1);
    for (let f = 0; f < 5; f++) {
      const pos = labels.filter((l, i) => l === 1 && folds[i] === f).length;
      expect(Math.abs(pos - 203 / 5)).toBeLessThanOrEqual(1);
    }
    expect(stratifiedFolds(labels, 5, 1)).toEqual(folds);
  });
});
