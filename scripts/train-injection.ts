/**
 * Trains the prompt-injection classifier and writes guards/injection/model.json.
 *
 *   npx tsx scripts/train-injection.ts [--data <train.jsonl>] [--out <model.json>] [--check]
 *
 * Steps (all deterministic: fixed fold seeds, no randomness in the optimiser):
 *  1. repeated stratified 5-fold CV (seeds 1 and 2) for each L2 strength in the grid; keep the best mean AUC
 *     (ties within 0.001 → the stronger regularisation);
 *  2. default threshold = the F1-maximising threshold on the pooled out-of-fold scores, rounded to 0.01;
 *  3. train on all rows and write the model with the CV figures in its `meta`;
 *  4. print the markdown report used in docs/guards.md.
 * `--check` trains again and fails unless the result is byte-identical to the existing model file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auc, bestF1Threshold, metricsAt, outOfFoldScores, stratifiedFolds } from '../guards/injection/evaluate.js';
import { encodeModel } from '../guards/injection/model-format.js';
import { detectSignals, SIGNALS } from '../guards/injection/signals.js';
import { normalizeText } from '../guards/injection/features.js';
import { DEFAULT_TRAIN_OPTIONS, featurize, trainModel, type LabelledText } from '../guards/injection/train.js';
import { fromShared } from '../src/paths.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const dataPath = arg('--data') ?? fromShared('datasets/prompt-injection/train.jsonl');
const outPath = arg('--out') ?? resolve(repo, 'guards/injection/model.json');
const check = process.argv.includes('--check');

const LAMBDAS = [1e-4, 3e-4, 1e-3];
const SEEDS = [1, 2];
const K = 5;

const rawData = readFileSync(dataPath, 'utf8');
const data: LabelledText[] = rawData
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as LabelledText);
const labels = data.map((d) => d.label);
const m = featurize(data, DEFAULT_TRAIN_OPTIONS.hashBits);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface CvResult {
  lambda: number;
  pooled: number[];
  pooledLabels: number[];
  perFold: { scores: number[]; labels: number[] }[];
  meanAuc: number;
}

const results: CvResult[] = LAMBDAS.map((lambda) => {
  const pooled: number[] = [];
  const pooledLabels: number[] = [];
  const perFold: CvResult['perFold'] = [];
  for (const seed of SEEDS) {
    const scores = outOfFoldScores(data, m, { lambda }, K, seed);
    const folds = stratifiedFolds(labels, K, seed);
    for (let f = 0; f < K; f++) {
      const idx = folds.map((ff, i) => (ff === f ? i : -1)).filter((i) => i >= 0);
      perFold.push({ scores: idx.map((i) => scores[i]), labels: idx.map((i) => labels[i]) });
    }
    pooled.push(...scores);
    pooledLabels.push(...labels);
  }
  const meanAuc = perFold.reduce((a, f) => a + auc(f.scores, f.labels), 0) / perFold.length;
  log(`lambda=${lambda} mean fold AUC=${meanAuc.toFixed(4)}`);
  return { lambda, pooled, pooledLabels, perFold, meanAuc };
});

const bestAuc = Math.max(...results.map((r) => r.meanAuc));
const chosen = [...results].reverse().find((r) => r.meanAuc >= bestAuc - 0.001)!;
const threshold = Math.round(bestF1Threshold(chosen.pooled, chosen.pooledLabels) * 100) / 100;

const meanSd = (xs: number[]): { mean: number; sd: number } => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
};
const foldMetrics = chosen.perFold.map((f) => ({ ...metricsAt(f.scores, f.labels, threshold), auc: auc(f.scores, f.labels) }));
const summary = Object.fromEntries(
  (['precision', 'recall', 'f1', 'auc', 'falsePositiveRate'] as const).map((k) => {
    const { mean, sd } = meanSd(foldMetrics.map((f) => f[k]));
    return [k, { mean: +mean.toFixed(4), sd: +sd.toFixed(4) }];
  }),
);

// Baseline for comparison: a keyword list (any data-covered structural signal fires → injection).
const keywordScores = data.map((d) => (detectSignals(d.text, normalizeText(d.text)).length > 0 ? 1 : 0));
const keyword = metricsAt(keywordScores, labels, 0.5);

const sweep = [0.3, 0.4, 0.5, 0.6, 0.7, threshold]
  .filter((t, i, a) => a.indexOf(t) === i)
  .sort((a, b) => a - b)
  .map((t) => ({ t, ...metricsAt(chosen.pooled, chosen.pooledLabels, t) }));

const model = trainModel(m, { lambda: chosen.lambda, threshold });
model.meta = {
  ...model.meta,
  data: { file: 'prompt-injection/train.jsonl', rows: data.length, positives: labels.filter((l) => l === 1).length, sha256: createHash('sha256').update(rawData).digest('hex') },
  signals: SIGNALS.map((s) => s.name),
  cv: { folds: K, seeds: SEEDS, lambdaGrid: LAMBDAS, threshold, ...summary },
  command: 'npx tsx scripts/train-injection.ts',
};
const json = `${JSON.stringify(encodeModel(model))}\n`;

if (check) {
  const existing = readFileSync(outPath, 'utf8');
  if (existing !== json) {
    log(`--check: retrained model differs from ${outPath}`);
    process.exit(1);
  }
  log(`--check: retrained model is byte-identical to ${outPath}`);
} else {
  writeFileSync(outPath, json);
  log(`wrote ${outPath} (${json.length} bytes, ${encodeModel(model).buckets.count} weights)`);
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const fmt = (k: keyof typeof summary): string => `${pct(summary[k].mean)} ± ${pct(summary[k].sd)}`;
console.log(`| metric (threshold ${threshold}) | mean ± sd over ${K}-fold × ${SEEDS.length} seeds |
|---|---|
| precision | ${fmt('precision')} |
| recall | ${fmt('recall')} |
| F1 | ${fmt('f1')} |
| ROC AUC | ${fmt('auc')} |
| false-positive rate | ${fmt('falsePositiveRate')} |

Chosen L2 λ = ${chosen.lambda} (grid ${LAMBDAS.join(', ')}; mean fold AUC ${results.map((r) => r.meanAuc.toFixed(4)).join(', ')}).

| threshold | precision | recall | F1 | FPR |
|---|---|---|---|---|
${sweep.map((s) => `| ${s.t}${s.t === threshold ? ' (default)' : ''} | ${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.f1)} | ${pct(s.falsePositiveRate)} |`).join('\n')}

Keyword-list baseline (structural signals only, on all rows): precision ${pct(keyword.precision)}, recall ${pct(keyword.recall)}, F1 ${pct(keyword.f1)}.`);
