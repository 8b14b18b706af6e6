/**
 * Secrets never leave the gateway: provider keys echoed by an upstream's error body, the client's gateway key and
 * the admin token appear in no response, log line, /metrics, /readyz, /admin listing or dashboard answer.
 */
import { describe, expect, it } from 'vitest';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';

const ADMIN = 'admin-token-secret-leak-test-0123456789';
const PROVIDER_KEY = 'sk-test-openai-secret';
const env = useTestGateway({ server: { adminToken: ADMIN } });
const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };

async function chat(key = TEST_KEY) {
  const res = await fetch(`${env.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(ask),
  });
  return { status: res.status, text: await res.text() };
}

describe('secrets in answers and logs', () => {
  it('an upstream error body that echoes the provider key or the client key reaches neither the client nor the log', async () => {
    const echo = `Incorrect API key provided: ${PROVIDER_KEY}. Client sent ${TEST_KEY}.`;
    const seen: string[] = [];
    for (const status of [400, 401, 403, 404, 422, 500]) {
      env.upstream.enqueue({ status, json: { error: { message: echo, type: 'invalid_request_error', param: null, code: null } } });
      const r = await chat();
      seen.push(r.text);
    }
    await new Promise((r) => setTimeout(r, 20));
    const all = seen.join('\n') + '\n' + JSON.stringify(env.gw.logs);
    expect(all).not.toContain(PROVIDER_KEY);
    expect(all).not.toContain(TEST_KEY);
  });

  it('a wrong gateway key, the admin token and provider keys are not in logs, /metrics, /readyz, /admin or the dashboard', async () => {
    const wrong = 'gw-wrong-key-abcdefghijklmnopqrstuvwxyz0123456789';
    expect((await chat(wrong)).status).toBe(401);
    const h = { authorization: `Bearer ${ADMIN}` };
    const texts = await Promise.all(
      ['/metrics', '/readyz', '/admin/teams', '/admin/keys', '/dashboard/api/me', '/dashboard/api/summary'].map((p) =>
        fetch(`${env.gw.url}${p}`, { headers: h }).then((r) => r.text()),
      ),
    );
    const all = texts.join('\n') + JSON.stringify(env.gw.logs);
    for (const s of [wrong, ADMIN, PROVIDER_KEY, 'sk-ant-test-secret', TEST_KEY]) expect(all).not.toContain(s);
  });
});
