/**
 * Faults with nothing lost. Steady traffic (streaming and not) through a gateway process on a persistent Redis,
 * while clients abort at random, the upstream fails at random (500s, connection resets, hangs that hit small
 * timeouts, slow streams) and Redis is killed and restarted mid-run (AOF, fsync always, so data survives).
 *
 * "Sum of settled usage" is computed from the gateway's own per-request log lines (`msg: "chat completion"`,
 * one per admitted request, carrying `tokens` and `costMicros` — the figures `finishChat` settles and writes to
 * the ledger). A settlement or ledger write that cannot reach Redis is deferred (`… deferred: state store
 * unavailable`) and retried until it lands (`deferred accounting write landed`); the test waits until every
 * deferred write has landed, then nothing may be missing:
 *   ledger (store.queryUsage)  == Σ log lines        (exactly)
 *   budget spent               == Σ log lines        (exactly)
 *   budget reserved            == 0                  (now, and after every lease)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeBehaviour, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../state/redis-server.js';
import { createRng } from '../helpers/hostile-values.js';
import { ledgerTotals, logLines, METERED_BUDGETS, METERED_KEY, openOpsStore, readSse, writeOpsConfig, type OpsState } from './ops-harness.js';

const available = redisServerAvailable();
if (!available.ok) console.warn(`skipping fault tests: ${available.reason}`);

const SEED = Number(process.env.FAULT_SEED ?? 7);
const RUN_MS = 12_000;
const WORKERS = 6;
const TIMEOUTS = { connectMs: 1000, firstByteMs: 800, idleMs: 800, totalMs: 4000 };
/** The gateway's lease: provider totalMs + 60 s (src/pipeline/admission.ts). */
const LEASE_MS = TIMEOUTS.totalMs + 60_000;

function randomFault(rng: ReturnType<typeof createRng>): FakeBehaviour {
  const r = rng.next();
  if (r < 0.55) return {};
  if (r < 0.65) return { status: 500 };
  if (r < 0.72) return { resetAfterEvents: 1 + rng.int(4) };
  if (r < 0.76) return { hang: 'before-headers' };
  if (r < 0.8) return { hang: 'mid-stream' };
  if (r < 0.85) return { status: 429, headers: { 'retry-after': '0' } };
  return { chunkDelayMs: 20 + rng.int(40) };
}

