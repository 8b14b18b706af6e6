/**
 * CPU per request of each ingress (issue 19.8) against chat completions: one gateway in this process over the
 * fake upstream (logs off), every API answered by the same OpenAI chat target (messages and responses are
 * translated both ways; embeddings go to the fake's embeddings endpoint), JSON and streamed, rounds interleaved
 * API by API. The figure is this process's CPU (client + gateway + fake upstream) per request; the ratio to
 * chat is the added cost of the ingress, since everything else is the same work.
 * Run alone: `npx tsx bench/ingress.ts` (BENCH_INGRESS_N requests per API and mode, default 3000).
 */
import { Writable } from 'node:stream';
import { configSchema } from '../src/config/schema.js';
import { createLogger } from '../src/logger.js';
import { startGateway } from '../src/server.js';
import { startFakeUpstream } from '../test/fakes/fake-upstream.js';

const N = Number(process.env.BENCH_INGRESS_N ?? 3000);
const ROUNDS = 6;
const CONCURRENCY = 8;
const KEY = 'gw-bench-ingress-key-0123456789abcdefghijklmnop';

type Api = 'chat' | 'messages' | 'responses' | 'embeddings';
const question = 'Give me three short facts about the moon.';
const requests: Record<Api, (stream: boolean) => { path: string; body: unknown }> = {
  chat: (stream) => ({ path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: question }], max_tokens: 200, stream } }),
  messages: (stream) => ({ path: '/v1/messages', body: { model: 'gpt-4o-mini', system: 'Be brief.', messages: [{ role: 'user', content: question }], max_tokens: 200, stream } }),
  responses: (stream) => ({ path: '/v1/responses', body: { model: 'gpt-4o-mini', instructions: 'Be brief.', input: question, max_output_tokens: 200, store: false, stream } }),
  embeddings: () => ({ path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: question } }),
};

export async function run(): Promise<{ title: string; markdown: string }> {
  const upstream = await startFakeUpstream({ record: false });
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  const config = configSchema.parse({
    server: { host: '127.0.0.1', port: 0, logLevel: 'silent' },
    state: { kind: 'sqlite', dataDir: ':memory:' },
    providers: { openai: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-bench', timeouts } },
    models: {
      'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 },
      'text-embedding-3-small': { provider: 'openai', upstream: 'text-embedding-3-small', price: { input: '0.02', output: '0' }, contextWindow: 8192 },
    },
    teams: { bench: { allowedModels: ['*'] } },
    keys: [{ id: 'bench', team: 'bench', key: KEY }],
  });
  const gw = await startGateway(config, createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() })), '(bench)');
  const call = async (api: Api, stream: boolean) => {
    const { path, body } = requests[api](stream);
    const res = await fetch(gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`${api} ${stream ? 'stream' : 'json'}: HTTP ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const batch = async (api: Api, stream: boolean, n: number) => {
    let next = 0;
    const cpu0 = process.cpuUsage();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next++ < n) await call(api, stream); }));
    const c = process.cpuUsage(cpu0);
    return c.user + c.system;
  };
  const cases: [Api, boolean][] = [['chat', false], ['messages', false], ['responses', false], ['embeddings', false], ['chat', true], ['messages', true], ['responses', true]];
  const cpu = new Map<string, number>();
  try {
    for (const [api, stream] of cases) await batch(api, stream, 200); // warm-up: JIT, pools, caches
    const per = Math.ceil(N / ROUNDS);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [api, stream] of cases) cpu.set(`${api}:${stream}`, (cpu.get(`${api}:${stream}`) ?? 0) + (await batch(api, stream, per)));
    }
    const usPer = (api: Api, stream: boolean) => cpu.get(`${api}:${stream}`)! / (per * ROUNDS);
    const rows = cases.map(([api, stream]) => {
      const us = usPer(api, stream);
      return `| ${api} | ${stream ? 'stream' : 'JSON'} | ${us.toFixed(0)} | ${(us / usPer('chat', stream)).toFixed(2)} |`;
    });
    const markdown = [
      '| API | answer | CPU µs / request | vs chat |',
      '|---|---|---:|---:|',
      ...rows,
      '',
      `${per * ROUNDS} requests per row in ${ROUNDS} interleaved rounds, ${CONCURRENCY} concurrent, one process (client + gateway + fake upstream, logs off); every API on the same OpenAI chat target (messages and responses translated both ways), embeddings on the fake's embeddings endpoint. \`npx tsx bench/ingress.ts\`.`,
    ].join('\n');
    return { title: 'Ingress CPU per request (issue 19.8)', markdown };
  } finally {
    await gw.close();
    await upstream.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { title, markdown } = await run();
  console.log(`## ${title}\n\n${markdown}`);
}
