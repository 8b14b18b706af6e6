/**
 * L2-regularised logistic regression over the hashed features and structural signals.
 *
 * Full-batch Nesterov-accelerated gradient descent with a step from a power-iteration bound on the Hessian:
 * no randomness at all, so the same rows and options give bit-identical weights on every run and machine
 * running the same Node version. The objective is
 *   mean_i c_i · logloss(y_i, b + offset_i + w·x_i) + λ/2 · ||w||²      (bias b unregularised)
 * where c_i balances the classes and offset_i is the fixed prior logit of the signals that fire.
 */
import { extractFeatures, normalizeText } from './features.js';
import { detectSignals, SIGNALS } from './signals.js';
import { CONCEPT_NAMES, conceptFeatures } from './concepts.js';
import type { InjectionModel } from './model-format.js';

export interface LabelledText {
  text: string;
  label: 0 | 1;
}

export interface TrainOptions {
  hashBits?: number;
  /** L2 strength λ. */
  lambda?: number;
  iterations?: number;
  /** Drop hashed buckets seen in fewer than this many training texts (they only memorise single rows). */
  minDf?: number;
  threshold?: number;
  /**
   * Scale of the n-gram values during training (the shipped weights are scaled back, so scoring is unchanged):
   * below 1 it regularises the n-grams more than the signals and concepts, so topic-free features carry more.
   */
  ngramScale?: number;
}

export const DEFAULT_TRAIN_OPTIONS: Required<TrainOptions> = {
  hashBits: 16,
  lambda: 3e-4,
  iterations: 600,
  minDf: 2,
  threshold: 0.5,
  ngramScale: 1,
};

/** Feature rows of a data set, computed once and reused across folds. */
export interface FeatureMatrix {
  hashBits: number;
  rows: { idx: Int32Array; val: Float64Array; signals: Uint8Array; concepts: Float64Array; offset: number; label: 0 | 1 }[];
}

const PRIORS = SIGNALS.map((s) => s.prior);

