/**
 * POST /v1/embeddings with the official OpenAI SDK: priced per model against budgets, TPM-limited, PII guarded,
 * routed with failover across OpenAI-format targets, `encoding_format: base64` preserved, refused for Anthropic.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';

const PII_KEY = 'gw-pii-team-key-0123456789abcdefghijklmnopqrstu';
const BROKE_KEY = 'gw-broke-team-key-0123456789abcdefghijklmnopq';
const TPM_KEY = 'gw-tpm-team-key-0123456789abcdefghijklmnopqrs';

describe('POST /v1/embeddings', () => {
  const env = useTestGateway({
    models: {
      'text-embedding-3-small': { provider: 'openai', upstream: 'text-embedding-3-small', price: { input: '0.02', output: '0' }, contextWindow: 8192 },
    },
    routes: { 'embed-ha': { strategy: 'ordered', targets: ['openai/text-embedding-3-large', 'text-embedding-3-small'], retry: { retries: 0 } } },
    teams: {
      default: { allowedModels: ['*'] },
      pii: { allowedModels: ['*'], policy: { guards: { pii: { enabled: true, defaultAction: 'pseudonymise' } } } },
      broke: { allowedModels: ['*'], budgets: [{ period: 'monthly', usd: '0.000001' }] },
      tpm: { allowedModels: ['*'], rateLimits: { tpm: 20 } },
    },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'pii', team: 'pii', key: PII_KEY },
      { id: 'broke', team: 'broke', key: BROKE_KEY },
      { id: 'tpm', team: 'tpm', key: TPM_KEY },
    ],
  });
  const lastLog = () => env.gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;

  it('answers embeddings.create (the SDK asks for base64 and decodes it) and bills the input tokens at the model price', async () => {
    const res = await env.gw.client().embeddings.create({ model: 'text-embedding-3-small', input: ['hello world', 'second text'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0].embedding).toHaveLength(1536);
    expect(typeof res.data[0].embedding[0]).toBe('number');
    const up = env.upstream.requests.at(-1)!;
    expect(up.path).toBe('/v1/embeddings');
    expect(up.body.encoding_format).toBe('base64');
    expect(up.headers.authorization).toBe('Bearer sk-test-openai-secret');
    const line = lastLog();
    expect(line).toMatchObject({ api: 'embeddings', status: 200, provider: 'openai', model: 'text-embedding-3-small' });
    expect(line.tokens.prompt).toBe(res.usage.prompt_tokens);
    expect(line.costMicros).toBe(Math.round(res.usage.prompt_tokens * 0.02));
  });

  it('returns base64 exactly as the upstream sent it', async () => {
    const raw = await fetch(`${env.gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'base64', dimensions: 8 }),
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('x-gateway-cache')).toBe('bypass');
    const body = await raw.json();
    expect(typeof body.data[0].embedding).toBe('string');
    expect(Buffer.from(body.data[0].embedding, 'base64').length).toBe(8 * 4);
    expect(env.upstream.requests.at(-1)!.body).toEqual({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'base64', dimensions: 8 });
  });

  it('pseudonymises PII in the input before it leaves', async () => {
    await env.gw.client({ apiKey: PII_KEY }).embeddings.create({ model: 'text-embedding-3-small', input: 'Contact jane.doe@example.com today' });
    const sent = env.upstream.requests.at(-1)!.body.input;
    expect(sent).not.toContain('jane.doe@example.com');
    expect(sent).toMatch(/^Contact .+ today$/);
  });

  it('refuses over budget and over the TPM limit with 429', async () => {
    const broke = await env.gw.client({ apiKey: BROKE_KEY }).embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).catch((e) => e);
    expect(broke).toBeInstanceOf(OpenAI.RateLimitError);
    expect(broke.code).toBe('budget_exceeded');
    const long = 'word '.repeat(60);
    const limited = await env.gw.client({ apiKey: TPM_KEY }).embeddings.create({ model: 'text-embedding-3-small', input: long }).catch((e) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.code).toBe('rate_limit_exceeded');
  });

  it('fails over to the next OpenAI-format target', async () => {
    env.upstream.enqueue({ status: 503 });
    const res = await env.gw.client().embeddings.create({ model: 'embed-ha', input: 'failover please' });
    expect(res.data).toHaveLength(1);
    expect(res.data[0].embedding).toHaveLength(1536);
    expect(lastLog().attempts).toMatchObject([{ ok: false, model: 'text-embedding-3-large' }, { ok: true, model: 'text-embedding-3-small' }]);
  });

  it('refuses an Anthropic target and bad input with a 400 in OpenAI\'s envelope', async () => {
    const claude = await env.gw.client().embeddings.create({ model: 'claude-haiku-4-5', input: 'x' }).catch((e) => e);
    expect(claude).toBeInstanceOf(OpenAI.BadRequestError);
    expect(claude.message).toMatch(/Embeddings are only supported by OpenAI/);
    const tokens = await fetch(`${env.gw.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` }, body: JSON.stringify({ model: 'text-embedding-3-small', input: [[1, 2, 3]] }) });
    await tokens.text();
    expect(env.upstream.requests.at(-1)!.body.input).toEqual([[1, 2, 3]]);
    const empty = await env.gw.client().embeddings.create({ model: 'text-embedding-3-small', input: [] }).catch((e) => e);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect(empty.param).toBe('input');
  });
});
