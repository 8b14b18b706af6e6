/**
 * Issue 18.2: no client input gets a 5xx. Seeded, bounded fuzz run in-process (Fastify inject, no sockets to the
 * gateway) over every route the app registers, against a gateway whose teams have USD and token budgets, RPM and
 * TPM limits (a generous team the fuzzer mostly uses, a tight one that refuses often), a fake upstream behind it.
 * Asserts: no response ≥ 500, no unhandled error, every error body in OpenAI's envelope, streams well formed,
 * and the gateway still serves afterwards. FUZZ_SEED and FUZZ_CASES reproduce or widen a run.
 *
 * test/ops/fuzz.test.ts fuzzes a spawned process over real sockets (framing, slow clients, memory); this one is
 * the fast, wide one: 10,000+ cases in well under a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { applyConfig } from '../../src/bootstrap.js';
import { createApp } from '../../src/http/app.js';
import { warmRequestSchema } from '../../src/core/request-schema.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { baseConfig, TEST_KEY } from '../helpers/test-gateway.js';
import { anthropicEnvelopeProblem, envelopeProblem, jsonRpcEnvelopeProblem } from '../helpers/error-envelopes.js';
import { createRng } from '../helpers/hostile-values.js';
import { nextInjectCase, registeredRoutes, type InjectCase, type Route } from './hostile-cases.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const CASES = Number(process.env.FUZZ_CASES ?? 10_500);
const CONCURRENCY = 16;
const BODY_LIMIT = 1024 * 1024;
const TIGHT_KEY = 'gw-fuzz-tight-key-0123456789abcdefghijklmnopqr';
const VICTIM_KEY = 'gw-fuzz-victim-key-0123456789abcdefghijklmnopq';
const secrets = { apiKeys: [TEST_KEY, TEST_KEY, TEST_KEY, TIGHT_KEY], adminToken: 'fuzz-admin-token-0123456789abcdef', metricsToken: 'fuzz-metrics-token-0123456789abcd' };

/** Checks one SSE body: error frames are envelopes; a stream that did not fail ends with [DONE]. */
function sseProblem(text: string): string | undefined {
  const frames = text.split('\n\n').filter((f) => f.trim() && !f.startsWith(':')).map((f) => f.replace(/^data: /, ''));
  for (const f of frames) if (f.startsWith('{"error"')) return envelopeProblem(f);
  return frames.at(-1) === '[DONE]' ? undefined : `stream neither [DONE] nor error: ${text.slice(-120)}`;
}

