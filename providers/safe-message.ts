import type { ProviderErrorClass } from './types.js';

/**
 * The message a client may see for a provider failure. Provider messages are passed through only for request
 * problems the developer can fix (bad request, context length, unknown upstream model), after scrubbing
 * anything shaped like a credential; for everything else we say what happened in our own words, because those
 * messages can name accounts, organisations or (partially masked) keys.
 */
export function safeProviderMessage(errorClass: ProviderErrorClass, upstream: string | undefined): string {
  const passThrough = errorClass === 'bad_request' || errorClass === 'context_length' || errorClass === 'not_found';
  if (passThrough && upstream) return scrubSecrets(upstream).slice(0, 1000);
  return GENERIC[errorClass];
}

const GENERIC: Record<ProviderErrorClass, string> = {
  auth: 'The upstream provider rejected the gateway credentials.',
  bad_request: 'The upstream provider rejected the request.',
  not_found: 'The upstream provider does not know this model.',
  context_length: 'The request exceeds the model context length.',
  rate_limited: 'The upstream provider is rate limiting requests.',
  overloaded: 'The upstream provider is overloaded.',
  server: 'The upstream provider failed to process the request.',
  timeout: 'The upstream provider did not respond in time.',
  network: 'The upstream provider could not be reached.',
  aborted: 'The request was aborted.',
  queue_timeout: 'Every connection to the upstream provider stayed busy.',
};

const SECRET_SHAPES = /\b(?:sk-[A-Za-z0-9_*-]{6,}|sk-ant-[A-Za-z0-9_*-]{6,}|gw-[A-Za-z0-9_-]{8,}|Bearer\s+\S+|AKIA[0-9A-Z]{16})/g;

export function scrubSecrets(text: string): string {
  return text.replace(SECRET_SHAPES, '[REDACTED]');
}
