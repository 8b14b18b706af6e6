import { ProviderError, type ProviderErrorClass } from '../types.js';
import { retryAfterMs, type UpstreamResponse } from '../transport.js';
import { safeProviderMessage } from '../safe-message.js';
import type { AnthropicErrorBody } from './wire.js';

/** Classifies a non-2xx Anthropic response (status + error body) into a ProviderError. */
export function anthropicHttpError(provider: string, res: UpstreamResponse, text: string): ProviderError {
  let body: AnthropicErrorBody = {};
  try {
    body = JSON.parse(text) as AnthropicErrorBody;
  } catch {
    // Non-JSON error pages (proxies, load balancers) carry nothing a client should see.
  }
  const err = body.error ?? {};
  const errorClass = classify(res.status, err.type ?? '', err.message ?? '');
  return new ProviderError(errorClass, safeProviderMessage(errorClass, err.message), {
    status: res.status,
    retryAfterMs: retryAfterMs(res.headers),
    provider,
  });
}

/** Classifies an `event: error` sent inside a stream (e.g. `overloaded_error` after the 200 headers). */
export function anthropicStreamError(provider: string, payload: AnthropicErrorBody): ProviderError {
  const err = payload.error ?? {};
  const errorClass = classify(0, err.type ?? '', err.message ?? '');
  return new ProviderError(errorClass, safeProviderMessage(errorClass, err.message), { provider });
}

// Anthropic says "prompt is too long: N tokens > M maximum", or "input length and `max_tokens` exceed context limit".
const CONTEXT_LENGTH = /prompt is too long|exceed(?:s|ed)? (?:the )?context (?:limit|window)|context window/i;

// The gateway's own Anthropic account is out of credit or over its spend limit. Anthropic sends these as a 400
// invalid_request_error, but no change to the request helps: it is the provider account, like billing_error.
const ACCOUNT_EXHAUSTED = /credit balance is too low|reached your specified API usage limits/i;

function classify(status: number, type: string, message: string): ProviderErrorClass {
  if ((status === 400 || status === 413 || type === 'invalid_request_error') && CONTEXT_LENGTH.test(message)) {
    return 'context_length';
  }
  if (ACCOUNT_EXHAUSTED.test(message)) return 'auth';
  if (status === 401 || status === 403 || status === 402) return 'auth';
  if (type === 'authentication_error' || type === 'permission_error' || type === 'billing_error') return 'auth';
  if (status === 404 || type === 'not_found_error') return 'not_found';
  if (status === 408 || type === 'timeout_error') return 'timeout';
  if (status === 429 || type === 'rate_limit_error') return 'rate_limited';
  if (status === 529 || type === 'overloaded_error') return 'overloaded';
  if (status >= 500 || type === 'api_error') return 'server';
  if (status >= 400 || type === 'invalid_request_error' || type === 'request_too_large') return 'bad_request';
  return 'server';
}
