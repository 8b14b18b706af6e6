/** Responses API objects built from neutral answers (the translated path): the Response, its output items, usage. */
import type { ChatRequest, ChatResponse, Usage } from '../../core/types.js';

type Json = Record<string, any>;

/** Neutral usage (+ reasoning tokens where the provider reported them) → Responses usage. */
export function responsesUsage(u: Usage, reasoningTokens = 0): Json {
  return {
    input_tokens: u.promptTokens,
    input_tokens_details: { cached_tokens: u.cachedTokens },
    output_tokens: u.completionTokens,
    output_tokens_details: { reasoning_tokens: Math.min(reasoningTokens, u.completionTokens) },
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

export const responseId = (id: string) => `resp_${id.replace(/^chatcmpl-/, '').replace(/[^A-Za-z0-9_]/g, '')}`;

export const messageItem = (id: string, text: string, status = 'completed'): Json => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: status === 'completed' ? [outputText(text)] : [],
});

export const outputText = (text: string): Json => ({ type: 'output_text', text, annotations: [], logprobs: [] });

export const functionCallItem = (id: string, callId: string, name: string, args: string, status = 'completed'): Json => ({
  id,
  type: 'function_call',
  status,
  call_id: callId,
  name,
  arguments: args,
});

/**
 * The Response object around `output`, echoing the request's settings as the API does. `finish` decides the
 * status: an answer cut at max_output_tokens is `incomplete`.
 */
export function responseObject(req: ChatRequest | undefined, o: { id: string; createdAt: number; model: string; status: string; output: Json[]; usage: Json | null; finish?: string | null }): Json {
  const b = (req?.passthrough?.format === 'responses' ? req.passthrough.body : {}) as Json;
  const incomplete = o.finish === 'length';
  const status = o.status === 'completed' && incomplete ? 'incomplete' : o.status;
  return {
    id: o.id,
    object: 'response',
    created_at: o.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    model: o.model,
    output: o.output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: b.reasoning?.effort ?? null, summary: null },
    store: false,
    temperature: b.temperature ?? 1,
    text: { format: b.text?.format ?? { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [],
    top_p: b.top_p ?? 1,
    truncation: 'disabled',
    usage: o.usage,
    user: b.user ?? null,
    metadata: b.metadata ?? {},
  };
}

/** A neutral (translated) whole answer as a Response. */
export function toResponse(req: ChatRequest | undefined, response: ChatResponse, usage: Usage | undefined, reasoningTokens: number): Json {
  const choice = response.choices[0];
  const id = responseId(response.id);
  const output: Json[] = [];
  const text = choice?.message.content ?? choice?.message.refusal;
  if (text) output.push(messageItem(`msg_${id.slice(5)}`, text));
  (choice?.message.tool_calls ?? []).forEach((tc, k) => {
    if (tc.type === 'function') output.push(functionCallItem(`fc_${id.slice(5)}_${k}`, tc.id, tc.function.name, tc.function.arguments));
  });
  return responseObject(req, {
    id,
    createdAt: response.created,
    model: response.model,
    status: 'completed',
    output,
    usage: usage ? responsesUsage(usage, reasoningTokens) : null,
    finish: choice?.finish_reason,
  });
}
