/**
 * Semantic-cache speed: embedded vector store lookup latency at 100k × 384 (one big namespace = HNSW, and
 * spread over 1000 namespaces = exact scans), insertion cost, reload time, recall@1, and event-loop delay
 * while a burst of local embeddings runs in the worker.
 * Run alone: `npx tsx bench/vector.ts` (BENCH_VECTOR_N=20000 for a quicker run).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createLocalEmbedder } from '../src/embeddings/embedder.js';
import { createEmbeddedVectorStore } from '../src/vector/vector-store.js';
import { benchModel } from './bench-model.js';
import { seededRandom } from '../src/util/seeded-random.js';
import { fromShared } from '../src/paths.js';

const DIM = 384;

/** Seeded uniform values in [-0.5, 0.5). */
const rng = (seed: number) => {
  const next = seededRandom(seed);
  return () => next() - 0.5;
};
const randomVec = (r: () => number) => Float32Array.from({ length: DIM }, r);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => x.toFixed(3);

async function storeFigures(n: number, namespaces: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-vectors-'));
  const r = rng(7);
  const vectors: Float32Array[] = [];
  const store = createEmbeddedVectorStore({ dir, maxEntries: n });
  await store.init(DIM);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const v = randomVec(r);
    vectors.push(v);
    await store.upsert(`ns-${i % namespaces}`, `e${i}`, v, { i });
  }
  const insertMs = (performance.now() - t0) / n;
  // Queries: stored vectors with noise (a paraphrase-like neighbour); recall@1 = the source entry comes first.
  const times: number[] = [];
  let recalled = 0;
  const queries = 2000;
  for (let q = 0; q < queries; q++) {
    const i = Math.floor((r() + 0.5) * n) % n;
    const query = vectors[i]!.map((x) => x + 0.1 * r());
    const s = performance.now();
    const hits = await store.search(`ns-${i % namespaces}`, query, { k: 1, minScore: 0.5 });
    times.push(performance.now() - s);
    if (hits[0]?.id === `e${i}`) recalled++;
  }
  await store.close();
  const t1 = performance.now();
  const again = createEmbeddedVectorStore({ dir, maxEntries: n });
  await again.init(DIM);
  const reloadMs = performance.now() - t1;
  await again.close();
  rmSync(dir, { recursive: true, force: true });
  return { p50: pct(times, 50), p99: pct(times, 99), insertMs, reloadMs, recall: recalled / queries };
}

async function embedBurst() {
  const m = benchModel();
  const questions = readFileSync(fromShared('datasets/paraphrase/sts2016-question-question.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      const o = JSON.parse(l) as { text_a: string; text_b: string };
      return [o.text_a, o.text_b];
    });
  // Repeated (with a suffix, so no two texts are equal) until the burst lasts long enough to measure.
  const rounds = Number(process.env.BENCH_EMBED_ROUNDS ?? 10);
  const texts = Array.from({ length: rounds }, (_, r) => questions.map((q) => `${q} (${r})`)).flat();
  const e = await createLocalEmbedder({ model: m.model, modelDir: m.modelDir });
  await e.embed(['warm up']);
  const idleMs = Number(process.env.BENCH_IDLE_MS ?? 700);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const burstMax: number[] = [];
  const idleMax: number[] = [];
  const elu: number[] = [];
  let wall = 0;
  // Alternate idle and burst windows, 3 of each, and report medians: the 2 cores are shared with other jobs,
  // so a single window mostly measures who else ran then. The idle windows are the machine-noise baseline.
  for (let round = 0; round < 3; round++) {
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((r) => setTimeout(r, idleMs));
    idle.disable();
    idleMax.push(idle.max / 1e6);

    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const u0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    // Every text is its own concurrent request, arriving 20 per event-loop turn as from concurrent HTTP requests.
    const pending: Promise<Float32Array[]>[] = [];
    for (let i = 0; i < texts.length; i += 20) {
      for (const t of texts.slice(i, i + 20)) pending.push(e.embed([t]));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(pending);
    wall += performance.now() - t0;
    elu.push(performance.eventLoopUtilization(u0).utilization);
    h.disable();
    burstMax.push(h.max / 1e6);
  }
  await e.close();
  return {
    model: m.label,
    n: texts.length,
    perSec: (3 * texts.length) / (wall / 1000),
    wallMs: wall / 3,
    maxDelay: median(burstMax),
    idleMax: median(idleMax),
    elu: median(elu),
  };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const n = Number(process.env.BENCH_VECTOR_N ?? 100_000);
  const big = await storeFigures(n, 1);
  const spread = await storeFigures(n, 1000);
  const burst = await embedBurst();
  const markdown = [
    '| figure | value | target |',
    '|---|---|---|',
    `| lookup p50 / p99, ${n} × ${DIM} in one namespace (HNSW), wall time | ${ms(big.p50)} / ${ms(big.p99)} ms | p99 ≤ 2 ms |`,
    `| recall@1 (HNSW, noisy copies of stored vectors) | ${(big.recall * 100).toFixed(1)} % | |`,
    `| insertion, one namespace (HNSW + SQLite write) | ${ms(big.insertMs)} ms/entry | |`,
    `| reload at start after a clean shutdown (graph snapshot resumed), one namespace | ${(big.reloadMs / 1000).toFixed(1)} s | |`,
    `| lookup p50 / p99, ${n} × ${DIM} over 1000 namespaces (exact scan), wall time | ${ms(spread.p50)} / ${ms(spread.p99)} ms | p99 ≤ 2 ms |`,
    `| insertion, 1000 namespaces | ${ms(spread.insertMs)} ms/entry | |`,
    `| reload at start, 1000 namespaces | ${(spread.reloadMs / 1000).toFixed(1)} s | |`,
    `| longest event-loop stall during a burst of ${burst.n} concurrent embeddings (median of 3) | ${burst.maxDelay.toFixed(1)} ms | no stall > 5 ms |`,
    `| longest stall with the loop idle (machine-noise baseline, median of 3) | ${burst.idleMax.toFixed(1)} ms | |`,
    `| event-loop utilisation during the burst (main-thread busy share) | ${(burst.elu * 100).toFixed(1)} % | |`,
    `| embedding throughput in that burst (${(burst.wallMs / 1000).toFixed(1)} s) | ${burst.perSec.toFixed(0)} texts/s | |`,
    '',
    `Method: random unit vectors, 2000 lookups (k=1) of noisy copies, timed around \`search()\`; embeddings with ${burst.model} in the worker thread, delay from perf_hooks.monitorEventLoopDelay (1 ms resolution). 2 shared cores: provisional.`,
  ].join('\n');
  return { title: 'Semantic cache: vector store and embedder speed', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { title, markdown } = await run();
  console.log(`## ${title}\n\n${markdown}`);
}
