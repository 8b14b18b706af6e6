import { GatewayError } from '../core/errors.js';
import { ProviderError } from '../../providers/types.js';

/** The client-facing error for a provider failure that failover could not absorb. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (!(err instanceof ProviderError)) return new GatewayError('internal_error', 'The gateway failed to process the request.');
  const retryAfter = err.retryAfterMs !== undefined ? { 'retry-after': String(Math.ceil(err.retryAfterMs / 1000)) } : undefined;
  switch (err.errorClass) {
    case 'bad_request':
      return new GatewayError('invalid_request', err.message, { param: err.opts.param ?? null });
    case 'context_length':
      return new GatewayError('context_length_exceeded', err.message, { param: 'messages' });
    case 'not_found':
      return new GatewayError('model_not_found', err.message, { param: 'model' });
    case 'auth':
      // Retrying cannot fix the gateway's provider key or account: tell the SDKs not to (they retry 5xx).
      return new GatewayError('upstream_auth_failed', err.message, { headers: { 'x-should-retry': 'false' } });
    case 'rate_limited':
      return new GatewayError('rate_limit_exceeded', err.message, { headers: retryAfter });
    case 'overloaded':
      return new GatewayError('upstream_unavailable', err.message, { headers: retryAfter });
    case 'timeout':
      return new GatewayError('upstream_timeout', err.message);
    case 'queue_timeout':
      // The gateway's own cap (`maxConnections`) was full for `queueTimeoutMs`: retryable soon, on any replica.
      return new GatewayError('upstream_queue_timeout', err.message, { headers: { 'retry-after': '1' } });
    case 'aborted':
    case 'network':
    case 'server':
      return new GatewayError('upstream_error', err.message);
  }
}
