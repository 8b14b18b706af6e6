/** Shared by the model-backed and external guard tests: a raw chat call and the request's log line. */
import { expect } from 'vitest';
import { requestJson } from '../helpers/admin-request.js';
import type { TestGateway } from '../helpers/test-gateway.js';

/** A chat completion through the HTTP listener: `body` is the parsed JSON (the raw text when it is not JSON). */
export async function chat(gw: TestGateway, key: string, content: string | { role: string; content: string }[], extra: Record<string, unknown> = {}) {
  const messages = typeof content === 'string' ? [{ role: 'user', content }] : content;
  const r = await requestJson(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, ...extra }),
  });
  return { res: { status: r.status, headers: r.headers }, status: r.status, body: r.json ?? r.text, text: r.text };
}

/** The request's log line (written once the response has been sent); `res`: the response (its x-request-id). */
export async function logLine(gw: TestGateway, res: { headers: Headers }): Promise<Record<string, any>> {
  const id = res.headers.get('x-request-id');
  for (let i = 0; i < 200; i++) {
    const line = gw.logs.find((l) => l.msg === 'chat completion' && l.reqId === id);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line for ${id}`);
}

/** The audit entry of one guard on a request's log line. */
export async function auditOf(gw: TestGateway, res: { headers: Headers }, guard: string): Promise<Record<string, any>> {
  const line = await logLine(gw, res);
  const entry = (line.guards as Record<string, any>[] | undefined)?.find((g) => g.guard === guard);
  expect(entry, `audit entry of ${guard} in ${JSON.stringify(line.guards)}`).toBeDefined();
  return entry!;
}

export function expectError(r: { status: number; body: any }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.body).toEqual({ error: { message: expect.any(String), type: status === 503 ? 'server_error' : 'invalid_request_error', param: null, code } });
}
