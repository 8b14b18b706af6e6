import { useTestGateway } from './test-gateway.js';

/** One HTTP call: status, parsed JSON (undefined when the body is not JSON, e.g. JSON lines), raw text and headers. */
export async function requestJson(url: string, init: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export interface AdminRequestOptions {
  /** Sent after the defaults, so they add to or replace them (e.g. a content-type with no body). */
  headers?: Record<string, string>;
  /** Body text sent as is with content-type: application/json (broken JSON); `body` is ignored. */
  rawBody?: string;
}

/**
 * One admin API call (`path` below /admin) with `Authorization: Bearer <token>`, or no Authorization header when
 * `token` is undefined. `body`, when given, is sent as JSON.
 */
export async function adminRequest(baseUrl: string, token: string | undefined, method: string, path: string, body?: unknown, opts: AdminRequestOptions = {}) {
  const text = opts.rawBody ?? (body !== undefined ? JSON.stringify(body) : undefined);
  return requestJson(`${baseUrl}/admin${path}`, {
    method,
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...(text !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    body: text,
  });
}

export type AdminCall = (method: string, path: string, body?: unknown, opts?: AdminRequestOptions) => ReturnType<typeof adminRequest>;

/**
 * One fake upstream and one gateway with the admin API on for a whole test file (useTestGateway), and callers of
 * its admin API: `admin` with the admin token, `as(token)` with any other credential (undefined: none).
 */
export function useAdminGateway(adminToken: string, overrides: Record<string, any> = {}) {
  const env = useTestGateway({ ...overrides, server: { ...overrides.server, adminToken } });
  const as = (token: string | undefined): AdminCall => (method, path, body, opts) => adminRequest(env.gw.url, token, method, path, body, opts);
  return { env, admin: as(adminToken), as };
}
