/**
 * What verification and calibration add to a semantic cache lookup (issue 23.5: ≤ 1 ms p99 on one core, besides
 * the embedding itself). Per lookup the cache verifies up to 3 candidates (verifyHit), compares segment vectors
 * for multi-segment prompts (promptSimilarity), finds the band and reads the team's calibration counts (cached
 * per team). Timed here on real sentence pairs (SICK train, MRPC train) and on 16-segment documents, 3
 * candidates per lookup, after a warm-up that includes loading WordNet (reported apart: once per process).
 *
 *   npx tsx bench/semantic-verify.ts   (also part of `npm run bench`)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bandOf, bandServes, createCalibration } from '../src/cache/calibration.js';
import { promptSimilarity, type PromptVectors } from '../src/cache/semantic-match.js';
import { verifyHit } from '../src/cache/verify-hit.js';
import { l2normalise } from '../src/embeddings/embedder.js';
import { fromShared } from '../src/paths.js';
import { createSqliteStateStore } from '../src/state/sqlite/sqlite-state-store.js';
import { seededRandom } from '../src/util/seeded-random.js';

const DIR = fromShared('datasets/paraphrase');
const tsv = (file: string) => readFileSync(join(DIR, file), 'utf8').replace(/^\uFEFF/, '').trim().split('\n').slice(1).map((l) => l.split('\t'));

function randomVectors(n: number, dim: number, rnd: () => number): Float32Array[] {
  return Array.from({ length: n }, () => l2normalise(Float32Array.from({ length: dim }, () => rnd() - 0.5)));
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export async function run(): Promise<{ title: string; markdown: string }> {
  const sick = tsv('sick2014-train.txt').map((r) => [r[1]!, r[2]!] as const);
  const mrpc = tsv('mrpc-train.tsv').map((r) => [r[3]!, r[4]!] as const);
  const sentences = mrpc.map((p) => p[0]);
  const docs = Array.from({ length: 50 }, (_, i) => sentences.slice(i * 16, i * 16 + 16).join('\n'));
  const rnd = seededRandom(7);
  const store = await createSqliteStateStore({ path: ':memory:' });
  const calibration = createCalibration(store);
  await store.recordCalibration('team-a', 'm|0.950', true);

  const t0 = performance.now();
  verifyHit('A kid is playing', 'A child is playing'); // loads WordNet's index
  const loadMs = performance.now() - t0;

  /** One lookup's verification work: 3 candidates, segment comparison, band and calibration read. */
  async function lookup(query: string, stored: string[], prompt: PromptVectors, packed: unknown): Promise<[number, number]> {
    const start = performance.now();
    const cpu = process.cpuUsage();
    for (const s of stored) {
      promptSimilarity(prompt, 0.96, packed);
      verifyHit(query, s);
    }
    const band = bandOf('m', 0.96)!;
    bandServes(await calibration.counts('team-a', band), { precision: 0.999, minSamples: 1000 });
    const used = process.cpuUsage(cpu);
    return [performance.now() - start, (used.user + used.system) / 1000];
  }

  const rows: string[] = [];
  const cases: [string, (i: number) => [string, string[]], number][] = [
    ['SICK train sentence pairs', (i) => { const p = sick[i % sick.length]!; return [p[1], [p[0], sick[(i + 1) % sick.length]![0], sick[(i + 2) % sick.length]![0]]]; }, 1],
    ['MRPC train sentence pairs', (i) => { const p = mrpc[i % mrpc.length]!; return [p[1], [p[0], mrpc[(i + 1) % mrpc.length]![0], mrpc[(i + 2) % mrpc.length]![0]]]; }, 1],
    ['16-segment documents (~400 words)', (i) => [docs[i % docs.length]!, [docs[(i + 1) % docs.length]!, docs[(i + 2) % docs.length]!, docs[i % docs.length]!]], 16],
  ];
  for (const [name, make, segments] of cases) {
    const vectors = randomVectors(segments, 384, rnd);
    const prompt: PromptVectors = { segments: vectors.map(() => ''), vectors, search: vectors[0]! };
    const { packVectors } = await import('../src/cache/semantic-match.js');
    const packed = segments > 1 ? packVectors(randomVectors(segments, 384, rnd)) : undefined;
    for (let i = 0; i < 200; i++) await lookup(...make(i), prompt, packed); // warm-up (JIT)
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const [w, c] = await lookup(...make(i), prompt, packed);
      wall.push(w);
      cpu.push(c);
    }
    const f = (xs: number[]) => `${quantile(xs, 0.5).toFixed(3)} / ${quantile(xs, 0.99).toFixed(3)}`;
    rows.push(`| ${name} | ${f(cpu)} | ${f(wall)} | ${Math.max(...wall).toFixed(3)} |`);
  }
  await store.close();
  return {
    title: 'Semantic cache: verification and calibration cost per lookup',
    markdown: [
      'Per lookup: 3 candidates verified, segment vectors compared (384-dim), band found, calibration counts read (per-team cache). 3,000 lookups per row after 200 warm-up; the embedding itself is not included. CPU time is what the lookup itself costs (process CPU, 1 ms resolution on some kernels); wall time adds waiting for a CPU on a busy machine. Target p99 ≤ 1 ms.',
      '',
      '| prompts | CPU p50 / p99 ms | wall p50 / p99 ms | wall max ms |',
      '|---|---|---|---|',
      ...rows,
      '',
      `WordNet index loaded once per process, at the first verification: ${loadMs.toFixed(0)} ms.`,
    ].join('\n'),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log((await run()).markdown);
