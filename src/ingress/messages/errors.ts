/** Gateway errors in Anthropic's envelope: `{"type":"error","error":{"type","message"}}`, typed by status as Anthropic types them. */
import type { GatewayError } from '../../core/errors.js';

export interface AnthropicErrorEnvelope {
  type: 'error';
  error: { type: string; message: string };
}

export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 409:
    case 415:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

export const toAnthropicError = (err: GatewayError): AnthropicErrorEnvelope => ({
  type: 'error',
  error: { type: anthropicErrorType(err.status), message: err.message },
});
