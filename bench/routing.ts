/**
 * Added latency of the routing path: a direct adapter call vs the same call through catalog.resolve + plan +
 * executor, for a plain model name, a weighted route and a semantic route (local embedder in its worker),
 * interleaved request by request against the fake upstream in one run. Also the routing decision alone.
 * Run alone: `npx tsx bench/routing.ts` (BENCH_ROUTING_N=500 for a quicker run).
 */
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.js';
import { normaliseChatRequest } from '../src/core/normalise.js';
import { createLocalEmbedder } from '../src/embeddings/embedder.js';
import { createModelCatalog } from '../src/routing/catalog.js';
import { createExecutor } from '../src/routing/executor.js';
import type { Team } from '../src/state/state-store.js';
import { createAdapter } from '../providers/index.js';
import type { ProviderAdapter } from '../providers/types.js';
import { startFakeUpstream } from '../test/fakes/fake-upstream.js';
import { benchModel } from './bench-model.js';

const N = Number(process.env.BENCH_ROUTING_N ?? 1500);
const WARMUP = 200;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const f = (x: number) => x.toFixed(3);

const PROMPTS = [
  'write a python function that parses a csv file',
  'review this contract clause about termination',
  'what is a good name for a cat',
  'fix the null pointer bug in my java service',
  'summarise the lease agreement in two sentences',
  'tell me a joke about the weather',
];

export async function run(): Promise<{ title: string; markdown: string }> {
  const upstream = await startFakeUpstream({ record: false });
  const bm = benchModel();
  const embedder = await createLocalEmbedder({ model: bm.model, modelDir: bm.modelDir });
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  const config = configSchema.parse({
    server: { logLevel: 'silent' },
    state: { dataDir: ':memory:' },
    providers: { openai: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-bench', timeouts } },
    models: { 'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 } },
    routes: {
      weighted: { strategy: 'weighted', targets: [{ model: 'gpt-4o-mini', weight: 2 }, 'openai/gpt-4.1-mini', 'openai/gpt-4.1-nano'] },
      semantic: {
        strategy: 'semantic',
        threshold: 0.3,
        targets: ['gpt-4o-mini'],
        rules: [
          { name: 'code', examples: ['write a python function', 'fix this bug in my code', 'why does my program crash'], targets: ['openai/gpt-4.1'] },
          { name: 'legal', examples: ['review this contract', 'is this lease agreement valid'], targets: ['openai/gpt-4.1-mini'] },
        ],
      },
    },
  });
  const adapters = new Map<string, ProviderAdapter>([['openai', createAdapter({ name: 'openai', ...config.providers.openai! })]]);
  const catalog = createModelCatalog(config, { embedder });
  await catalog.ready();
  const executor = createExecutor(adapters);
  const team = { id: 'bench', name: 'bench', allowedModels: ['*'], budgets: [], policy: {}, createdAt: 0, updatedAt: 0 } as Team;
  const signal = new AbortController().signal;
  const reqs = PROMPTS.map((content) => normaliseChatRequest({ model: 'x', messages: [{ role: 'user', content }] }));

  const modes = {
    direct: (i: number) => adapters.get('openai')!.complete(reqs[i % reqs.length]!, { provider: 'openai', upstreamModel: 'gpt-4o-mini' }, signal),
    'model name': (i: number) => executor.complete(reqs[i % reqs.length]!, catalog.resolve('gpt-4o-mini', team, undefined, { promptTokens: () => 20 }), signal, []),
    weighted: (i: number) => executor.complete(reqs[i % reqs.length]!, catalog.resolve('weighted', team, undefined, { promptTokens: () => 20 }), signal, []),
    semantic: (i: number) => executor.complete(reqs[i % reqs.length]!, catalog.resolve('semantic', team, undefined, { promptTokens: () => 20 }), signal, []),
  };
  const names = Object.keys(modes) as (keyof typeof modes)[];
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < WARMUP + N; i++) {
    // Rotate the order each round so no mode always runs right after another (connection reuse, GC timing).
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]!;
      const t0 = performance.now();
      await modes[name](i);
      if (i >= WARMUP) times[name]!.push(performance.now() - t0);
    }
  }

  // The decision alone (resolve + plan), no upstream call.
  const decision = async (name: string, iters: number) => {
    const xs: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      await catalog.resolve(name, team, undefined, { promptTokens: () => 20 }).plan(reqs[i % reqs.length]!);
      xs.push(performance.now() - t0);
    }
    return xs;
  };
  const decisions = {
    'model name': await decision('gpt-4o-mini', 20_000),
    weighted: await decision('weighted', 20_000),
    semantic: await decision('semantic', Math.min(N, 1000)),
  };

  await Promise.all([...adapters.values()].map((a) => a.close()));
  await embedder.close();
  await upstream.close();

  const base = pct(times.direct!, 50);
  const rows = names.map((n) => {
    const xs = times[n]!;
    const d = decisions[n as keyof typeof decisions];
    return `| ${n} | ${f(pct(xs, 50))} | ${f(pct(xs, 99))} | ${n === 'direct' ? '—' : f(pct(xs, 50) - base)} | ${d ? `${f(pct(d, 50))} / ${f(pct(d, 99))}` : '—'} |`;
  });
  const markdown = [
    '| path | call p50 ms | call p99 ms | added p50 ms vs direct | decision alone p50 / p99 ms |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `Method: ${N} non-streaming completions per path against the local fake upstream, interleaved request by request ` +
      `(order rotated each round, ${WARMUP} warm-up rounds); "direct" calls the OpenAI adapter itself, the others go through ` +
      `catalog.resolve + plan + executor (breakers, attempt records). Semantic embeds each prompt with ${bm.label} in the ` +
      `embedder worker${bm.tiny ? ' — with all-MiniLM-L6-v2 the embedding (and so the semantic figure) is larger' : ''}. ` +
      'Shared 2-core machine: ratios matter, absolute times are provisional.',
  ].join('\n');
  return { title: 'Routing: added latency of the routing decision', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(`## ${r.title}\n\n${r.markdown}`));
}
