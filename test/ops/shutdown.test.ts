/**
 * Graceful shutdown of a real gateway process (`src/cli.ts`): on SIGTERM it stops accepting connections, lets a
 * running stream finish within `server.shutdownGraceMs`, settles that stream's usage into the ledger, releases
 * its budget hold, and exits 0. A stream that outlasts the grace is cut at the deadline and still settled.
 * Runs on the embedded store (SQLite file) and on Redis.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../state/redis-server.js';
import { ledgerTotals, logLines, METERED_KEY, meteredBudget, openOpsStore, readSse, writeOpsConfig, type OpsState } from './ops-harness.js';

const redisOk = redisServerAvailable();
const GRACE_MS = 4000;
/** 16 words → 16 content events (+ role, finish and usage events) at 120 ms: about 2.3 s, well inside the grace. */
const PROMPT = 'please stream back these sixteen words slowly so that shutdown has to wait for them';

const streamRequest = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${METERED_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: PROMPT }], max_tokens: 200 }),
    // Own connection pool, so nothing else shares the stream's socket.
    dispatcher: new Agent(),
  } as RequestInit);

/** True when a fresh connection to the gateway is refused (or answered 503 while closing). */
async function refusesNewConnections(url: string): Promise<boolean> {
  const agent = new Agent({ connect: { timeout: 1000 } });
  try {
    const res = await fetch(`${url}/healthz`, { dispatcher: agent, signal: AbortSignal.timeout(2000) } as RequestInit);
    return res.status === 503;
  } catch {
    return true;
  } finally {
    await agent.close().catch(() => undefined);
  }
}

const backends: [string, boolean][] = [
  ['sqlite', true],
  ['redis', redisOk.ok],
];

