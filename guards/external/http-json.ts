/**
 * One JSON POST to an external guardrail service, bounded by the caller's signal. Every way it can fail (refused
 * connection, non-2xx status, a body that is not JSON) becomes GuardUnavailableError with a short reason for the
 * audit entry; the service's own error text is not passed on (it may echo the prompt).
 */
import { GuardUnavailableError } from '../async-guard.js';

export async function postJson(url: string, body: unknown, opts: { signal: AbortSignal; apiKey?: string; what: string }): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal: opts.signal,
    });
  } catch (err) {
    if (opts.signal.aborted) throw new GuardUnavailableError('timeout', `${opts.what} did not answer in time`);
    throw new GuardUnavailableError('unreachable', `${opts.what} is unreachable: ${(err as Error).message}`);
  }
  const text = await res.text().catch(() => {
    throw new GuardUnavailableError(opts.signal.aborted ? 'timeout' : 'unreachable', `${opts.what}: the answer was cut off`);
  });
  if (!res.ok) throw new GuardUnavailableError(`http_${res.status}`, `${opts.what} answered HTTP ${res.status}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new GuardUnavailableError('malformed_verdict', `${opts.what} answered something that is not JSON`);
  }
}
