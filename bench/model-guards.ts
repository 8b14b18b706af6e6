/**
 * Added latency of the model-backed and external guards (docs/guards.md, "Model-backed and external guards"):
 * a gateway in process with teams that each run one of them, against local fakes (the provider, the guardrail
 * services, a vLLM-like judge), requests interleaved team by team in one run. The figures are the guards'
 * mechanism (HTTP round trip, deadline, audit, budget hold and ledger row of the judge's call, the tiny
 * classifier's ONNX run) — a real DeBERTa, Llama Guard or moderation service adds its own inference time on top.
 * Run alone: `npx tsx bench/model-guards.ts` (BENCH_MODEL_GUARDS_N=100 for a quicker run).
 */
import { loadavg } from 'node:os';
import { makeTinyClassifierModel } from '../scripts/make-tiny-classifier-model.js';
import { startFakeGuardrails } from '../test/fakes/fake-guardrails.js';
import { startFakeUpstream } from '../test/fakes/fake-upstream.js';
import { latencyCells, withGuardTeams } from './lib/guard-teams.js';
import { table } from './lib/stats.js';

const N = Number(process.env.BENCH_MODEL_GUARDS_N ?? 400);
const WARMUP = 50;

export async function run(): Promise<{ title: string; markdown: string }> {
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  const text = 'Please write a short note to Zorblax Quux about the quarterly report and the meeting on Friday.';
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_tokens: 50 });
  const { times, load, names } = await withGuardTeams(
    async (own) => {
      const upstream = own(await startFakeUpstream({ record: false }));
      const judge = own(await startFakeUpstream({ record: false }));
      judge.setDefault({ json: { id: 'j', object: 'chat.completion', created: 1, model: 'guard', choices: [{ index: 0, message: { role: 'assistant', content: 'safe' }, finish_reason: 'stop' }], usage: { prompt_tokens: 50, completion_tokens: 1, total_tokens: 51 } } });
      const svc = own(await startFakeGuardrails());
      const hook = { name: 'hook', kind: 'http', url: `${svc.url}/hook` };
      const mod = { name: 'mod', kind: 'openai-moderation', url: `${svc.url}/v1/moderations` };
      return {
        keyPrefix: 'model-guards',
        teams: {
          none: {},
          classifier: { classifier: { enabled: true, modelPath: makeTinyClassifierModel() } },
          'http hook': { external: { services: [hook] } },
          'openai moderation': { external: { services: [mod] } },
          'presidio (pii)': { pii: { enabled: true }, external: { services: [{ name: 'presidio', kind: 'presidio', url: `${svc.url}/analyze`, action: 'pii' }] } },
          'pii alone': { pii: { enabled: true } },
          'judge, cached verdict': { judge: { enabled: true, model: 'guard' } },
          'judge, every call': { judge: { enabled: true, model: 'guard', cacheTtlSeconds: 0 } },
          'hook + moderation + judge (concurrent)': { judge: { enabled: true, model: 'guard', cacheTtlSeconds: 0 }, external: { services: [hook, mod] } },
        },
        teamSettings: { budgets: [{ period: 'daily', usd: '1000' }] },
        config: {
          providers: {
            openai: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-bench', timeouts },
            vllm: { kind: 'openai', baseUrl: judge.openaiBaseUrl, apiKey: 'sk-bench', timeouts },
          },
          models: {
            'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 },
            guard: { provider: 'vllm', upstream: 'llama-guard', price: { input: '0.1', output: '0.1' }, contextWindow: 128000 },
          },
        },
      };
    },
    async (b) => {
      const times: Record<string, number[]> = Object.fromEntries(b.names.map((n) => [n, []]));
      await b.interleave(WARMUP + N, async (i, idx) => {
        const r = await b.send(idx, body);
        // During warm-up the classifier's model may still be loading (503 guard_unavailable, its onError).
        if (r.status !== 200 && i >= WARMUP) throw new Error(`${b.names[idx]}: HTTP ${r.status}`);
        if (i >= WARMUP) times[b.names[idx]!]!.push(r.ms);
      });
      return { times, load: loadavg()[0]!.toFixed(1), names: b.names };
    },
  );

  const rows = names.map((n) => [n, ...latencyCells(times[n]!, n === names[0] ? undefined : times[names[0]!])]);
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
