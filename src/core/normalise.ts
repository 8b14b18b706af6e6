import { GatewayError } from './errors.js';
import { checkRequestSchema } from './request-schema.js';
import type { ChatRequest, OpenAIChatBody } from './types.js';

/**
 * OpenAI wire body → neutral ChatRequest (frozen). Throws GatewayError 400 with the failing `param`.
 * Checks OpenAI's published schema first, then the few rules the schema cannot express.
 */
export function normaliseChatRequest(body: unknown): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
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

/** A copy of the request with new messages (guards that rewrite text use this; the original stays frozen). */
export function withMessages(req: ChatRequest, messages: ChatRequest['messages']): ChatRequest {
  return Object.freeze({ ...req, messages, body: { ...req.body, messages: messages as OpenAIChatBody['messages'] } });
}
