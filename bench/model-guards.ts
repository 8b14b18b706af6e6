/**
 * Added latency of the model-backed and external guards (docs/guards.md, "Model-backed and external guards"):
 * a gateway in process with teams that each run one of them, against local fakes (the provider, the guardrail
 * services, a vLLM-like judge), requests interleaved team by team in one run. The figures are the guards'
 * mechanism (HTTP round trip, deadline, audit, budget hold and ledger row of the judge's call, the tiny
 * classifier's ONNX run) — a real DeBERTa, Llama Guard or moderation service adds its own inference time on top.
 * Run alone: `npx tsx bench/model-guards.ts` (BENCH_MODEL_GUARDS_N=100 for a quicker run).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.js';
import { createLogger } from '../src/logger.js';
import { startGateway } from '../src/server.js';
import { makeTinyClassifierModel } from '../scripts/make-tiny-classifier-model.js';
import { startFakeGuardrails } from '../test/fakes/fake-guardrails.js';
import { startFakeUpstream } from '../test/fakes/fake-upstream.js';
import { percentile as pct, table } from './lib/stats.js';

const N = Number(process.env.BENCH_MODEL_GUARDS_N ?? 400);
const WARMUP = 50;
const f = (x: number) => x.toFixed(2);

export async function run(): Promise<{ title: string; markdown: string }> {
  const upstream = await startFakeUpstream({ record: false });
  const judge = await startFakeUpstream({ record: false });
  judge.setDefault({ json: { id: 'j', object: 'chat.completion', created: 1, model: 'guard', choices: [{ index: 0, message: { role: 'assistant', content: 'safe' }, finish_reason: 'stop' }], usage: { prompt_tokens: 50, completion_tokens: 1, total_tokens: 51 } } });
  const svc = await startFakeGuardrails();
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  const guards: Record<string, object> = {
    none: {},
    classifier: { classifier: { enabled: true, modelPath: makeTinyClassifierModel() } },
    'http hook': { external: { services: [{ name: 'hook', kind: 'http', url: `${svc.url}/hook` }] } },
    'openai moderation': { external: { services: [{ name: 'mod', kind: 'openai-moderation', url: `${svc.url}/v1/moderations` }] } },
    'presidio (pii)': { pii: { enabled: true }, external: { services: [{ name: 'presidio', kind: 'presidio', url: `${svc.url}/analyze`, action: 'pii' }] } },
    'pii alone': { pii: { enabled: true } },
    'judge, cached verdict': { judge: { enabled: true, model: 'guard' } },
    'judge, every call': { judge: { enabled: true, model: 'guard', cacheTtlSeconds: 0 } },
    'hook + moderation + judge (concurrent)': {
      judge: { enabled: true, model: 'guard', cacheTtlSeconds: 0 },
      external: { services: [{ name: 'hook', kind: 'http', url: `${svc.url}/hook` }, { name: 'mod', kind: 'openai-moderation', url: `${svc.url}/v1/moderations` }] },
    },
  };
  const names = Object.keys(guards);
  const keyOf = (i: number) => `gw-bench-model-guards-${i}-0123456789abcdefghijklmnop`;
  const config = configSchema.parse({
    server: { host: '127.0.0.1', port: 0, logLevel: 'silent' },
    state: { kind: 'sqlite', dataDir: ':memory:' },
    providers: {
      openai: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-bench', timeouts },
      vllm: { kind: 'openai', baseUrl: judge.openaiBaseUrl, apiKey: 'sk-bench', timeouts },
    },
    models: {
      'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 },
      guard: { provider: 'vllm', upstream: 'llama-guard', price: { input: '0.1', output: '0.1' }, contextWindow: 128000 },
    },
    teams: Object.fromEntries(names.map((n, i) => [`t${i}`, { allowedModels: ['*'], budgets: [{ period: 'daily', usd: '1000' }], policy: { guards: guards[n] } }])),
    keys: names.map((_, i) => ({ id: `k${i}`, team: `t${i}`, key: keyOf(i) })),
  });
  const gw = await startGateway(config, createLogger('silent'), '(bench)');
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const text = 'Please write a short note to Zorblax Quux about the quarterly report and the meeting on Friday.';
  for (let i = 0; i < WARMUP + N; i++) {
    for (let k = 0; k < names.length; k++) {
      const idx = (i + k) % names.length;
      const t0 = performance.now();
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keyOf(idx)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_tokens: 50 }),
      });
      await res.arrayBuffer();
      // During warm-up the classifier's model may still be loading (503 guard_unavailable, its onError).
      if (res.status !== 200 && i >= WARMUP) throw new Error(`${names[idx]}: HTTP ${res.status}`);
      if (i >= WARMUP) times[names[idx]!]!.push(performance.now() - t0);
    }
  }
  const load = loadavg()[0]!.toFixed(1);
  await gw.close();
  await Promise.all([upstream.close(), judge.close(), svc.close()]);

  const base50 = pct(times.none!, 50);
  const base99 = pct(times.none!, 99);
  const rows = names.map((n) => {
    const xs = times[n]!;
    return [n, f(pct(xs, 50)), f(pct(xs, 99)), n === 'none' ? '—' : f(pct(xs, 50) - base50), n === 'none' ? '—' : f(pct(xs, 99) - base99)];
  });
  const markdown = [
    table(['team guards', 'request p50 ms', 'request p99 ms', 'added p50 ms', 'added p99 ms'], rows),
    '',
    `Method: ${N} non-streaming requests per team through the HTTP listener (after ${WARMUP} warm-up rounds), ` +
      'interleaved team by team with the order rotated each round, against local fakes; load average ' +
      `${load} at the end (2 cores shared: absolute times provisional, compare rows of one run).`,
  ].join('\n');
  return { title: 'Model-backed and external guards: added latency of the mechanism', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { title, markdown } = await run();
  console.log(`## ${title}\n\n${markdown}`);
}
