import { ProviderError } from './types.js';

/**
 * Parses a JSON body or stream event from an upstream. Malformed JSON (or a body failing `valid`) is the
 * provider's fault: a retryable `server` error whose message names nothing from the body.
 */
export function parseUpstreamJson<T>(provider: string, text: string, what: 'response' | 'stream event', valid?: (x: T) => boolean): T {
  let value: T;
  try {
    value = JSON.parse(text) as T;
  } catch {
    throw invalid(provider, what);
  }
  if (valid && !valid(value)) throw invalid(provider, what);
  return value;
}

const invalid = (provider: string, what: string) => new ProviderError('server', `The upstream provider sent an invalid ${what}.`, { provider });