describe('fuzz (in-process): hostile input to every registered route on a gateway with budgets and TPM limits', () => {
  let upstream: FakeUpstream;
  let rt: Runtime;
  let app: FastifyInstance;
  let routes: Route[];
  const errorLogs: string[] = [];

  beforeAll(async () => {
    upstream = await startFakeUpstream({ record: false });
    const config = configSchema.parse(
      baseConfig(upstream, {
        server: { logLevel: 'warn', adminToken: secrets.adminToken, bodyLimitBytes: BODY_LIMIT, metrics: { token: secrets.metricsToken } },
        teams: {
          default: {
            allowedModels: ['*'],
            budgets: [{ period: 'daily', usd: '1000.00' }, { period: 'monthly', tokens: 5_000_000_000 }],
            rateLimits: { rpm: 1_000_000, tpm: 100_000_000 },
            policy: { guards: { prompt: { deny: ['(a|aa)+$'] } } },
          },
          tight: {
            allowedModels: ['gpt-4o-mini'],
            budgets: [{ period: 'daily', usd: '0.01', softThreshold: 0.5 }, { period: 'lifetime', tokens: 20_000 }],
            rateLimits: { rpm: 600, tpm: 5_000 },
          },
          victim: { allowedModels: ['*'] },
        },
        keys: [
          { id: 'test', team: 'default', key: TEST_KEY, budgets: [{ period: 'weekly', usd: '500.00' }] },
          { id: 'tight-key', team: 'tight', key: TIGHT_KEY, rateLimits: { rpm: 300, tpm: 4_000 } },
          { id: 'victim-key', team: 'victim', key: VICTIM_KEY },
        ],
      }),
    );
    // Error-level log lines are collected: an `internal_error` logged without a 5xx would still be a defect.
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line.includes('"level":50') || line.includes('"level":60')) errorLogs.push(line.slice(0, 400));
        cb();
      },
    });
    const logger = createLogger('warn', sink);
    rt = await createRuntime({ config, logger });
    await applyConfig(config, rt.store, logger);
    warmRequestSchema();
    app = await createApp(rt);
    await app.ready();
    routes = registeredRoutes(app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await rt?.close();
    await upstream?.close();
  });

  it('reads every registered route from the app (a new route is fuzzed without editing the generator)', () => {
    const paths = routes.map((r) => r.path);
    for (const p of ['/v1/chat/completions', '/v1/models', '/v1/models/*', '/healthz', '/readyz', '/metrics', '/admin/teams/:id/policy', '/admin/keys/:id/rotate', '/admin/usage.csv', '/dashboard/api/summary', '/dashboard/assets/:name']) {
      expect(paths).toContain(p);
    }
  });

  it(`${CASES} seeded hostile requests (seed ${SEED}): 0 responses ≥ 500, envelopes on every error, still serving`, async () => {
    const rng = createRng(SEED);
    const cases: InjectCase[] = Array.from({ length: CASES }, () => nextInjectCase(rng, routes, secrets, BODY_LIMIT));
    const byStatus = new Map<number, number>();
    const byKind = new Map<string, Map<number, number>>();
    const failures: string[] = [];
    let refusedByInject = 0;

    const send = async (c: InjectCase) => {
      let res;
      try {
        res = await app.inject({ method: c.method as 'GET', url: c.url, headers: c.headers, payload: c.payload });
      } catch (err) {
        // light-my-request validates headers and methods as Node's client would: such input never reaches a server.
        const e = err as Error & { code?: string };
        if (e.code === 'ERR_INVALID_CHAR' || e.code === 'ERR_INVALID_HTTP_TOKEN' || /Invalid character|method/i.test(e.message)) return void refusedByInject++;
        failures.push(`${c.kind} ${c.method} ${c.url.slice(0, 80)}: threw ${e.code ?? e.name} ${e.message}`);
        return;
      }
      const status = res.statusCode;
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      const k = byKind.get(c.kind) ?? new Map<number, number>();
      k.set(status, (k.get(status) ?? 0) + 1);
      byKind.set(c.kind, k);
      const where = `${c.kind} ${c.method} ${c.url.slice(0, 80)} ${typeof c.payload === 'string' ? c.payload.slice(0, 160) : ''}`;
      if (status >= 500) failures.push(`${where} → ${status} ${res.body.slice(0, 200)}`);
      if (status >= 400 && c.method !== 'HEAD') {
        // OpenAI's envelope everywhere; the Messages ingress answers in Anthropic's and the MCP gateway in JSON-RPC's
        // (a method /mcp does not take is the gateway's 404, in OpenAI's; under /v1/messages it is in Anthropic's).
        const own = c.url.startsWith('/v1/messages') ? anthropicEnvelopeProblem : /^\/mcp(\/|\?|$)/.test(c.url) ? jsonRpcEnvelopeProblem : undefined;
        const openai = envelopeProblem(res.body);
        const problem = openai && own ? own(res.body) && openai : openai;
        if (problem) failures.push(`${where} → ${status}: ${problem}`);
      }
      // Chat streams end with [DONE] or an error frame; other ingresses' event streams have their own terminal events.
      if (status === 200 && c.url.startsWith('/v1/chat/completions') && String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        const problem = sseProblem(res.body);
        if (problem) failures.push(`${where} stream: ${problem}`);
      }
    };

    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) await send(cases[next++]!);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;

    console.log(`in-process fuzz seed ${SEED}: ${CASES} requests over ${routes.length} routes in ${seconds.toFixed(1)} s; inject refused ${refusedByInject}`);
    console.log('by status:', Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])));
    const fivexx = [...byKind].filter(([, m]) => [...m.keys()].some((s) => s >= 500));
    if (fivexx.length) console.log('kinds with 5xx:', Object.fromEntries(fivexx.map(([k, m]) => [k, Object.fromEntries(m)])));

    expect(failures.slice(0, 15)).toEqual([]);
    expect(errorLogs.slice(0, 5)).toEqual([]);
    // The fuzzer reached the pipeline and the admin API, not only the parsers.
    expect(byStatus.get(200) ?? 0).toBeGreaterThan(CASES / 20);
    expect(byStatus.get(400) ?? 0).toBeGreaterThan(CASES / 10);
    expect(byStatus.get(429) ?? 0).toBeGreaterThan(0); // the tight team's limits were hit
    // Still serving after the run.
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const chat = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      payload: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 5 },
    });
    expect(chat.statusCode).toBe(200);
  }, 240_000);
});
