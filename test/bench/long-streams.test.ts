// The long-stream bench (bench/long-streams.ts) runs end to end on a tiny size and reports every field the
// issue asks for: CPU per 1,000 chunks, memory per open stream, chunk delay p50/p99, TTFC, errors, billing.
import { describe, expect, it } from 'vitest';
import { longOptionsFromEnv, longStreamsMarkdown, maxConcurrency, measureLongStreams } from '../../bench/long-streams.js';
import { msSince, sendStamp, STAMP } from '../../bench/lib/chunk-stamp.js';

describe('chunk stamps', () => {
  it('read back the time since they were made, in letters only', async () => {
    const s = sendStamp();
    expect(s).toMatch(/^[a-z]{7}$/);
    await new Promise((r) => setTimeout(r, 30));
    const ms = msSince(s);
    expect(ms).toBeGreaterThanOrEqual(25);
    expect(ms).toBeLessThan(2000);
    expect([...` alpha ~${s}~ bravo`.matchAll(STAMP)].map((m) => m[1])).toEqual([s]);
  });
});

describe('long-stream bench options', () => {
  it('default to the issue sizes, capped by the fd limit, and take env overrides', () => {
    const d = longOptionsFromEnv();
    expect(d.concurrency.slice(0, 3)).toEqual([200, 1000, 3000]);
    expect(d.concurrency[3]).toBe(maxConcurrency());
    expect(d.peers).toEqual(['direct', 'bare', 'portkey', 'gateway-off', 'gateway-core', 'gateway-all']);
    process.env.BENCH_LONG_FULL = '1';
    process.env.BENCH_LONG_C = '10,20';
    try {
      const full = longOptionsFromEnv();
      expect(full).toMatchObject({ concurrency: [10, 20], chunks: 500, gapMs: 20, rounds: 3 });
    } finally {
      delete process.env.BENCH_LONG_FULL;
      delete process.env.BENCH_LONG_C;
    }
  });
});

describe('long-stream bench, tiny run', () => {
  it('measures direct, the bare proxy and the gateway, and every gateway stream is billed', async () => {
    const r = await measureLongStreams({ concurrency: [6], chunks: 8, gapMs: 10, rounds: 1, peers: ['direct', 'bare', 'gateway-core'], log: () => {} });
    const [direct, bare, gateway] = r.results;
    for (const peer of r.results) {
      expect(peer.skip).toBeUndefined();
      const p = peer.phases[0]!;
      expect(p).toMatchObject({ concurrency: 6, streams: 6, ok: 6, errors: 0, chunks: 6 * 8 });
      expect(p.gapP50).toBeGreaterThanOrEqual(0);
      expect(p.gapP99).toBeGreaterThanOrEqual(p.gapP50);
      expect(p.ttfcP99).toBeGreaterThan(0);
    }
    expect(direct!.phases[0]!.cpuPer1000).toBeUndefined();
    for (const proxy of [bare!, gateway!]) {
      expect(proxy.phases[0]!.cpuPer1000).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(proxy.phases[0]!.kibPerStream)).toBe(true);
    }
    expect(bare!.note).toContain('no upstream socket cap');
    // Smoke streams + measured ones, each one row's worth in the ledger.
    expect(gateway!.billed).toEqual({ ledger: 3 + 6, ledgerErrors: 0, sent: 3 + 6, failed: 0 });
    const md = longStreamsMarkdown(r);
    expect(md).toContain('#### 6 concurrent streams');
    expect(md).toMatch(/CPU ms \/ 1,000 chunks .*KiB \/ open stream .*chunk delay p50 ms .*added p99 .*TTFC p50 \/ p99 ms .*errors \/ streams/);
    expect(md).toContain('every stream billed');
  }, 240_000);
});
