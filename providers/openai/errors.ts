import { ProviderError, type ProviderErrorClass } from '../types.js';
import { retryAfterMs, type UpstreamResponse } from '../transport.js';
import { safeProviderMessage } from '../safe-message.js';
import type { OpenAIErrorBody, OpenAIErrorFields } from './wire.js';

/** Classifies a non-2xx OpenAI-kind response (status + error body) into a ProviderError. */
export function openAIHttpError(provider: string, res: UpstreamResponse, text: string): ProviderError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Non-JSON error pages (proxies, load balancers) carry nothing a client should see.
  }
  const err = errorFields(body);
  const errorClass = classify(res.status, String(err.code ?? ''), err.message ?? '', err.type);
  return new ProviderError(errorClass, safeProviderMessage(errorClass, err.message), {
    status: res.status,
    retryAfterMs: retryAfterMs(res.headers),
    provider,
    param: typeof err.param === 'string' ? err.param : null,
  });
}

/**
 * Classifies an error sent inside a stream (a `{"error":…}` event, or an `event: error`). vLLM gives the HTTP
 * status it would have answered as a numeric `code`: a 400 there is the request's fault, not a server failure.
 */
export function openAIStreamError(provider: string, payload: unknown): ProviderError {
  const err = errorFields(payload);
  const status = typeof err.code === 'number' && err.code >= 400 && err.code < 600 ? err.code : 0;
  const errorClass = classify(status, String(err.code ?? ''), err.message ?? '', err.type);
  return new ProviderError(errorClass, safeProviderMessage(errorClass, err.message), { provider, ...(status ? { status } : {}) });
}

/** The error object of any of the body shapes in `OpenAIErrorBody`; `{}` when there is none. */
function errorFields(body: unknown): OpenAIErrorFields {
  if (!body || typeof body !== 'object') return {};
  const b = body as OpenAIErrorBody;
  if (typeof b.error === 'string') return { message: b.error, type: b.error_type };
  if (b.error && typeof b.error === 'object') return b.error;
  return typeof b.message === 'string' ? b : {};
}

function classify(status: number, code: string, message: string, type?: string): ProviderErrorClass {
  if (code === 'context_length_exceeded' || /maximum context length/i.test(message)) return 'context_length';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  // The gateway's own provider account is out of quota or credit: like a bad key, no retry or wait helps.
  if (status === 429 && (code === 'insufficient_quota' || type === 'insufficient_quota')) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status === 529 || code === 'overloaded' || type === 'overloaded_error') return 'overloaded';
  if (status >= 500 || type === 'server_error') return 'server';
  if (status >= 400) return 'bad_request';
  return 'server';
}
