/**
 * Malformed `prompt` objects on both APIs: every one is a 4xx in OpenAI's envelope naming a `prompt…` field (or
 * `model`/`messages`/`input`), never a 5xx, and nothing reaches the provider.
 */
import { describe, expect, it } from 'vitest';
import { adminRequest } from '../helpers/admin-request.js';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';

const ADMIN = 'admin-token-for-templates-hostile-0123';
const env = useTestGateway({ server: { adminToken: ADMIN } });

const prompts: unknown[] = [
  'greet', 42, [], true, {}, { id: '' }, { id: 7 }, { id: 'greet', extra: 1 }, { id: 'greet', version: 0 }, { id: 'greet', version: '-1' },
  { id: 'greet', version: '1.5' }, { id: 'greet', version: 'x'.repeat(10_000) }, { id: 'greet', version: {} }, { id: 'greet', variables: [] },
  { id: 'greet', variables: 'name=Ada' }, { id: 'greet', variables: { name: { text: 'no type' } } }, { id: 'greet', variables: { name: null } },
  { id: 'greet', variables: { name: 'Ada', ['__proto__']: 'x' } }, { id: 'greet', variables: { constructor: 'x' } }, { id: 'g'.repeat(100_000) },
  { id: '../../admin', variables: { name: 'x' } }, { id: 'greet', variables: { name: ['a'] } },
];

describe('hostile prompt objects', () => {
  it('answer 4xx with an envelope and never reach the provider', async () => {
    await adminRequest(env.gw.url, ADMIN, 'POST', '/templates', { id: 'greet', messages: [{ role: 'user', content: 'Hi {{name}}' }], model: 'gpt-4o-mini', publish: true });
    const before = env.upstream.requests.length;
    for (const path of ['chat/completions', 'responses']) {
      for (const prompt of prompts) {
        for (const extra of [{}, { messages: 'nope', input: 5 }]) {
          const body = JSON.stringify({ prompt, ...extra });
          const res = await fetch(`${env.gw.url}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` }, body });
          const json = await res.json();
          expect(res.status, `${path} ${body.slice(0, 120)}`).toBeGreaterThanOrEqual(400);
          expect(res.status, `${path} ${body.slice(0, 120)}`).toBeLessThan(500);
          expect(json.error, body.slice(0, 120)).toMatchObject({ message: expect.any(String), type: expect.any(String) });
          expect(String(json.error.message).length).toBeLessThan(1000);
        }
      }
    }
    expect(env.upstream.requests.length).toBe(before);
  });
});
