/**
 * Training pipeline of the shipped injection model, validated BY SOURCE:
 *
 *  1. every row of ../shared/datasets/prompt-injection (deepset train split + the 15 sources of extra/) is featurised;
 *  2. grouped by source (SOURCE_FOLDS, 5 folds of whole sources): a model trained on the other folds scores each
 *     fold's rows, so every row gets a score from a model that never saw its source (topics, style, language mix);
 *  3. the default threshold is the lowest one at which the pooled out-of-source false-positive rate is ≤ FPR_TARGET;
 *  4. the shipped model is trained on all rows; the out-of-source figures go into its `meta` and are printed as the
 *     markdown of docs/guards.md, with two checks on text no source contains: everyday prose (the presidio-research
 *     sample's sentences and the PII negative prose corpus) and attacks under 200 characters.
 *
 * Rows are weighted (rows in their source)^-¼ so that 1,900 XQuAD questions do not drown 32 PromptInject attacks
 * (the stronger 1/√n let the model underfit the larger attack sources: deepset recall 0.51 on its own training rows).
 * Deterministic: no randomness anywhere; `--check` retrains and fails unless model.json is byte-identical.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDetectorFromModel } from './detector.js';
import { auc, metricsAt } from './evaluate.js';
import { encodeModel } from './model-format.js';
import { SIGNALS } from './signals.js';
import { loadSources, type SourcedText } from './sources.js';
import { featurize, trainModel, type TrainOptions } from './train.js';
import { augmentRows, type AugmentOptions } from './augment.js';
import { fromShared } from '../../src/paths.js';

/**
 * 5 %, not 3 %: the pooled out-of-source rate is set by three benign sources that look like attacks to any model
 * that has not seen them — prose *about* prompts (the Prompt Engineering Guide), tldr one-liners with "ignore" and
 * "reset", long encyclopaedic paragraphs. At 3 % the threshold was 0.77 and caught 36.5 % of deepset's held-out
 * half; at 5 % it was 0.67 and caught 46.9 % (0.68 and 53.1 % with the synthetic rows), while everyday prose
 * flagged stays ≤ 0.5 % (0.4 %) and deepset's benign rows 0 % — the 2 points of pooled FPR are those benign sources
 * (docs/guards.md has the tables).
 */
export const FPR_TARGET = 0.05;
const OPTIONS: TrainOptions = { lambda: 3e-4, iterations: 200, minDf: 2 };
/**
 * Synthetic rows made by script from the training rows (`augment.ts`, fixed seed): attacks inserted into benign
 * rows of other sources (and benign into benign), and noised copies (typos, case, leetspeak) of both classes.
 * A synthetic row is trained on only when every row it was made from is: validation never sees a held-out
 * source's text through it.
 */
export const AUGMENT: AugmentOptions = { embed: 1, noise: 1 };
// Training reads the first 1,500 characters of a row (scoring reads everything, in windows): long Wikipedia
// contexts otherwise dominate the cost without adding much signal.
const TRAIN_CHARS = 1500;
/**
 * Validation folds, each a group of whole sources (attacks and benign together) held out at once. Sources of one
 * family stay in one fold (both XSafety files), so a fold's figure is for a family the model has never seen.
 */
export const SOURCE_FOLDS: readonly (readonly string[])[] = [
  ['deepset', 'xquad-contexts', 'humaneval'],
  ['xsafety-goal-hijacking', 'xsafety-role-play', 'mgsm'],
  ['sap-persona-attacks', 'promptinject', 'xquad-questions', 'tldr-pages'],
  ['jailbreakbench-artifacts', 'cipherchat-encoded', 'gsm8k-test', 'self-instruct'],
  ['bipia', 'llm-guard-tests', 'p3-templated-prompts', 'prompt-engineering-guide'],
];
const log = (s: string): void => void process.stderr.write(`${s}\n`);

export function sourceWeights(rows: readonly SourcedText[]): number[] {
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.source, (count.get(r.source) ?? 0) + 1);
  return rows.map((r) => count.get(r.source)! ** -0.25);
}

/** Everyday text no source contains: presidio-research sentences (song blurbs, mission statements, forms…) and prose. */
export function everydayProse(): string[] {
  const presidio = JSON.parse(readFileSync(fromShared('datasets/pii/presidio-synth-dev.json'), 'utf8')) as { full_text: string }[];
  const prose = readFileSync(fileURLToPath(new URL('../../test/guards/fixtures/prose-negative.txt', import.meta.url)), 'utf8').split(/\n{2,}/);
  return [...presidio.map((r) => r.full_text), ...prose].filter((t) => t.trim().length > 0);
}

