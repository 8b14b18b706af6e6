/**
 * Hostile input against a real gateway process: thousands of seeded malformed and adversarial requests to every
 * public route (chat, models, health, metrics, dashboard, admin), raw HTTP framing attacks, and slow clients.
 * The gateway must never crash, never answer 5xx, never hang, keep its memory bounded, and answer every error in
 * OpenAI's envelope. Counts by status and kind are printed. FUZZ_SEED and FUZZ_CASES reproduce or widen a run.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { writeFileSync } from 'node:fs';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { baseConfig, TEST_KEY } from '../helpers/test-gateway.js';
import { envelopeProblem } from '../helpers/error-envelopes.js';
import { createRng } from '../helpers/hostile-values.js';
import { nextCase, rawHttpCases, type FuzzCase } from './fuzz-cases.js';
import { pieces, rawRequest } from './raw-http.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const CASES = Number(process.env.FUZZ_CASES ?? 5000);
const BODY_LIMIT = 1024 * 1024;
const ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef';
const PER_REQUEST_MS = 15_000;
const keys = { apiKey: TEST_KEY, adminToken: ADMIN_TOKEN };

/** Resident set size of a process from /proc (Linux); undefined elsewhere. */
function rssBytes(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one SSE body: error frames are envelopes; a stream that did not fail ends with [DONE]. */
function sseProblem(text: string): string | undefined {
  const frames = text.split('\n\n').filter(Boolean).map((f) => f.replace(/^data: /, ''));
  for (const f of frames) if (f !== '[DONE]' && f.startsWith('{"error"')) return envelopeProblem(f);
  return frames.at(-1) === '[DONE]' ? undefined : `stream neither [DONE] nor error: ${text.slice(-120)}`;
}

describe('fuzz: hostile input to every public route', () => {
  let upstream: FakeUpstream;
  let gw: GatewayProcess;
  let pool: Pool;
  let port: number;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ record: false });
    const dir = mkdtempSync(join(tmpdir(), 'gw-fuzz-'));
    const cfg = baseConfig(upstream, { server: { logLevel: 'warn', adminToken: ADMIN_TOKEN, bodyLimitBytes: BODY_LIMIT } });
    const file = join(dir, 'fuzz.yaml');
    writeFileSync(file, stringify(cfg));
    gw = await startGatewayProcess(file);
    port = Number(new URL(gw.url).port);
    pool = new Pool(gw.url, { connections: 16, headersTimeout: PER_REQUEST_MS, bodyTimeout: PER_REQUEST_MS });
  }, 60_000);
  afterAll(async () => {
    await pool?.close().catch(() => undefined);
    await gw?.stop();
    await upstream?.close();
  });

  it(`${CASES} seeded requests (seed ${SEED}): no crash, no 5xx, no hang, bounded memory, envelopes everywhere`, async () => {
    const rng = createRng(SEED);
    const cases: FuzzCase[] = Array.from({ length: CASES }, () => nextCase(rng, keys, BODY_LIMIT));
    const byStatus = new Map<string, number>();
    const byKind = new Map<string, Map<number, number>>();
    const failures: string[] = [];
    let clientRefused = 0;

    const send = async (c: FuzzCase) => {
      let status: number;
      let text = '';
      let type = '';
      try {
        const res = await pool.request({ method: c.method as any, path: c.path, headers: c.headers, body: c.body, signal: AbortSignal.timeout(PER_REQUEST_MS) });
        status = res.statusCode;
        type = String(res.headers['content-type'] ?? '');
        text = await res.body.text();
      } catch (err) {
        const e = err as Error & { code?: string };
        // undici refuses some inputs before sending (e.g. invalid header characters): not the gateway's doing.
        if (e.code === 'UND_ERR_INVALID_ARG' || e.name === 'InvalidArgumentError') return void clientRefused++;
        failures.push(`${c.kind} ${c.method} ${c.path.slice(0, 60)}: ${e.code ?? e.name} ${e.message}`);
        status = -1;
      }
      byStatus.set(String(status), (byStatus.get(String(status)) ?? 0) + 1);
      const k = byKind.get(c.kind) ?? new Map<number, number>();
      k.set(status, (k.get(status) ?? 0) + 1);
      byKind.set(c.kind, k);
      if (status >= 500) failures.push(`${c.kind} ${c.method} ${c.path.slice(0, 60)} → ${status} ${text.slice(0, 200)}`);
      if (status >= 400 && c.method !== 'HEAD') {
        const problem = envelopeProblem(text);
        if (problem) failures.push(`${c.kind} ${c.method} ${c.path.slice(0, 60)} → ${status}: ${problem}`);
      }
      if (status === 200 && type.startsWith('text/event-stream')) {
        const problem = sseProblem(text);
        if (problem) failures.push(`${c.kind} stream: ${problem}`);
      }
    };
    const runAll = async (list: FuzzCase[]) => {
      let next = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < list.length) await send(list[next++]);
      }));
    };

    const warm = Math.floor(CASES / 10);
    await runAll(cases.slice(0, warm));
    const rssBefore = rssBytes(gw.child.pid!);
    const t0 = performance.now();
    await runAll(cases.slice(warm));
    const seconds = (performance.now() - t0) / 1000;
    const rssAfter = rssBytes(gw.child.pid!);

    console.log(`fuzz seed ${SEED}: ${CASES} requests in ${seconds.toFixed(1)} s (after ${warm} warm-up); undici refused ${clientRefused}`);
    console.log('by status:', Object.fromEntries([...byStatus].sort()));
    console.log('by kind:', Object.fromEntries([...byKind].sort().map(([k, m]) => [k, Object.fromEntries([...m].sort((a, b) => a[0] - b[0]))])));
    if (rssBefore && rssAfter) console.log(`gateway RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB → ${(rssAfter / 2 ** 20).toFixed(0)} MB`);

    expect(failures.slice(0, 20)).toEqual([]);
    expect(gw.child.exitCode).toBeNull();
    const health = await fetch(`${gw.url}/healthz`, { signal: AbortSignal.timeout(2000) });
    expect(health.status).toBe(200);
    // Bounded: the bodies are up to 1 MB and 16 run at once; growth past that would be a leak.
    if (rssBefore && rssAfter) expect(rssAfter - rssBefore).toBeLessThan(150 * 2 ** 20);
    // The fuzzer reached the pipeline, not only the parsers: some requests were valid and answered.
    expect(byStatus.get('200') ?? 0).toBeGreaterThan(CASES / 20);
    expect(byStatus.get('400') ?? 0).toBeGreaterThan(CASES / 10);
  }, 120_000);

  it('HTTP framing attacks get a 4xx or a closed connection, never a hang or a crash', async () => {
    const results: string[] = [];
    for (const c of rawHttpCases(keys)) {
      const r = await rawRequest(port, [c.bytes], { deadlineMs: 5000 });
      results.push(`${c.kind}: ${r.status || 'closed'}`);
      expect(r.timedOut, c.kind).toBe(false);
      // Node answers some of these itself (e.g. duplicate identical content-length is allowed by RFC 9112).
      expect([0, 200, 400, 401, 404, 413, 431, 501, 505], `${c.kind} → ${r.status}`).toContain(r.status);
    }
    console.log('framing:', results.join(', '));
    expect(gw.child.exitCode).toBeNull();
  }, 60_000);

  // Errors raised before routing (Node's HTTP parser, malformed URL escapes, over-long path parameters) bypass
  // Fastify's error handler; createApp's clientErrorHandler and frameworkErrors write the envelope for them.
  it('errors raised before routing (HTTP framing, bad URL escapes, long params) use the OpenAI envelope too', async () => {
    const head = (line: string) => Buffer.from(`${line}\r\nhost: x\r\nauthorization: Bearer ${ADMIN_TOKEN}\r\nconnection: close\r\n\r\n`);
    const extra = [
      { kind: 'bad-url-escape', bytes: head('GET /v1/models/%E0%A4%A HTTP/1.1') },
      { kind: 'long-param', bytes: head(`GET /admin/teams/${'i'.repeat(300)} HTTP/1.1`) },
    ];
    const problems: string[] = [];
    for (const c of [...rawHttpCases(keys), ...extra]) {
      const r = await rawRequest(port, [c.bytes], { deadlineMs: 5000 });
      const problem = r.status >= 400 ? envelopeProblem(r.body) : undefined;
      if (problem) problems.push(`${c.kind} → ${r.status}: ${problem}`);
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('slow clients (slowloris headers and trickled bodies) do not stall anyone else', async () => {
    const body = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }], max_tokens: 5 }));
    const head = Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TEST_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
    // 20 bodies trickled 8 bytes per 100 ms, 20 heads trickled 16 bytes per 100 ms: ~1.5–2 s each.
    const slow = [
      ...Array.from({ length: 20 }, () => rawRequest(port, [head, ...pieces(body, 8)], { gapMs: 100, deadlineMs: 10_000 })),
      ...Array.from({ length: 20 }, () => rawRequest(port, pieces(Buffer.concat([head, body]), 16), { gapMs: 100, deadlineMs: 10_000 })),
    ];
    // Meanwhile ordinary requests are answered promptly.
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5000),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
    }
    const done = await Promise.all(slow);
    expect(done.map((r) => r.status)).toEqual(done.map(() => 200));
    expect(Math.max(...latencies)).toBeLessThan(1500);
  }, 60_000);
});
