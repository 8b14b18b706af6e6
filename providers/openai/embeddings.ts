/**
 * `POST {baseUrl}/embeddings` for a request that came in on the embeddings ingress: the client's body with the
 * guarded inputs put back and the upstream model, answered with the upstream's body as received (carried as
 * passthrough on a neutral response whose only content is the usage).
 */
import { attachPassthrough, nativeBody } from '../../src/core/passthrough.js';
import type { ChatRequest, ChatResponse } from '../../src/core/types.js';
import { emptyUsage } from '../../src/core/types.js';
import type { AbortSignalLike } from '../abort.js';
import { readBody, type Transport } from '../transport.js';
import type { AttemptTrace, CompletionResult, Target } from '../types.js';
import { parseUpstreamJson } from '../upstream-json.js';
import { openAIHttpError } from './errors.js';
import { fromOpenAIUsage } from './usage.js';

export const isEmbeddings = (req: ChatRequest) => req.passthrough?.format === 'embeddings';

export async function embed(provider: string, transport: Transport, headers: Record<string, string>, req: ChatRequest, target: Target, signal: AbortSignalLike, trace?: AttemptTrace): Promise<CompletionResult> {
  const body = nativeBody(req.passthrough!, req.messages);
  body.model = target.upstreamModel;
  const res = await transport.post('embeddings', JSON.stringify(body), headers, signal, trace);
  const text = await readBody(res, signal, provider);
  if (res.status >= 300) throw openAIHttpError(provider, res, text);
  const answer = parseUpstreamJson<{ model?: string; data?: unknown[]; usage?: { prompt_tokens?: number; total_tokens?: number } }>(provider, text, 'response', (r) => Array.isArray(r?.data));
  const prompt = answer.usage?.prompt_tokens;
  const usage = typeof prompt === 'number' ? { prompt_tokens: prompt, completion_tokens: 0, total_tokens: prompt } : undefined;
  const response = { id: `embd-${Date.now().toString(36)}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: answer.model ?? target.upstreamModel, choices: [], ...(usage ? { usage } : {}) } as unknown as ChatResponse;
  attachPassthrough(response, { format: 'embeddings', message: answer as Record<string, unknown> });
  return { response, usage: usage ? fromOpenAIUsage(usage) : emptyUsage() };
}
