/** Shared by the model-backed and external guard tests: a raw chat call and the request's log line. */
import { expect } from 'vitest';
import type { TestGateway } from '../helpers/test-gateway.js';

export async function chat(gw: TestGateway, key: string, content: string | { role: string; content: string }[], extra: Record<string, unknown> = {}) {
  const messages = typeof content === 'string' ? [{ role: 'user', content }] : content;
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, ...extra }),
  });
  const text = await res.text();
  return { res, status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, text };
}

/** The request's log line (written once the response has been sent). */
export async function logLine(gw: TestGateway, res: Response): Promise<Record<string, any>> {
  const id = res.headers.get('x-request-id');
  for (let i = 0; i < 200; i++) {
    const line = gw.logs.find((l) => l.msg === 'chat completion' && l.reqId === id);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line for ${id}`);
}

/** The audit entry of one guard on a request's log line. */
export async function auditOf(gw: TestGateway, res: Response, guard: string): Promise<Record<string, any>> {
  const line = await logLine(gw, res);
  const entry = (line.guards as Record<string, any>[] | undefined)?.find((g) => g.guard === guard);
  expect(entry, `audit entry of ${guard} in ${JSON.stringify(line.guards)}`).toBeDefined();
  return entry!;
}

export function expectError(r: { status: number; body: any }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.body).toEqual({ error: { message: expect.any(String), type: status === 503 ? 'server_error' : 'invalid_request_error', param: null, code } });
}
