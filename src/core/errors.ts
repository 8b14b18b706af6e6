/**
 * Every error a client can see, in OpenAI's envelope `{"error":{message,type,param,code}}`.
 * One code per cause; `docs/errors.md` lists them all and a test keeps the two in sync.
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error'
  | 'api_error';

/** code → [HTTP status, type]. The single registry of error codes. */
export const ERROR_CODES = {
  invalid_request: [400, 'invalid_request_error'],
  invalid_json: [400, 'invalid_request_error'],
  context_length_exceeded: [400, 'invalid_request_error'],
  pii_detected: [400, 'invalid_request_error'],
  prompt_denied: [400, 'invalid_request_error'],
  prompt_injection_detected: [400, 'invalid_request_error'],
  topic_denied: [400, 'invalid_request_error'],
  classifier_denied: [400, 'invalid_request_error'],
  judge_denied: [400, 'invalid_request_error'],
  external_guard_denied: [400, 'invalid_request_error'],
  invalid_api_key: [401, 'authentication_error'],
  admin_unauthorized: [401, 'authentication_error'],
  admin_forbidden: [403, 'permission_error'],
  metrics_unauthorized: [401, 'authentication_error'],
  model_not_allowed: [403, 'permission_error'],
  model_not_found: [404, 'not_found_error'],
  not_found: [404, 'not_found_error'],
  admin_disabled: [404, 'not_found_error'],
  already_exists: [409, 'invalid_request_error'],
  config_managed: [409, 'invalid_request_error'],
  template_conflict: [409, 'invalid_request_error'],
  request_too_large: [413, 'invalid_request_error'],
  unsupported_media_type: [415, 'invalid_request_error'],
  rate_limit_exceeded: [429, 'rate_limit_error'],
  budget_exceeded: [429, 'insufficient_quota'],
  internal_error: [500, 'server_error'],
  upstream_error: [502, 'api_error'],
  upstream_auth_failed: [502, 'api_error'],
  upstream_unavailable: [503, 'api_error'],
  upstream_queue_timeout: [503, 'api_error'],
  topic_guard_unavailable: [503, 'server_error'],
  guard_unavailable: [503, 'server_error'],
  state_unavailable: [503, 'server_error'],
  shutting_down: [503, 'server_error'],
  upstream_timeout: [504, 'api_error'],
} as const satisfies Record<string, readonly [number, ErrorType]>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error meant for the client: status, envelope and extra headers. Messages must never carry secrets. */
export class GatewayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly headers: Record<string, string>;
  readonly param: string | null;

  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: { param?: string | null; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(message);
    const [status, type] = ERROR_CODES[code];
    this.status = opts.status ?? status;
    this.type = type;
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }

  toEnvelope(): ErrorEnvelope {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const isGatewayError = (e: unknown): e is GatewayError => e instanceof GatewayError;
