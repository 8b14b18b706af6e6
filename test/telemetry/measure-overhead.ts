/**
 * What tracing adds to a request: N sequential non-streamed chat requests through a gateway with tracing off,
 * then on (every request sampled, exported to a local OTLP/HTTP receiver), against the same fake upstream. Reports
 * the median and p95 of the gateway's own time (`server-timing: gateway;dur`, upstream waits excluded) and of
 * the client-seen latency. Not a test; run: `npx tsx test/telemetry/measure-overhead.ts [N]`.
 */
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY } from '../helpers/test-gateway.js';
import { startOtlpReceiver } from './otlp-receiver.js';

const N = Number(process.argv[2] ?? 500);

async function run(upstream: FakeUpstream, traces: Record<string, unknown>) {
  const gw = await startTestGateway(upstream, { server: { logLevel: 'warn' }, extra: { telemetry: { traces } } });
  const gatewayMs: number[] = [];
  const totalMs: number[] = [];
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Measure me.' }] });
  const headers = { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' };
  for (let i = 0; i < N + 50; i++) {
    const t0 = performance.now();
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body });
    await res.text();
    if (i < 50) continue; // warm-up
    totalMs.push(performance.now() - t0);
    gatewayMs.push(Number(/gateway;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1]));
  }
  await gw.close();
  return { gatewayMs, totalMs };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

const upstream = await startFakeUpstream({ record: false });
const receiver = await startOtlpReceiver();
const off = await run(upstream, { enabled: false });
const on = await run(upstream, { enabled: true, endpoint: receiver.endpoint });
console.log(`N=${N} sequential chat requests; spans received: ${receiver.spans.length}`);
for (const [name, r] of [['off', off], ['on', on]] as const) {
  console.log(
    `tracing ${name}: gateway overhead p50 ${pct(r.gatewayMs, 0.5).toFixed(3)} ms, p95 ${pct(r.gatewayMs, 0.95).toFixed(3)} ms; client latency p50 ${pct(r.totalMs, 0.5).toFixed(3)} ms, p95 ${pct(r.totalMs, 0.95).toFixed(3)} ms`,
  );
}
await receiver.close();
await upstream.close();
