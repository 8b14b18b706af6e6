// The benchmark harness measures what it says: configs the gateway accepts, an open-loop generator that keeps
// its schedule, time to first chunk on real SSE, and targets that fail when missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { resolvePolicy } from '../../src/config/policy.js';
import { benchConfig } from '../../bench/peers/gateway-config.js';
import { PEERS, startUpstream } from '../../bench/peers/index.js';
import { closedLoop, createPool, openLoop, requestBody } from '../../bench/lib/load.js';
import { createPiiDetector } from '../../guards/pii/index.js';
import { percentile } from '../../bench/lib/stats.js';
import { overheadMarkdown, type PeerFigures, type PhaseFigures } from '../../bench/lib/overhead-report.js';
import { cpuMs, rssMb } from '../../bench/lib/proc.js';

describe('gateway bench config', () => {
  it('is a valid gateway config with the features the report claims', () => {
    const off = configSchema.parse(benchConfig('http://127.0.0.1:9', 'off', '/tmp/x', 0));
    const all = configSchema.parse(benchConfig('http://127.0.0.1:9', 'all', '/tmp/x', 0));
    expect(off.teams.default.budgets).toEqual([]);
    expect(resolvePolicy(off, {}).guards.pii.enabled).toBe(false);
    const policy = resolvePolicy(all, {});
    expect(policy.guards.pii.enabled).toBe(true);
    expect(policy.guards.injection.enabled).toBe(true);
    expect(policy.cache).toMatchObject({ mode: 'on', semantic: 'off' });
    expect(all.teams.default.budgets.length).toBe(2);
    expect(all.teams.default.rateLimits?.rpm).toBeGreaterThan(1_000_000);
    expect(all.keys[0].budgets.length).toBe(1);
  });
});

describe('bench requests', () => {
  it("stay unique after the PII guard, so the all-on gateway's cache misses every time", () => {
    const detector = createPiiDetector();
    const prompts = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const text: string = JSON.parse(requestBody(i % 2 === 0)).messages[1].content;
      const findings = detector.detect(text);
      // Only the customer's name and e-mail address are PII; the ticket reference must survive pseudonymisation.
      expect(findings.map((f) => `${f.category}:${text.slice(f.start, f.end)}`)).toEqual(['person:Jane Cooper', 'email:jane.cooper@example.com']);
      prompts.add(text);
    }
    expect(prompts.size).toBe(2000);
  });
});

describe('stats', () => {
  it('percentile by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('load generator against the bench upstream', () => {
  let up: Awaited<ReturnType<typeof startUpstream>>;
  beforeAll(async () => {
    up = await startUpstream();
  });
  afterAll(() => up.proc.stop());

  it('open loop sends rate × duration requests and measures time to first chunk before the stream ends', async () => {
    const target = { origin: `http://127.0.0.1:${up.port}`, path: '/v1/chat/completions', headers: {} };
    const pool = createPool(target, 16);
    const json = await openLoop(pool, target, { rate: 200, durationMs: 250, stream: false });
    expect(json.sent).toBe(50);
    expect(json.ok).toBe(50);
    // The schedule is kept: the phase takes about its duration, not the sum of latencies.
    expect(json.elapsedMs).toBeGreaterThanOrEqual(240);
    const streams = await openLoop(pool, target, { rate: 100, durationMs: 200, stream: true });
    expect(streams.errors).toBe(0);
    expect(streams.ttfc.length).toBe(streams.ok);
    // The upstream spaces its 9 chunks 1 ms apart: the first arrives well before the last.
    expect(percentile(streams.ttfc, 50) + 4).toBeLessThan(percentile(streams.latency, 50));
    await pool.close();
  });

  it('open loop counts a non-200 answer as an error', async () => {
    const target = { origin: `http://127.0.0.1:${up.port}`, path: '/v1/nope', headers: {} };
    const pool = createPool(target, 4);
    const r = await openLoop(pool, target, { rate: 100, durationMs: 50, stream: false });
    expect(r.ok).toBe(0);
    expect(r.errors).toBe(r.sent);
    expect(r.firstError).toMatch(/HTTP 404/);
    await pool.close();
  });

  it('closed loop reports throughput, and /proc figures of a pinned proxy are read', async () => {
    const bare = PEERS.find((p) => p.id === 'bare')!;
    const running = await bare.start(up.port);
    if ('skip' in running) throw new Error(running.skip);
    try {
      const c0 = cpuMs(running.proc!.pid);
      const r = await closedLoop(running.target, { connections: 4, durationMs: 300, stream: false });
      expect(r.errors).toBe(0);
      // How many fit in 300 ms depends on the machine's load (a timed test would flake): that it counted them does not.
      expect(r.ok).toBeGreaterThan(0);
      expect(r.latency).toHaveLength(r.ok);
      expect(cpuMs(running.proc!.pid)).toBeGreaterThan(c0);
      expect(rssMb(running.proc!.pid).rss).toBeGreaterThan(10);
    } finally {
      await running.proc!.stop();
    }
  });
});

describe('report', () => {
  const phase = (p50: number, p99: number, rps = 1000): PhaseFigures => ({ ok: 100, errors: 0, p50, p99, ttfc50: p50, ttfc99: p99, rps, elapsedMs: 1000, proxyCpuMs: 50, generatorCpuMs: 10 });
  const peer = (id: string, add: number, rps: number): PeerFigures => ({
    id,
    name: id,
    note: '',
    fixed: { 500: phase(1 + add, 2 + add), 1000: phase(1 + add, 2 + add) },
    stream: phase(1 + add, 2 + add),
    sat: phase(1, 1, rps),
  });
  it('marks a missed target as FAIL and a met one as pass', () => {
    const md = overheadMarkdown({
      peers: [peer('direct', 0, 10000), peer('bare', 0.2, 5000), peer('portkey', 5, 700), peer('gateway-core', 3, 3500)],
      pinned: true,
      quick: true,
      load: [[0, 0, 0], [0, 0, 0]],
    });
    expect(md).toMatch(/added p99 at 1,000 req\/s \| ≤ 1.5 ms \| 3.00 ms \| \*\*FAIL\*\*/);
    expect(md).toMatch(/saturation vs Portkey \| ≥ 4× \| 5.00× \| \*\*pass\*\*/);
    expect(md).toMatch(/saturation vs bare Node proxy \| ≥ 0.6× \| 0.70× \| \*\*pass\*\*/);
  });
});
