/**
 * What the gateway adds to a tool call: N sequential calls of a trivial tool straight to an SDK-built Streamable
 * HTTP server, then through /mcp (auth, allow-lists, rate limit, budget hold and settlement, PII and injection
 * guards on, audit line, metrics). Not a test; run: `npx tsx test/mcp/measure-overhead.ts [N]`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFakeUpstream } from '../fakes/fake-upstream.js';
import { TEST_KEY, startTestGateway } from '../helpers/test-gateway.js';
import { startUpstreamMcp } from './upstream-server.js';

const N = Number(process.argv[2] ?? 500);

async function timeCalls(url: string, name: string, headers: Record<string, string> = {}): Promise<number[]> {
  const client = new Client({ name: 'measure', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  for (let i = 0; i < 50; i++) await client.callTool({ name, arguments: { text: 'warm up' } });
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await client.callTool({ name, arguments: { text: `Please summarise ticket ${i} for the support team` } });
    ms.push(performance.now() - t0);
  }
  await client.close();
  return ms.sort((a, b) => a - b);
}

const q = (ms: number[], p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);

const llm = await startFakeUpstream();
const docs = await startUpstreamMcp();
const gw = await startTestGateway(llm, {
  server: { logLevel: 'warn' },
  teams: { default: { budgets: [{ period: 'monthly', usd: '1000' }], policy: { guards: { pii: { enabled: true }, injection: { enabled: true } } } } },
  keys: [{ id: 'test', team: 'default', key: TEST_KEY }],
  extra: { mcp: { servers: { docs: { url: docs.url, pricePerCall: '0.0001', rateLimit: { rpm: 1_000_000 } } } } },
});
const direct = await timeCalls(docs.url, 'echo');
const via = await timeCalls(`${gw.url}/mcp`, 'docs__echo', { authorization: `Bearer ${TEST_KEY}` });
console.log(`${N} sequential tool calls (ms)   p50     p90     p99`);
console.log(`direct to the server          ${q(direct, 0.5).padStart(6)}  ${q(direct, 0.9).padStart(6)}  ${q(direct, 0.99).padStart(6)}`);
console.log(`through /mcp (all governance) ${q(via, 0.5).padStart(6)}  ${q(via, 0.9).padStart(6)}  ${q(via, 0.99).padStart(6)}`);
await gw.close();
await docs.close();
await llm.close();