export function featurize(data: readonly LabelledText[], hashBits: number): FeatureMatrix {
  const rows = data.map((d) => {
    const norm = normalizeText(d.text);
    const v = extractFeatures(norm, hashBits);
    const fired = new Set(detectSignals(d.text, norm));
    const signals = new Uint8Array(SIGNALS.map((s) => (fired.has(s.name) ? 1 : 0)));
    const offset = SIGNALS.reduce((acc, s, j) => acc + signals[j] * PRIORS[j], 0);
    return { idx: v.idx, val: v.val, signals, concepts: conceptFeatures(norm), offset, label: d.label };
  });
  return { hashBits, rows };
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Trains on the rows of `m` selected by `subset` (all when omitted). Deterministic. `rowWeights` (indexed like
 * `m.rows`) scale each row's loss on top of the class balance, e.g. so that a large source does not drown small ones.
 */
export function trainModel(m: FeatureMatrix, opts: TrainOptions = {}, subset?: readonly number[], rowWeights?: readonly number[]): InjectionModel {
  const o = { ...DEFAULT_TRAIN_OPTIONS, ...opts, hashBits: m.hashBits };
  const chosen = subset ?? m.rows.map((_, i) => i);
  const rows = chosen.map((i) => m.rows[i]);
  const rw = chosen.map((i) => rowWeights?.[i] ?? 1);
  const n = rows.length;
  const nSig = SIGNALS.length;
  const nCon = CONCEPT_NAMES.length;

  // Document frequency per bucket; compact the kept buckets into dense columns [0, nCols).
  const df = new Map<number, number>();
  for (const r of rows) for (let k = 0; k < r.idx.length; k++) df.set(r.idx[k], (df.get(r.idx[k]) ?? 0) + 1);
  const buckets = [...df.entries()].filter(([, c]) => c >= o.minDf).map(([b]) => b).sort((a, b) => a - b);
  const col = new Map<number, number>(buckets.map((b, c) => [b, c]));
  const nCols = buckets.length + nSig + nCon;
  const X = rows.map((r) => {
    const cols: number[] = [];
    const vals: number[] = [];
    for (let k = 0; k < r.idx.length; k++) {
      const c = col.get(r.idx[k]);
      if (c !== undefined) {
        cols.push(c);
        vals.push(r.val[k] * o.ngramScale);
      }
    }
    for (let j = 0; j < nSig; j++) if (r.signals[j]) (cols.push(buckets.length + j), vals.push(1));
    for (let j = 0; j < nCon; j++) if (r.concepts[j]) (cols.push(buckets.length + nSig + j), vals.push(r.concepts[j]));
    return { cols: Int32Array.from(cols), vals: Float64Array.from(vals), y: r.label, offset: r.offset };
  });
  // Class balance over the weighted rows: each class carries half of the total loss.
  let wPos = 0;
  let wNeg = 0;
  X.forEach((x, i) => (x.y === 1 ? (wPos += rw[i]) : (wNeg += rw[i])));
  const cPos = wPos > 0 ? n / (2 * wPos) : 1;
  const cNeg = wNeg > 0 ? n / (2 * wNeg) : 1;
  const cw = X.map((x, i) => rw[i] * (x.y === 1 ? cPos : cNeg));

  // Lipschitz bound of the mean loss: 0.25 · max eigenvalue of Xᵀ C X / n (power iteration, fixed start).
  let v = new Float64Array(nCols + 1).fill(1 / Math.sqrt(nCols + 1));
  let eig = 1;
  for (let it = 0; it < 30; it++) {
    const next = new Float64Array(nCols + 1);
    X.forEach((x, i) => {
      let d = v[nCols];
      for (let k = 0; k < x.cols.length; k++) d += v[x.cols[k]] * x.vals[k];
      d *= cw[i];
      for (let k = 0; k < x.cols.length; k++) next[x.cols[k]] += d * x.vals[k];
      next[nCols] += d;
    });
    let norm = 0;
    for (const t of next) norm += t * t;
    norm = Math.sqrt(norm);
    eig = norm / n;
    for (let k = 0; k < next.length; k++) next[k] /= norm || 1;
    v = next;
  }
  const step = 1 / (0.25 * eig * 1.1 + o.lambda);

  // Nesterov accelerated gradient descent; index nCols is the bias.
  let w = new Float64Array(nCols + 1);
  let y = new Float64Array(nCols + 1);
  const grad = new Float64Array(nCols + 1);
  let t = 1;
  for (let it = 0; it < o.iterations; it++) {
    grad.fill(0);
    X.forEach((x, i) => {
      let z = y[nCols] + x.offset;
      for (let k = 0; k < x.cols.length; k++) z += y[x.cols[k]] * x.vals[k];
      const g = (cw[i] * (sigmoid(z) - x.y)) / n;
      for (let k = 0; k < x.cols.length; k++) grad[x.cols[k]] += g * x.vals[k];
      grad[nCols] += g;
    });
    for (let c = 0; c < nCols; c++) grad[c] += o.lambda * y[c];
    const wNext = new Float64Array(nCols + 1);
    for (let c = 0; c <= nCols; c++) wNext[c] = y[c] - step * grad[c];
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const mom = (t - 1) / tNext;
    const yNext = new Float64Array(nCols + 1);
    for (let c = 0; c <= nCols; c++) yNext[c] = wNext[c] + mom * (wNext[c] - w[c]);
    w = wNext;
    y = yNext;
    t = tNext;
  }

  const weights = new Float32Array(1 << m.hashBits);
  buckets.forEach((b, c) => (weights[b] = w[c] * o.ngramScale));
  const signalWeights: Record<string, number> = {};
  SIGNALS.forEach((s, j) => (signalWeights[s.name] = w[buckets.length + j]));
  const conceptWeights: Record<string, number> = {};
  CONCEPT_NAMES.forEach((name, j) => (conceptWeights[name] = w[buckets.length + nSig + j]));
  return {
    hashBits: m.hashBits,
    bias: w[nCols],
    weights,
    signalWeights,
    conceptWeights,
    threshold: o.threshold,
    meta: { lambda: o.lambda, iterations: o.iterations, minDf: o.minDf, ngramScale: o.ngramScale, trainRows: n },
  };
}

// `npx tsx guards/injection/train.ts [--check]`: the training pipeline (validation by source, then the shipped model).
if (import.meta.url === `file://${process.argv[1]}`) {
  void import('./train-by-source.js').then(({ main }) => main(process.argv.slice(2)));
}
