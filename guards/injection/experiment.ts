/**
 * Exploration harness (not the pipeline): featurises the sources once, then for each variant named on the command
 * line runs the 5 source folds and the deepset half and prints one line of figures (threshold by the pooled
 * out-of-source FPR ≤ 5 % rule, pooled TPR/FPR/AUC, per-fold AUC, deepset held-out half at that threshold and at
 * 0.67, everyday prose flagged by the deepset-half model, a proxy for the shipped model).
 *
 *   npx tsx guards/injection/experiment.ts [--iters 100] base minsrc3 ...
 */
import { createDetectorFromModel } from './detector.js';
import { auc, metricsAt } from './evaluate.js';
import { loadSources } from './sources.js';
import { featurize, trainModel, type FeatureMatrix, type TrainOptions } from './train.js';
import type { InjectionModel } from './model-format.js';

/** Logit average of the full model (weight a) and a model of signals and concepts alone (weight 1 - a). */
function mixed(m: FeatureMatrix, opts: TrainOptions, a: number | undefined, train: number[], w: number[]): InjectionModel {
  const full = trainModel(m, opts, train, w);
  if (a === undefined) return full;
  const lean = trainModel(m, { ...opts, minDf: 1e9 }, train, w);
  const out = { ...full, weights: full.weights.map((x) => x * a), bias: a * full.bias + (1 - a) * lean.bias, signalWeights: {} as Record<string, number>, conceptWeights: {} as Record<string, number> };
  for (const k of Object.keys(full.signalWeights)) out.signalWeights[k] = a * full.signalWeights[k] + (1 - a) * lean.signalWeights[k];
  for (const k of Object.keys(full.conceptWeights)) out.conceptWeights[k] = a * full.conceptWeights[k] + (1 - a) * lean.conceptWeights[k];
  return out;
}
import { everydayProse, SOURCE_FOLDS } from './train-by-source.js';
import { augmentRows, type AugmentOptions } from './augment.js';

const argv = process.argv.slice(2);
const itersAt = argv.indexOf('--iters');
const iterations = itersAt >= 0 ? Number(argv[itersAt + 1]) : 200;
const variants = argv.filter((a, i) => !a.startsWith('--') && (itersAt < 0 || i !== itersAt + 1));
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface Variant { opts?: TrainOptions; aug?: AugmentOptions; weightExp?: number; mix?: number }
const VARIANTS: Record<string, Variant> = {
  base: {},
  w0: { weightExp: 0 },
  w50: { weightExp: 0.5 },
  embed: { aug: { embed: 1 } },
  noise: { aug: { noise: 1 } },
  embednoise: { aug: { embed: 1, noise: 1 } },
  embednoise400: { aug: { embed: 1, noise: 1, perSource: 400 } },
  embednoise_n2: { aug: { embed: 1, noise: 2 } },
  embednoise_w50: { aug: { embed: 1, noise: 1 }, weightExp: 0.5 },
  lam1e3: { opts: { lambda: 1e-3 } },
  mix50: { mix: 0.5 },
  mix70: { mix: 0.7 },
  mix30: { mix: 0.3 },
};

const rows = loadSources();
const everyday = everydayProse();
const t0 = performance.now();
const TRAIN_CHARS = 1500;
const srcNames = [...new Set(rows.map((r) => r.source))].sort();
const labels = rows.map((r) => r.label);
const deep = rows.map((_, i) => i).filter((i) => rows[i].source === 'deepset');
const heldHalf = new Set(deep.filter((_, k) => k % 2 === 1));

for (const name of variants) {
  const v = VARIANTS[name];
  if (!v) throw new Error(`unknown variant ${name}`);
  const t1 = performance.now();
  const aug = v.aug ? augmentRows(rows, v.aug) : [];
  const all = [...rows.map((r) => ({ text: r.text.slice(0, TRAIN_CHARS), label: r.label })), ...aug.map((a) => ({ text: a.text.slice(0, TRAIN_CHARS), label: a.label }))];
  const m = featurize(all, 16);
  const exp = v.weightExp ?? 0.25;
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.source, (count.get(r.source) ?? 0) + 1);
  const w = [...rows.map((r) => count.get(r.source)! ** -exp), ...aug.map((a) => a.weight)];
  const opts: TrainOptions = { lambda: 3e-4, iterations, minDf: 2, ...v.opts };
  const oos = new Array<number>(rows.length).fill(NaN);
  for (const fold of SOURCE_FOLDS) {
    const out = (i: number): boolean => fold.includes(rows[i].source);
    const train = [
      ...rows.map((_, i) => i).filter((i) => !out(i)),
      ...aug.map((a, k) => [a, rows.length + k] as const).filter(([a]) => !a.parents.some(out)).map(([, k]) => k),
    ];
    const det = createDetectorFromModel(mixed(m, opts, v.mix, train, w));
    rows.forEach((r, i) => out(i) && (oos[i] = det.score(r.text).score));
  }
  const train = [
    ...rows.map((_, i) => i).filter((i) => !heldHalf.has(i)),
    ...aug.map((a, k) => [a, rows.length + k] as const).filter(([a]) => !a.parents.some((p) => heldHalf.has(p))).map(([, k]) => k),
  ];
  const detHalf = createDetectorFromModel(mixed(m, opts, v.mix, train, w));
  const half = [...heldHalf].map((i) => ({ label: labels[i], s: detHalf.score(rows[i].text).score }));
  const ev = everyday.map((t) => detHalf.score(t).score);
  let threshold = 0.99;
  for (let t = 5; t <= 99; t++) if (metricsAt(oos, labels, t / 100).falsePositiveRate <= 0.05) { threshold = t / 100; break; }
  const pooled = metricsAt(oos, labels, threshold);
  const foldAuc = SOURCE_FOLDS.map((fold) => {
    const idx = rows.map((_, i) => i).filter((i) => fold.includes(rows[i].source));
    return auc(idx.map((i) => oos[i]), idx.map((i) => labels[i])).toFixed(3);
  });
  const halfAt = (t: number, l: number): string => {
    const xs = half.filter((x) => x.label === l);
    return `${((100 * xs.filter((x) => x.s >= t).length) / xs.length).toFixed(1)}`;
  };
  const evAt = (t: number): string => `${((100 * ev.filter((s) => s >= t).length) / ev.length).toFixed(2)}`;
  const bySrc = srcNames.map((s) => {
    const idx = rows.map((_, i) => i).filter((i) => rows[i].source === s);
    const pos = idx.filter((i) => labels[i] === 1);
    const neg = idx.filter((i) => labels[i] === 0);
    const r = (xs: number[]): string => (xs.length ? ((100 * xs.filter((i) => oos[i] >= threshold).length) / xs.length).toFixed(0) : '-');
    return `${s.slice(0, 10)}:${r(pos)}/${r(neg)}`;
  });
  console.log(
    `${name} it=${iterations} aug=${aug.length}: thr ${threshold} TPR ${(pooled.recall * 100).toFixed(1)} FPR ${(pooled.falsePositiveRate * 100).toFixed(1)} ` +
      `AUC ${auc(oos, labels).toFixed(3)} folds [${foldAuc.join(' ')}] | half@thr ${halfAt(threshold, 1)}/${halfAt(threshold, 0)} ` +
      `half@.67 ${halfAt(0.67, 1)}/${halfAt(0.67, 0)} half@.6 ${halfAt(0.6, 1)} | everyday@thr ${evAt(threshold)} @.67 ${evAt(0.67)} ` +
      `(${((performance.now() - t1) / 1000).toFixed(0)} s)\n   ${bySrc.join(' ')}`,
  );
}
log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