describe.each(backends)('graceful shutdown on %s', (kind, available) => {
  let upstream: FakeUpstream;
  let redis: RedisServer | undefined;
  let dir: string;
  let state: OpsState;

  beforeAll(async () => {
    if (!available) return;
    dir = mkdtempSync(join(tmpdir(), `gw-shutdown-${kind}-`));
    upstream = await startFakeUpstream();
    if (kind === 'redis') {
      redis = await startRedisServer({ dir });
      state = { kind: 'redis', redisUrl: redis.url };
    } else state = { kind: 'sqlite', dataDir: join(dir, 'data') };
  }, 30_000);
  afterAll(async () => {
    await upstream?.close();
    await redis?.stop();
  });

  it.skipIf(!available)('SIGTERM: refuses new connections, finishes the running stream, settles it, exits 0', async () => {
    const gw = await startGatewayProcess(writeOpsConfig(dir, 'finish.yaml', upstream, state, { shutdownGraceMs: GRACE_MS }));
    upstream.enqueue({ chunkDelayMs: 120 });
    const res = await streamRequest(gw.url);
    expect(res.status).toBe(200);
    let signalledAt = 0;
    let refused: Promise<boolean> | undefined;
    const exit = new Promise<number | null>((resolve) => gw.child.once('exit', (code) => resolve(code)));
    const frames = await readSse(res, () => {
      if (signalledAt) return;
      // First frame arrived: the stream is running. Now ask the process to stop.
      signalledAt = performance.now();
      gw.child.kill('SIGTERM');
      refused = new Promise((r) => setTimeout(r, 200)).then(() => refusesNewConnections(gw.url));
    });
    const streamEndedAfterMs = performance.now() - signalledAt;
    expect(await refused).toBe(true);
    // The whole answer arrived, ending with [DONE]: the stream was not cut.
    expect(frames.at(-1)).toBe('[DONE]');
    const usageFrame = JSON.parse(frames.at(-2)!);
    expect(usageFrame.usage.completion_tokens).toBeGreaterThanOrEqual(16);
    const text = frames.slice(0, -1).map((f) => JSON.parse(f).choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe(`Hello from gpt-4o-mini: ${PROMPT}`);
    expect(streamEndedAfterMs).toBeGreaterThan(1000); // it really was still running when SIGTERM came

    expect(await exit).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(GRACE_MS + 3000);

    const logs = logLines(gw.output());
    const line = logs.find((l) => l.msg === 'chat completion');
    expect(line).toMatchObject({ status: 200, stream: true, tokens: { completion: usageFrame.usage.completion_tokens } });
    expect(logs.some((l) => l.level >= 50)).toBe(false); // no "settlement failed" / "ledger write failed"

    const store = await openOpsStore(state);
    try {
      const ledger = await ledgerTotals(store);
      expect(ledger).toEqual({
        requests: 1,
        promptTokens: usageFrame.usage.prompt_tokens,
        completionTokens: usageFrame.usage.completion_tokens,
        costMicros: line!.costMicros,
      });
      const budget = await meteredBudget(store);
      expect(budget.reservedTokens).toBe(0);
      expect(budget.reservedMicros).toBe(0);
      expect(budget.spentTokens).toBe(usageFrame.usage.total_tokens);
      expect(budget.spentMicros).toBe(line!.costMicros);
    } finally {
      await store.close();
    }
  }, 60_000);

  // Cut streams settle before the store closes: server.ts waits for in-flight pipelines (and deferred writes).
  it.skipIf(!available)('a stream that outlasts the grace is cut at the deadline, settled, and the process still exits 0', async () => {
    const grace = 1500;
    const before = await (async () => {
      const s = await openOpsStore(state);
      try {
        return { ledger: await ledgerTotals(s), budget: await meteredBudget(s) };
      } finally {
        await s.close();
      }
    })();
    const gw = await startGatewayProcess(writeOpsConfig(dir, 'cut.yaml', upstream, state, { shutdownGraceMs: grace }));
    // Four streams of about 18 s each (one word a second): far past the grace. Several streams make the Redis
    // race deterministic enough: all of them must be settled for the test to pass.
    const STREAMS = 4;
    upstream.enqueue(...Array.from({ length: STREAMS }, () => ({ chunkDelayMs: 1000 })));
    const responses = await Promise.all(Array.from({ length: STREAMS }, () => streamRequest(gw.url)));
    for (const res of responses) expect(res.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => gw.child.once('exit', (code) => resolve(code)));
    let signalledAt = 0;
    let firstFrames = 0;
    const bodies = await Promise.all(
      responses.map((res) => {
        let seen = false;
        return readSse(res, () => {
          if (seen) return;
          seen = true;
          // Every stream is running: now ask the process to stop.
          if (++firstFrames === STREAMS) {
            signalledAt = performance.now();
            gw.child.kill('SIGTERM');
          }
        }).catch(() => ['(connection cut)']);
      }),
    );
    for (const frames of bodies) expect(frames).not.toContain('[DONE]'); // never a fake end on a truncated answer
    expect(await exit).toBe(0);
    const took = performance.now() - signalledAt;
    expect(took).toBeGreaterThan(grace - 100);
    expect(took).toBeLessThan(grace + 3000);

    const lines = logLines(gw.output()).filter((l) => l.msg === 'chat completion');
    expect(lines).toHaveLength(STREAMS);
    for (const l of lines) expect(l.status).not.toBe(200);
    const sum = (f: (l: Record<string, any>) => number) => lines.reduce((a, l) => a + f(l), 0);
    const store = await openOpsStore(state);
    try {
      const ledger = await ledgerTotals(store);
      expect(ledger.requests).toBe(before.ledger.requests + STREAMS);
      expect(ledger.completionTokens - before.ledger.completionTokens).toBe(sum((l) => l.tokens.completion));
      expect(ledger.costMicros - before.ledger.costMicros).toBe(sum((l) => l.costMicros));
      const budget = await meteredBudget(store);
      expect(budget.reservedTokens).toBe(0);
      expect(budget.spentTokens - before.budget.spentTokens).toBe(sum((l) => l.tokens.prompt + l.tokens.completion));
    } finally {
      await store.close();
    }
  }, 60_000);
});
