/**
 * Transport choice for the adapters: the official `openai` SDK client (fetch-based) vs our OpenAI adapter (the
 * SDK's wire types over one shared undici Pool), against the lean bench upstream in a child process, in one run.
 * Measures this process's CPU per call (the upstream's CPU is not counted) and latency at fixed concurrency,
 * non-streaming and streaming. Run alone: `npx tsx bench/adapters.ts` (BENCH_ADAPTERS_N for the call count).
 */
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { configSchema } from '../src/config/schema.js';
import { normaliseChatRequest } from '../src/core/normalise.js';
import { createAdapter } from '../providers/index.js';
import { nodeArgsFor } from './lib/compile.js';
import { listeningPort, spawnPinned } from './lib/proc.js';
import { fmt, percentile, table } from './lib/stats.js';

const N = Number(process.env.BENCH_ADAPTERS_N ?? 3000);
const CONCURRENCY = 16;
const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say something short.' }] };

type Call = (stream: boolean) => Promise<void>;

async function measure(call: Call, stream: boolean) {
  for (let i = 0; i < 200; i++) await call(stream); // warm-up: JIT, pools
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < N) {
        const s = performance.now();
        await call(stream);
        lat.push(performance.now() - s);
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUsPerCall: (cpu.user + cpu.system) / N, rps: (N / wall) * 1000, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const { args } = await nodeArgsFor('bench/lib/upstream-server.ts');
  let port: number | undefined;
  const upstream = await spawnPinned(1, process.execPath, args, { ready: (line) => (port = listeningPort(line)) !== undefined });
  const baseURL = `http://127.0.0.1:${port}/v1`;
  try {
    const sdk = new OpenAI({ apiKey: 'sk-bench', baseURL, maxRetries: 0 });
    const sdkCall: Call = async (stream) => {
      if (!stream) {
        await sdk.chat.completions.create(body);
        return;
      }
      for await (const _ of await sdk.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } })) void _;
    };
    const cfg = configSchema.parse({ providers: { openai: { kind: 'openai', baseUrl: baseURL, apiKey: 'sk-bench' } } });
    const adapter = createAdapter({ name: 'openai', ...cfg.providers.openai });
    const target = { provider: 'openai', upstreamModel: 'gpt-4o-mini' };
    const plain = normaliseChatRequest(body);
    const streamed = normaliseChatRequest({ ...body, stream: true });
    const signal = new AbortController().signal;
    const ourCall: Call = async (stream) => {
      if (!stream) {
        await adapter.complete(plain, target, signal);
        return;
      }
      for await (const _ of await adapter.stream(streamed, target, signal)) void _;
    };

    const rows: string[][] = [];
    for (const stream of [false, true]) {
      const a = await measure(sdkCall, stream);
      const b = await measure(ourCall, stream);
      for (const [name, m] of [['openai SDK (fetch)', a], ['adapter on undici Pool', b]] as const) {
        rows.push([stream ? 'stream' : 'json', name, fmt(m.cpuUsPerCall, 0), fmt(m.rps, 0), fmt(m.p50, 3), fmt(m.p99, 3)]);
      }
      rows.push([stream ? 'stream' : 'json', 'ratio SDK / adapter', fmt(a.cpuUsPerCall / b.cpuUsPerCall, 2) + '×', fmt(a.rps / b.rps, 2) + '×', '', '']);
    }
    await adapter.close();
    const markdown =
      table(['mode', 'client', 'CPU µs / call', 'calls/s', 'p50 ms', 'p99 ms'], rows) +
      `\n\nMethod: ${N} calls per row at concurrency ${CONCURRENCY} from this process, after 200 warm-up calls; CPU is this ` +
      'process only (the upstream runs in a pinned child). Both decode the same JSON/SSE; the adapter also parses every chunk.';
    return { title: 'Adapter transport: official SDK vs shared undici transport', markdown };
  } finally {
    await upstream.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.log(`## ${r.title}\n\n${r.markdown}`);
}
