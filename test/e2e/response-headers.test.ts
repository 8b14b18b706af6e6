/**
 * The response headers design.md promises, on streamed and non-streamed answers and on errors: x-request-id
 * (a client's own id echoed when safe, else a fresh one), x-gateway-provider / -model / -cache, server-timing.
 */
import { describe, expect, it } from 'vitest';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';

const env = useTestGateway();

const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${env.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body }),
  });

describe.each([false, true])('an answer (stream: %s)', (stream) => {
  it('carries x-request-id, the target, the cache status (bypass with the cache off) and server-timing', async () => {
    const res = await chat({ stream }, { 'x-request-id': 'client-trace.42:a_b' });
    await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('client-trace.42:a_b');
    expect(res.headers.get('x-gateway-provider')).toBe('openai');
    expect(res.headers.get('x-gateway-model')).toBe('gpt-4o-mini');
    expect(res.headers.get('x-gateway-cache')).toBe('bypass');
    expect(res.headers.get('server-timing')).toMatch(/^gateway;dur=\d+(\.\d+)?, upstream;dur=\d+(\.\d+)?$/);
  });
});

describe('x-request-id', () => {
  it.each([
    ['too long', 'a'.repeat(129)],
    ['with odd characters', 'id with spaces<script>'],
  ])('a client id %s is replaced by a fresh one', async (_, given) => {
    const res = await chat({}, { 'x-request-id': given });
    await res.text();
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('is on errors too, before and inside the pipeline', async () => {
    const unauth = await fetch(`${env.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await unauth.text();
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get('x-request-id')).toMatch(/^req_/);
    const invalid = await chat({ temperature: 9 });
    await invalid.text();
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-request-id')).toMatch(/^req_/);
  });
});

describe('the log line', () => {
  it('a request refused before the pipeline (401, invalid JSON) gets one line with status and code, no secrets', async () => {
    const before = env.gw.logs.length;
    const bad = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer gw-not-a-real-key-0123456789abcdef', 'content-type': 'application/json' },
      body: '{}',
    });
    await bad.text();
    const notJson = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: '{"model": "gpt-4o-mini", "messages": [ secret prompt text',
    });
    await notJson.text();
    const invalid = await chat({ temperature: 9 }); // refused inside the pipeline: its own chat completion line
    await invalid.text();
    await new Promise((r) => setTimeout(r, 50));
    const lines = env.gw.logs.slice(before);
    expect(lines.filter((l) => l.msg === 'request refused')).toEqual([
      expect.objectContaining({ reqId: bad.headers.get('x-request-id'), method: 'POST', path: '/v1/chat/completions', status: 401, code: 'invalid_api_key' }),
      expect.objectContaining({ reqId: notJson.headers.get('x-request-id'), status: 400, code: 'invalid_json', team: 'default' }),
    ]);
    expect(lines.filter((l) => l.reqId === invalid.headers.get('x-request-id'))).toEqual([expect.objectContaining({ msg: 'chat completion', status: 400 })]);
    const text = JSON.stringify(lines);
    expect(text).not.toContain('gw-not-a-real-key');
    expect(text).not.toContain('secret prompt text');
  });
});
