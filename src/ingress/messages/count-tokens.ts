/**
 * `POST /v1/messages/count_tokens`: the prompt's size as the gateway counts it for budgets and limits (tiktoken
 * over the neutral request: an estimate of Anthropic's own tokenizer, which is not public). Authenticated and
 * checked against the team's models like a request; nothing is charged.
 */
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { countPromptTokens } from '../../tokens/prompt-tokens.js';
import { decodeMessagesRequest } from './decode.js';
import { toAnthropicError } from './errors.js';

export function registerCountTokensRoute(app: FastifyInstance, rt: Runtime): void {
  app.post('/messages/count_tokens', { config: { errorEnvelope: toAnthropicError } }, async (request) => {
    const body = request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? request.body : {};
    // count_tokens takes a Messages body without max_tokens.
    const req = decodeMessagesRequest({ max_tokens: 1, ...(body as object), stream: false }, request.headers);
    const { team, key } = request.principal!;
    const model = rt.catalog.resolve(req.model, team, key, { request: req, headers: request.headers, promptTokens: () => countPromptTokens(req, req.model) });
    return { input_tokens: countPromptTokens(req, model.targets[0]?.upstreamModel ?? req.model) };
  });
}