export interface SourceFigure { source: string; label: 0 | 1; rows: number; flagged: number; rate: number }

export async function main(argv: string[]): Promise<void> {
  const check = argv.includes('--check');
  const skipLoso = argv.includes('--no-validation');
  const rows = loadSources();
  const t0 = performance.now();
  const aug = augmentRows(rows, AUGMENT);
  const m = featurize(
    [...rows, ...aug].map((r) => ({ text: r.text.slice(0, TRAIN_CHARS), label: r.label })),
    16,
  );
  const weights = [...sourceWeights(rows), ...aug.map((a) => a.weight)];
  // Training rows without the rows `out` excludes, and without the synthetic rows made from any of them.
  const trainingRows = (out: (i: number) => boolean): number[] => [
    ...rows.map((_, i) => i).filter((i) => !out(i)),
    ...aug.map((_, k) => k).filter((k) => !aug[k].parents.some(out)).map((k) => rows.length + k),
  ];
  log(`featurised ${rows.length} rows + ${aug.length} synthetic in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const sources = [...new Set(rows.map((r) => r.source))].sort();
  const unfolded = sources.filter((s) => !SOURCE_FOLDS.some((f) => f.includes(s)));
  if (unfolded.length) throw new Error(`sources missing from SOURCE_FOLDS: ${unfolded.join(', ')}`);

  const oos = new Array<number>(rows.length).fill(NaN);
  if (!skipLoso) {
    for (const fold of SOURCE_FOLDS) {
      const t1 = performance.now();
      const train = trainingRows((i) => fold.includes(rows[i].source));
      const det = createDetectorFromModel(trainModel(m, OPTIONS, train, weights));
      rows.forEach((r, i) => fold.includes(r.source) && (oos[i] = det.score(r.text).score));
      log(`held out ${fold.join(', ')}: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
  }
  const labels = rows.map((r) => r.label);
  const foldAuc = SOURCE_FOLDS.map((fold) => {
    const idx = rows.map((_, i) => i).filter((i) => fold.includes(rows[i].source));
    return auc(idx.map((i) => oos[i]), idx.map((i) => labels[i]));
  });
  const sweep = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((t) => ({ t, ...metricsAt(oos, labels, t) }));
  // Lowest threshold (0.01 steps) whose pooled out-of-source FPR is within the target.
  let threshold = 0.5;
  if (!skipLoso) {
    for (let t = 0.05; t <= 0.99; t += 0.01) {
      const tt = Math.round(t * 100) / 100;
      if (metricsAt(oos, labels, tt).falsePositiveRate <= FPR_TARGET) {
        threshold = tt;
        break;
      }
    }
  } else threshold = JSON.parse(readFileSync(fileURLToPath(new URL('./model.json', import.meta.url)), 'utf8')).threshold;

  const perSource: SourceFigure[] = [];
  for (const s of sources) {
    for (const label of [1, 0] as const) {
      const idx = rows.map((_, i) => i).filter((i) => rows[i].source === s && rows[i].label === label);
      if (!idx.length) continue;
      const flagged = idx.filter((i) => oos[i] >= threshold).length;
      perSource.push({ source: s, label, rows: idx.length, flagged, rate: flagged / idx.length });
    }
  }
  const pooled = metricsAt(oos, labels, threshold);
  const short = rows.map((_, i) => i).filter((i) => rows[i].label === 1 && rows[i].text.length < 200);
  const shortTpr = short.filter((i) => oos[i] >= threshold).length / Math.max(1, short.length);

  // Deepset's own family on rows the model has not seen: every other deepset row held out, everything else trained
  // on. This predicts the detector on new attacks of a family it was trained on (deepset's public test split is
  // never used).
  const deepsetFamily: { label: 0 | 1; score: number }[] = [];
  if (!skipLoso) {
    const deep = rows.map((_, i) => i).filter((i) => rows[i].source === 'deepset');
    const held = new Set(deep.filter((_, k) => k % 2 === 1));
    const detHalf = createDetectorFromModel(trainModel(m, OPTIONS, trainingRows((i) => held.has(i)), weights));
    for (const i of held) deepsetFamily.push({ label: rows[i].label, score: detHalf.score(rows[i].text).score });
  }
  const familyAt = (t: number, label: 0 | 1): number => {
    const xs = deepsetFamily.filter((x) => x.label === label);
    return xs.filter((x) => x.score >= t).length / Math.max(1, xs.length);
  };

  const model = trainModel(m, { ...OPTIONS, threshold }, undefined, weights);
  const det = createDetectorFromModel(model);
  const everyday = everydayProse();
  const everydayScores = everyday.map((t) => det.score(t).score);
  const everydayFlagged = everydayScores.filter((s) => s >= threshold).length;
  const trainedScores = rows.map((r) => det.score(r.text).score);
  const trainedAt = (t: number, pick: (r: SourcedText) => boolean): number => {
    const idx = rows.map((_, i) => i).filter((i) => pick(rows[i]));
    return idx.filter((i) => trainedScores[i] >= t).length / Math.max(1, idx.length);
  };
  const thresholds = [...new Set([0.4, 0.5, 0.6, threshold, 0.7, 0.8, 0.9])].sort((a, b) => a - b);
  model.meta = {
    ...model.meta,
    data: {
      sources: sources.length,
      rows: rows.length,
      positives: labels.filter((l) => l === 1).length,
      sha256: createHash('sha256').update(rows.map((r) => `${r.source}\t${r.label}\t${r.text}`).join('\n')).digest('hex'),
      synthetic: { ...AUGMENT, rows: aug.length },
    },
    signals: SIGNALS.map((s) => s.name),
    validation: skipLoso ? 'skipped' : {
      method: 'grouped by source, 5 folds',
      fprTarget: FPR_TARGET,
      threshold,
      tpr: +pooled.recall.toFixed(4),
      fpr: +pooled.falsePositiveRate.toFixed(4),
      auc: +auc(oos, labels).toFixed(4),
      shortAttackTpr: +shortTpr.toFixed(4),
      deepsetFamilyHalf: { tpr: +familyAt(threshold, 1).toFixed(4), fpr: +familyAt(threshold, 0).toFixed(4), rows: deepsetFamily.length },
    },
    everyday: { texts: everyday.length, flagged: everydayFlagged },
    command: 'npx tsx guards/injection/train.ts',
  };
  const json = `${JSON.stringify(encodeModel(model))}\n`;
  const outPath = fileURLToPath(new URL('./model.json', import.meta.url));
  if (check) {
    if (readFileSync(outPath, 'utf8') !== json) {
      log(`--check: retrained model differs from ${outPath}`);
      process.exit(1);
    }
    log(`--check: retrained model is byte-identical to ${outPath}`);
  } else if (!skipLoso) {
    writeFileSync(outPath, json);
    log(`wrote ${outPath} (${json.length} bytes)`);
  }

  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  console.log(`Threshold ${threshold} (lowest with pooled out-of-source FPR ≤ ${pct(FPR_TARGET)}).
Out-of-source, pooled over ${rows.length} rows: TPR ${pct(pooled.recall)}, FPR ${pct(pooled.falsePositiveRate)}, AUC ${auc(oos, labels).toFixed(3)}; attacks under 200 characters: TPR ${pct(shortTpr)} (${short.length} rows).
Everyday prose (never trained on): ${everydayFlagged} of ${everyday.length} flagged (${pct(everydayFlagged / everyday.length)}).
AUC within each held-out fold: ${foldAuc.map((a, i) => `${SOURCE_FOLDS[i][0]}… ${a.toFixed(3)}`).join(', ')}.

| threshold | TPR | FPR (out-of-source) |
|---|---:|---:|
${sweep.map((x) => `| ${x.t} | ${pct(x.recall)} | ${pct(x.falsePositiveRate)} |`).join('\n')}

| held-out source | class | rows | flagged | rate |
|---|---|---:|---:|---:|
${perSource.map((p) => `| ${p.source} | ${p.label ? 'attack (TPR)' : 'benign (FPR)'} | ${p.rows} | ${p.flagged} | ${pct(p.rate)} |`).join('\n')}

Deepset family, half of deepset's rows held out (${deepsetFamily.length} rows), and the shipped model on its own training rows:

| threshold | deepset held-out half: attacks caught | its benign flagged | everyday prose flagged | shipped model: deepset attacks | all 16 sources' attacks |
|---|---:|---:|---:|---:|---:|
${thresholds.map((t) => `| ${t === threshold ? `**${t} (default)**` : t} | ${pct(familyAt(t, 1))} | ${pct(familyAt(t, 0))} | ${pct(everydayScores.filter((s) => s >= t).length / everyday.length)} | ${pct(trainedAt(t, (r) => r.source === 'deepset' && r.label === 1))} | ${pct(trainedAt(t, (r) => r.label === 1))} |`).join('\n')}`);
}
