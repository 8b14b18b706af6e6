/**
 * The native formats range-check their numeric parameters at the edge too (issue 18.2): a 400 naming the param in
 * the route's envelope, never a 5xx or a value forwarded to the provider.
 */
import { describe, expect, it } from 'vitest';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';

describe('numeric parameters of /v1/messages and /v1/responses', () => {
  const env = useTestGateway({
    models: { 'claude-opus': { provider: 'anthropic', upstream: 'claude-opus-4-5', price: { input: '15', output: '75' }, contextWindow: 200000 } },
    teams: { default: { allowedModels: ['*'], budgets: [{ period: 'daily', usd: '100' }], rateLimits: { tpm: 1_000_000 } } },
  });
  const post = (path: string, body: object) =>
    fetch(`${env.gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it.each([
    [{ max_tokens: 1e15 }, 'max_tokens'],
    [{ max_tokens: 2 ** 53 - 1 }, 'max_tokens'],
    [{ temperature: 1e15 }, 'temperature'],
    [{ temperature: -1 }, 'temperature'],
    [{ top_p: 2 }, 'top_p'],
    [{ top_k: 1.5 }, 'top_k'],
  ])('messages %j → 400 naming %s', async (over, param) => {
    const sent = env.upstream.requests.length;
    const res = await post('/v1/messages', { model: 'claude-opus', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...over });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(body.error.message).toContain(param);
    expect(env.upstream.requests.length).toBe(sent);
  });

  it.each([
    [{ max_output_tokens: 1e15 }, 'max_output_tokens'],
    [{ temperature: 3 }, 'temperature'],
    [{ top_p: -0.5 }, 'top_p'],
    [{ top_logprobs: 21 }, 'top_logprobs'],
  ])('responses %j → 400 naming %s', async (over, param) => {
    const res = await post('/v1/responses', { model: 'gpt-4o-mini', input: 'hi', ...over });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param });
  });
});