describe.skipIf(!available.ok)('faults under steady traffic: the ledger equals settled usage', () => {
  let redis: RedisServer;
  let upstream: FakeUpstream;
  let gw: GatewayProcess;
  let state: OpsState;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-faults-'));
    redis = await startRedisServer({ dir });
    upstream = await startFakeUpstream({ record: false });
    state = { kind: 'redis', redisUrl: redis.url };
    const file = writeOpsConfig(dir, 'faults.yaml', upstream, state);
    // Small provider timeouts so hangs end quickly; fail closed so nothing is served unmetered.
    const { parse, stringify } = await import('yaml');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const cfg = parse(readFileSync(file, 'utf8'));
    for (const p of Object.values(cfg.providers) as any[]) p.timeouts = TIMEOUTS;
    cfg.state.failMode = 'closed';
    // Breakers would turn the injected faults into a long run of fast 503s; this test is about accounting.
    cfg.routing = { breaker: { enabled: false } };
    writeFileSync(file, stringify(cfg));
    gw = await startGatewayProcess(file);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
    await redis?.stop();
  });

  it('random aborts, upstream faults and a Redis restart: nothing lost, nothing double-counted, no hold left', async () => {
    const rng = createRng(SEED);
    upstream.enqueue(...Array.from({ length: 5000 }, () => randomFault(rng)));
    const statuses = new Map<string, number>();
    const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
    let sent = 0;
    let window503: [number, number] | undefined;
    const started = performance.now();

    const one = async () => {
      const stream = rng.chance(0.5);
      const ac = new AbortController();
      const abortAfter = rng.chance(0.15) ? 20 + rng.int(300) : undefined;
      const timer = abortAfter === undefined ? undefined : setTimeout(() => ac.abort(), abortAfter);
      sent++;
      try {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${METERED_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: rng.chance(0.7) ? 'gpt-4o-mini' : 'claude-haiku-4-5',
            stream,
            ...(stream ? { stream_options: { include_usage: true } } : {}),
            messages: [{ role: 'user', content: `request ${sent}: tell me something about faults and ledgers` }],
            max_tokens: 64,
          }),
          signal: ac.signal,
        });
        if (stream && res.status === 200) {
          const frames = await readSse(res);
          count(frames.at(-1) === '[DONE]' ? 'stream-done' : 'stream-error-frame');
        } else {
          const text = await res.text();
          const code = res.status >= 400 ? (JSON.parse(text).error?.code ?? '') : '';
          count(code ? `${res.status} ${code}` : String(res.status));
          if (res.status === 503) (window503 ??= [performance.now() - started, 0])[1] = performance.now() - started;
          // While Redis is away the gateway refuses fast (fail closed); back off like a client would.
          if (res.status === 503) await new Promise((r) => setTimeout(r, 100));
        }
      } catch {
        count(ac.signal.aborted ? 'client-abort' : 'client-error');
      } finally {
        clearTimeout(timer);
      }
    };

    // Redis is killed (SIGKILL) a third of the way in and comes back 1.5 s later.
    const restart = (async () => {
      await new Promise((r) => setTimeout(r, RUN_MS / 3));
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await redis.start();
    })();
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (performance.now() - started < RUN_MS) await one();
    }));
    await restart;
    console.log('503s from', window503?.map((t) => `${(t / 1000).toFixed(1)} s`).join(' to '));
    // Let the last pipelines finish (finishChat runs after the response), the gateway reconnect, and every
    // accounting write deferred during the outage land.
    await new Promise((r) => setTimeout(r, 1500));
    // Deferral is logged once per burst (not per request); the queue says when every deferred write landed.
    const drained = () => logLines(gw.output()).filter((l) => l.msg === 'deferred accounting writes all landed');
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && drained().length === 0; await new Promise((r) => setTimeout(r, 250)));
    await new Promise((r) => setTimeout(r, 300));

    const logs = logLines(gw.output());
    const lines = logs.filter((l) => l.msg === 'chat completion' && l.team === 'metered');
    const bursts = drained();
    expect(bursts.length).toBeGreaterThan(0);
    for (const b of bursts) expect(b.landed + b.nothingToSettle).toBe(b.deferred);
    // The outage is logged in a few lines, not one per request.
    expect(logs.filter((l) => /deferred: state store unavailable|unavailable during authentication/.test(l.msg)).length).toBeLessThanOrEqual(8);
    // No accounting write failed for good or was dropped (the outage's own 503 errors are expected).
    expect(logs.filter((l) => /accounting|settlement|ledger/.test(l.msg) && l.level >= 50).map((l) => l.msg)).toEqual([]);
    const sum = (ls: typeof lines) =>
      ls.reduce(
        (a, l) => ({
          requests: a.requests + 1,
          promptTokens: a.promptTokens + (l.tokens?.prompt ?? 0),
          completionTokens: a.completionTokens + (l.tokens?.completion ?? 0),
          costMicros: a.costMicros + (l.costMicros ?? 0),
        }),
        { requests: 0, promptTokens: 0, completionTokens: 0, costMicros: 0 },
      );
    const byLogStatus = new Map<number, number>();
    for (const l of lines) byLogStatus.set(l.status, (byLogStatus.get(l.status) ?? 0) + 1);
    console.log(`faults seed ${SEED}: ${sent} requests in ${RUN_MS / 1000} s; client saw`, Object.fromEntries([...statuses].sort()));
    console.log('gateway logged statuses', Object.fromEntries([...byLogStatus].sort((a, b) => a[0] - b[0])), `accounting writes deferred during the outage and landed later: ${bursts.reduce((n, b) => n + b.deferred, 0)}`);

    // The run really exercised the faults.
    expect(lines.length).toBeGreaterThan(50);
    expect(byLogStatus.get(200) ?? 0).toBeGreaterThan(10);
    expect(byLogStatus.get(499) ?? 0).toBeGreaterThan(0);
    expect([...byLogStatus.keys()].some((s) => s >= 502)).toBe(true);
    expect(gw.child.exitCode).toBeNull();

    const store = await openOpsStore(state);
    try {
      const ledger = await ledgerTotals(store);
      expect(ledger).toEqual(sum(lines));
      const scopes = [{ scope: 'team:metered' as const, budgets: METERED_BUDGETS.map((b) => ({ period: b.period, tokens: b.tokens, usdMicros: Number(b.usd) * 1e6 })) }];
      const settled = sum(lines);
      const [now] = await store.getBudgetStatus(scopes, { teamId: 'metered' });
      expect(now.spentTokens).toBe(settled.promptTokens + settled.completionTokens);
      expect(now.spentMicros).toBe(settled.costMicros);
      // Every hold was settled (deferred ones included), so nothing is held now or after the leases.
      expect(now.reservedTokens).toBe(0);
      const [later] = await store.getBudgetStatus(scopes, { teamId: 'metered', now: Date.now() + LEASE_MS + 1000 });
      expect(later.reservedTokens).toBe(0);
      expect(later.reservedMicros).toBe(0);
    } finally {
      await store.close();
    }
  }, 90_000);
});
