/**
 * One JSON POST to an external guardrail service, bounded by the caller's signal. Every way it can fail (refused
 * connection, non-2xx status, a body that is not JSON) becomes GuardUnavailableError with a short reason for the
 * audit entry; the service's own error text is not passed on (it may echo the prompt). undici's `request` on its
 * global keep-alive agent, as the provider embedder uses: `fetch` cost about a millisecond more per call.
 */
import { request } from 'undici';
import { GuardUnavailableError } from '../async-guard.js';

/** Largest answer read; a guard verdict (or Presidio's spans of one message) is far smaller. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function postJson(url: string, body: unknown, opts: { signal: AbortSignal; apiKey?: string; what: string }): Promise<unknown> {
  let status: number;
  // Decoded once at the end: a multi-byte character may be split across two chunks.
  const chunks: Buffer[] = [];
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal: opts.signal,
    });
    status = res.statusCode;
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        res.body.destroy();
        throw new GuardUnavailableError('malformed_verdict', `${opts.what} answered more than ${MAX_BODY_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof GuardUnavailableError) throw err;
    if (opts.signal.aborted) throw new GuardUnavailableError('timeout', `${opts.what} did not answer in time`);
    throw new GuardUnavailableError('unreachable', `${opts.what} is unreachable: ${(err as Error).message}`);
  }
  if (status < 200 || status > 299) throw new GuardUnavailableError(`http_${status}`, `${opts.what} answered HTTP ${status}`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new GuardUnavailableError('malformed_verdict', `${opts.what} answered something that is not JSON`);
  }
}
