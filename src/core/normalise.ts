import { GatewayError } from './errors.js';
import { checkRequestSchema } from './request-schema.js';
import type { ChatRequest, OpenAIChatBody } from './types.js';

/**
 * Deepest nesting accepted in a body. JSON Schemas in tools and response_format nest a few dozen levels at most;
 * deeper input only overflows the recursive steps after this one (schema validation, serialising for the
 * provider), which would answer 500 instead of 400.
 */
export const MAX_BODY_DEPTH = 100;

/** Nesting depth of a parsed JSON value, up to `limit + 1` (walked iteratively: no recursion to overflow). */
export function depthBeyond(value: unknown, limit: number): boolean {
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length) {
    const v = stack.pop() as object;
    const d = depths.pop()!;
    if (d > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') {
        stack.push(child);
        depths.push(d + 1);
      }
    }
  }
  return false;
}

/**
 * OpenAI wire body → neutral ChatRequest (frozen). Throws GatewayError 400 with the failing `param`.
 * Checks OpenAI's published schema first, then the few rules the schema cannot express.
 */
export function normaliseChatRequest(body: unknown): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  }
  if (depthBeyond(body, MAX_BODY_DEPTH)) {
    throw new GatewayError('invalid_request', `The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
  }
  const problem = checkRequestSchema(body);
  if (problem) throw new GatewayError('invalid_request', problem.message, { param: problem.param || null });

  const b = body as OpenAIChatBody;
  if (typeof b.model !== 'string' || b.model.length === 0) {
    throw new GatewayError('invalid_request', "Invalid value for 'model': must be a non-empty string.", { param: 'model' });
  }
  if (b.messages.length === 0) {
    throw new GatewayError('invalid_request', "Invalid value for 'messages': must contain at least one message.", {
      param: 'messages',
    });
  }
  const stream = b.stream === true;
  if (!stream && b.stream_options != null) {
    throw new GatewayError('invalid_request', "Invalid value for 'stream_options': only allowed when 'stream' is true.", {
      param: 'stream_options',
    });
  }
  const maxOutputTokens = b.max_completion_tokens ?? b.max_tokens ?? undefined;
  return Object.freeze({
    model: b.model,
    messages: b.messages,
    stream,
    includeUsage: stream && b.stream_options?.include_usage === true,
    maxOutputTokens: maxOutputTokens ?? undefined,
    n: b.n ?? 1,
    body: b,
  });
}

/** A copy of the request with some top-level body fields replaced (not `messages`: use withMessages). */
export function withBody(req: ChatRequest, fields: Readonly<Record<string, unknown>>): ChatRequest {
  return Object.freeze({ ...req, body: { ...req.body, ...fields } as OpenAIChatBody });
}

/** A copy of the request with new messages (guards that rewrite text use this; the original stays frozen). */
export function withMessages(req: ChatRequest, messages: ChatRequest['messages']): ChatRequest {
  return Object.freeze({ ...req, messages, body: { ...req.body, messages: messages as OpenAIChatBody['messages'] } });
}
