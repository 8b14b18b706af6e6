/**
 * Semantic-cache quality on a public paraphrase set (STS 2016 question-question, CC BY-SA 3.0): a pair with
 * gold similarity ≥ 4 is "the same question" (a cache hit is right), below 4 it is not (a hit would be a wrong
 * answer). For each threshold: hit rate = share of same-question pairs whose cosine ≥ threshold; false-hit
 * rate = share of different-question pairs whose cosine ≥ threshold; wrong-hit share = share of all hits that
 * are wrong. The recommended threshold is the lowest one keeping the false-hit rate ≤ 2 %.
 * Run alone: `npx tsx bench/cache-quality.ts` (model: see bench/bench-model.ts).
 */
import { readFileSync } from 'node:fs';
import { createLocalEmbedder } from '../src/embeddings/embedder.js';
import { benchModel } from './bench-model.js';
import { fromShared } from '../src/paths.js';

export const DATASET = fromShared('datasets/paraphrase/sts2016-question-question.jsonl');
export const THRESHOLDS = [0.8, 0.825, 0.85, 0.875, 0.9, 0.925, 0.95];
const MAX_FALSE_HIT = 0.02;

interface Pair {
  text_a: string;
  text_b: string;
  score: number;
}

export interface ThresholdRow {
  threshold: number;
  hitRate: number;
  falseHitRate: number;
  wrongHitShare: number;
}

/** Pure: figures per threshold from (cosine, same-question) pairs. */
export function scoreThresholds(pairs: { cosine: number; same: boolean }[], thresholds = THRESHOLDS): ThresholdRow[] {
  const pos = pairs.filter((p) => p.same);
  const neg = pairs.filter((p) => !p.same);
  return thresholds.map((t) => {
    const tp = pos.filter((p) => p.cosine >= t).length;
    const fp = neg.filter((p) => p.cosine >= t).length;
    return {
      threshold: t,
      hitRate: pos.length ? tp / pos.length : 0,
      falseHitRate: neg.length ? fp / neg.length : 0,
      wrongHitShare: tp + fp ? fp / (tp + fp) : 0,
    };
  });
}

export function recommend(rows: ThresholdRow[]): number {
  return rows.find((r) => r.falseHitRate <= MAX_FALSE_HIT)?.threshold ?? rows[rows.length - 1]!.threshold;
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const pairs = readFileSync(DATASET, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Pair);
  const m = benchModel();
  const e = await createLocalEmbedder({ model: m.model, modelDir: m.modelDir });
  const a = await e.embed(pairs.map((p) => p.text_a));
  const b = await e.embed(pairs.map((p) => p.text_b));
  await e.close();
  const scored = pairs.map((p, i) => ({ cosine: a[i]!.reduce((s, x, j) => s + x * b[i]![j]!, 0), same: p.score >= 4 }));
  const rows = scoreThresholds(scored);
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const same = scored.filter((s) => s.same).length;
  const markdown = [
    '| threshold | hit rate (same question) | false-hit rate (different question) | wrong share of hits |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.threshold} | ${pct(r.hitRate)} | ${pct(r.falseHitRate)} | ${pct(r.wrongHitShare)} |`),
    '',
    `Recommended threshold with this model (lowest with false-hit rate ≤ ${MAX_FALSE_HIT * 100} %): **${recommend(rows)}**.`,
    `Method: ${pairs.length} STS 2016 question pairs (${same} with gold ≥ 4 = same question, ${pairs.length - same} different), cosine of ${m.label} embeddings.`,
  ].join('\n');
  return { title: `Semantic cache quality (${m.tiny ? 'tiny test model' : m.model})`, markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { title, markdown } = await run();
  console.log(`## ${title}\n\n${markdown}`);
}
