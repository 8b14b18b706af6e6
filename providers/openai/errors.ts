import { ProviderError, type ProviderErrorClass } from '../types.js';
import { retryAfterMs, type UpstreamResponse } from '../transport.js';
import { safeProviderMessage } from '../safe-message.js';
import type { OpenAIErrorBody } from './wire.js';

/** Classifies a non-2xx OpenAI-kind response (status + error body) into a ProviderError. */
export function openAIHttpError(provider: string, res: UpstreamResponse, text: string): ProviderError {
  let body: OpenAIErrorBody = {};
  try {
    body = JSON.parse(text) as OpenAIErrorBody;
  } catch {
    // Non-JSON error pages (proxies, load balancers) carry nothing a client should see.
  }
  const err = body.error ?? {};
  const code = String(err.code ?? '');
  const errorClass = classify(res.status, code, err.message ?? '');
  return new ProviderError(errorClass, safeProviderMessage(errorClass, err.message), {
    status: res.status,
    retryAfterMs: retryAfterMs(res.headers),
    provider,
    param: err.param ?? null,
  });
}

/** Classifies an `{"error":…}` object sent inside a stream. */
export function openAIStreamError(provider: string, payload: OpenAIErrorBody): ProviderError {
  const err = payload.error ?? {};
  const errorClass = classify(0, String(err.code ?? ''), err.message ?? '', err.type);
  return new ProviderError(errorClass, safeProviderMessage(errorClass, err.message), { provider });
}

function classify(status: number, code: string, message: string, type?: string): ProviderErrorClass {
  if (code === 'context_length_exceeded' || /maximum context length/i.test(message)) return 'context_length';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 529 || code === 'overloaded' || type === 'overloaded_error') return 'overloaded';
  if (status >= 500 || type === 'server_error') return 'server';
  if (status >= 400) return 'bad_request';
  return 'server';
}
