/**
 * The semantic deny-topics guard when its embedder cannot answer: a crashed or hung local worker, a provider
 * embeddings endpoint answering 5xx or hanging, an embedder still loading at start-up. Default (`onError:
 * block`): 503 `topic_guard_unavailable` in OpenAI's envelope, within `timeoutMs`, the provider never called, the
 * log line says why, the gateway keeps serving. `onError: allow`: served unchecked, audited as an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../../scripts/make-tiny-model.js';
import { workerOf } from '../../src/embeddings/local-embedder.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { OTHER_TEAM_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { logLine } from './model-guards-helpers.js';

const tiny = makeTinyModel('test/.tmp/models');
const TIMEOUT_MS = 400;
const deny = [{ name: 'explosives', examples: ['how do I build a bomb', 'instructions for making explosives at home'] }];
const topics = (extra: Record<string, unknown> = {}) => ({ guards: { topics: { enabled: true, threshold: 0.85, deny, timeoutMs: TIMEOUT_MS, ...extra } } });
const teams = {
  default: { allowedModels: ['*'], policy: topics() },
  other: { allowedModels: ['*'], policy: topics({ onError: 'allow' }) },
};

async function post(gw: TestGateway, content: string, key = TEST_KEY) {
  const t0 = performance.now();
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });
  return { res, body: await res.json(), ms: performance.now() - t0 };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

function expectUnavailable(r: { res: Response; body: any; ms: number }) {
  expect(r.res.status).toBe(503);
  expect(r.res.headers.get('retry-after')).toBe('1');
  expect(r.body).toEqual({ error: { message: expect.any(String), type: 'server_error', param: null, code: 'topic_guard_unavailable' } });
  expect(r.body.error.message).not.toMatch(/bomb|explosive/i);
}

describe('local embedder (real worker process, tiny model)', () => {
  let upstream: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, {
      extra: { embeddings: { kind: 'local', model: tiny.model, modelDir: tiny.modelDir, restartDelayMs: 60_000 } },
      teams,
    });
    await gw.runtime.vectors.ready;
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const worker = () => workerOf.get(gw.runtime.vectors.embedder()!)!();

  it('a hung worker: 503 topic_guard_unavailable within the timeout, nothing sent upstream, audited; allow-teams are served', async () => {
    expect((await post(gw, 'What is a good recipe for banana bread?')).res.status).toBe(200); // examples embedded
    const w = worker()!;
    w.kill('SIGSTOP');
    try {
      const before = upstream.requests.length;
      const r = await post(gw, 'What is a good recipe for apple pie?');
      expectUnavailable(r);
      expect(r.ms).toBeLessThan(TIMEOUT_MS + 1500);
      expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(upstream.requests.length).toBe(before);
      const line = await logLine(gw, r.res);
      expect(line).toMatchObject({ status: 503, code: 'topic_guard_unavailable' });
      expect(line.guards.at(-1)).toMatchObject({ guard: 'topics', action: 'error', reason: 'timeout', onError: 'block' });
      expect(gw.logs.some((l) => l.msg?.startsWith('semantic topics guard unavailable') && l.reason === 'timeout')).toBe(true);
      expect(JSON.stringify(gw.logs)).not.toContain('apple pie');

      const allowed = await post(gw, 'What is a good recipe for cherry pie?', OTHER_TEAM_KEY);
      expect(allowed.res.status).toBe(200);
      expect((await logLine(gw, allowed.res)).guards.at(-1)).toMatchObject({ guard: 'topics', action: 'error', reason: 'timeout', onError: 'allow' });
    } finally {
      w.kill('SIGCONT');
    }
    // The worker catches up and the guard works again.
    expect((await post(gw, 'How do I build a bomb?')).res.status).toBe(400);
  });

  it('a crashed worker (restart pending): 503 at once, and the gateway keeps serving other requests', async () => {
    const w = worker()!;
    w.kill('SIGKILL');
    await until(() => worker() === null);
    const r = await post(gw, 'What is a good recipe for plum cake?');
    expectUnavailable(r);
    expect(r.ms).toBeLessThan(TIMEOUT_MS);
    expect((await logLine(gw, r.res)).guards.at(-1)).toMatchObject({ guard: 'topics', action: 'error', reason: 'embedder_failed' });
    expect((await post(gw, 'What is a good recipe for plum cake?', OTHER_TEAM_KEY)).res.status).toBe(200);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});

describe('provider embedder (OpenAI-compatible /embeddings)', () => {
  let upstream: FakeUpstream;
  let embeddings: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    embeddings = await startFakeUpstream();
    // The start-up probe (no `dimension` configured) is held back, so the first request meets a loading embedder.
    embeddings.enqueue({ firstByteDelayMs: 1500 });
    gw = await startTestGateway(upstream, {
      providers: { embed: { kind: 'openai', baseUrl: embeddings.openaiBaseUrl, apiKey: 'sk-test-embed-secret' } },
      extra: { embeddings: { kind: 'provider', provider: 'embed', model: 'text-embedding-3-small' } },
      teams,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await embeddings?.close();
  });

  it('while the embedder is still loading: /readyz says not ready, and a request gets 503 after the timeout instead of going unchecked', async () => {
    const notReady = await fetch(`${gw.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect((await notReady.json()).checks.embeddings).toEqual({ status: 'loading' });
    const r = await post(gw, 'How do I build a bomb?');
    expectUnavailable(r);
    expect((await logLine(gw, r.res)).guards.at(-1)).toMatchObject({ guard: 'topics', action: 'error', reason: 'embedder_loading' });
    await gw.runtime.vectors.ready;
    expect(gw.runtime.vectors.embedder()).not.toBeNull();
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.embeddings).toEqual({ status: 'ready' });
    expect((await post(gw, 'How do I build a bomb?')).res.status).toBe(400);
    expect((await post(gw, 'What is a good recipe for banana bread?')).res.status).toBe(200);
  });

  it('the endpoint answers 500: 503 topic_guard_unavailable, the endpoint body not echoed', async () => {
    embeddings.setDefault({ status: 500 });
    try {
      const r = await post(gw, 'Tell me about the history of Rome');
      expectUnavailable(r);
      expect(r.body.error.message).not.toMatch(/500|embeddings endpoint/);
      expect((await logLine(gw, r.res)).guards.at(-1)).toMatchObject({ guard: 'topics', action: 'error', reason: 'embedder_failed' });
    } finally {
      embeddings.setDefault(null);
    }
  });

  it('the endpoint hangs: 503 within the timeout (not the embedder’s own 10 s)', async () => {
    embeddings.setDefault({ hang: 'before-headers' });
    try {
      const r = await post(gw, 'Tell me about the history of Carthage');
      expectUnavailable(r);
      expect(r.ms).toBeLessThan(TIMEOUT_MS + 1500);
      expect((await logLine(gw, r.res)).guards.at(-1)).toMatchObject({ guard: 'topics', action: 'error', reason: 'timeout' });
      const allowed = await post(gw, 'Tell me about the history of Athens', OTHER_TEAM_KEY);
      expect(allowed.res.status).toBe(200);
    } finally {
      embeddings.setDefault(null);
    }
    expect((await post(gw, 'Tell me about the history of Sparta')).res.status).toBe(200);
  });
});
