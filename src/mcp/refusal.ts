/**
 * Gateway refusals of MCP requests, as JSON-RPC errors. `data.code` is the gateway's own error code (the same
 * names as the /v1 API: docs/errors.md), so a client can tell a rate limit from a policy refusal.
 */
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

export type RefusalCode =
  | 'tool_not_allowed'
  | 'tool_not_found'
  | 'tool_description_flagged'
  | 'pii_detected'
  | 'invalid_arguments'
  | 'prompt_injection_detected'
  | 'rate_limit_exceeded'
  | 'budget_exceeded'
  | 'state_unavailable'
  | 'upstream_timeout'
  | 'upstream_unavailable';

/**
 * JSON-RPC codes: invalid params for what the caller asked (a tool it may not use, arguments a guard refused);
 * the implementation-defined server-error range for the rest (-32029 limits, -32001 the SDK's request timeout,
 * -32003 an upstream that cannot be reached, -32004 the state store).
 */
const JSONRPC: Record<RefusalCode, number> = {
  tool_not_allowed: ErrorCode.InvalidParams,
  tool_not_found: ErrorCode.InvalidParams,
  tool_description_flagged: ErrorCode.InvalidParams,
  pii_detected: ErrorCode.InvalidParams,
  invalid_arguments: ErrorCode.InvalidParams,
  prompt_injection_detected: ErrorCode.InvalidParams,
  rate_limit_exceeded: -32029,
  budget_exceeded: -32029,
  upstream_timeout: ErrorCode.RequestTimeout,
  upstream_unavailable: -32003,
  state_unavailable: -32004,
};

/**
 * Not an SDK McpError: its message carries an "MCP error <n>:" prefix, which the client's McpError would then
 * prefix again. The SDK's server sends any thrown error's `code`, `message` and `data` as they are.
 */
export class McpRefusal extends Error {
  readonly code: number;
  readonly data: { code: RefusalCode } & Record<string, unknown>;
  constructor(readonly refusal: RefusalCode, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = JSONRPC[refusal];
    this.data = { code: refusal, ...extra };
  }
}

export const refusal = (code: RefusalCode, message: string, extra: Record<string, unknown> = {}) => new McpRefusal(code, message, extra);
