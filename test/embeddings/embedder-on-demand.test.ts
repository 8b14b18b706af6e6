/**
 * The embedder (a worker process of 100–400 MB) starts only when something uses it: at start when the config has a
 * semantic cache, deny topics or semantic routes, otherwise at the first request that needs it — here a team given
 * a semantic cache through the admin API. The shipped config names USE lite, so this is what keeps a default
 * `npm start` from paying for a model no feature uses (docs/semantic.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../../scripts/make-tiny-model.js';
import { loadConfigFile } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { fromRoot } from '../../src/paths.js';
import { semanticFeaturesConfigured } from '../../src/semantic.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { adminRequest } from '../helpers/admin-request.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

const tiny = makeTinyModel('test/.tmp/models');
const ADMIN = 'embedder-on-demand-admin-token-0123';

describe('which configs use embeddings', () => {
  const base = { providers: { openai: { kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-x' } }, models: { 'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 } } };
  const parse = (extra: Record<string, unknown>) => configSchema.parse({ ...base, embeddings: { kind: 'use-lite' }, ...extra });

  it('the shipped config names USE lite and uses no semantic feature: nothing loads at start', () => {
    const cfg = loadConfigFile(fromRoot('config', 'gateway.yaml'), {});
    expect(cfg.embeddings.kind).toBe('use-lite');
    expect(semanticFeaturesConfigured(cfg)).toBe(false);
  });

  it('a semantic cache, deny topics or a semantic route, gateway-wide or in a config team, load it at start', () => {
    expect(semanticFeaturesConfigured(parse({}))).toBe(false);
    expect(semanticFeaturesConfigured(parse({ cache: { mode: 'on' } }))).toBe(true);
    expect(semanticFeaturesConfigured(parse({ cache: { mode: 'on', semantic: 'off' } }))).toBe(false);
    expect(semanticFeaturesConfigured(parse({ guards: { topics: { enabled: true, deny: [{ name: 'w', examples: ['bombs'] }] } } }))).toBe(true);
    expect(semanticFeaturesConfigured(parse({ teams: { t: { policy: { cache: { mode: 'shadow' } } } } }))).toBe(true);
    expect(semanticFeaturesConfigured(parse({ routes: { r: { strategy: 'semantic', rules: [{ name: 'code', examples: ['write code'], targets: ['gpt-4o-mini'] }], targets: ['gpt-4o-mini'] } } }))).toBe(true);
  });
});

describe('a gateway whose config uses no semantic feature', () => {
  let upstream: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, {
      server: { adminToken: ADMIN },
      extra: { embeddings: { kind: 'local', model: tiny.model, modelDir: tiny.modelDir } },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('starts no embedder and is ready; a team created with a semantic cache starts it, and its requests are cached semantically once loaded', async () => {
    const readyz = await fetch(`${gw.url}/readyz`);
    expect(readyz.status).toBe(200);
    expect((await readyz.json()).checks.embeddings).toEqual({ status: 'idle' });
    expect(gw.runtime.vectors.status()).toBe('idle');

    const policy = { cache: { mode: 'on', semantic: 'on', similarityThreshold: 0.9, calibration: { minSamples: 0 } } };
    expect((await adminRequest(gw.url, ADMIN, 'POST', '/teams', { id: 'semantic', policy })).status).toBe(201);
    const key = await adminRequest(gw.url, ADMIN, 'POST', '/keys', { team: 'semantic' });
    expect(key.status).toBe(201);
    const ask = (content: string) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${(key.json as { secret: string }).secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
      });
    // The first request meets an embedder that has not started: it is served (exact layer only) and starts it,
    // and the replica stays ready meanwhile (a load a request began does not hold readiness back).
    expect((await ask('What is the capital of France?')).status).toBe(200);
    expect(['warming', 'ready']).toContain(gw.runtime.vectors.status());
    const meanwhile = await fetch(`${gw.url}/readyz`);
    expect(meanwhile.status).toBe(200);
    expect(['warming', 'ready']).toContain((await meanwhile.json()).checks.embeddings.status);
    await gw.runtime.vectors.ready;
    expect(gw.runtime.vectors.status()).toBe('ready');
    expect((await (await fetch(`${gw.url}/readyz`)).json()).checks.embeddings).toEqual({ status: 'ready' });

    const entries = await gw.runtime.vectors.vectors.size();
    expect((await ask('How do I reset my password on the portal?')).status).toBe(200);
    // The cache write follows the answer: wait for its vector.
    for (let i = 0; i < 100 && (await gw.runtime.vectors.vectors.size()) === entries; i++) await new Promise((r) => setTimeout(r, 20));
    const paraphrase = await ask('how do i reset my password on the portal');
    expect(paraphrase.headers.get('x-gateway-cache')).toBe('hit');
    expect(Number(paraphrase.headers.get('x-gateway-cache-similarity'))).toBeGreaterThanOrEqual(0.9);
  }, 60_000);
});
