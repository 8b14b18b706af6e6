/**
 * The same-format path of the Responses ingress: an OpenAI-format provider with the Responses API
 * (`responsesApi`, default on for api.openai.com) gets the client's own body (model and guarded texts replaced;
 * `previous_response_id`, `store`, built-in tools, reasoning items… as sent) at `POST {baseUrl}/responses`. The
 * answer is decoded into neutral chunks for the stages (text and function-call argument deltas, usage), each
 * carrying the event it came from, so the ingress relays the upstream's own events.
 */
import { emptyUsage, type ChatChunk, type ChatRequest, type ChatResponse, type Usage } from '../../src/core/types.js';
import { attachPassthrough, nativeBody } from '../../src/core/passthrough.js';
import { usageFromOpenAI } from '../../src/tokens/usage-extract.js';
import type { AbortSignalLike } from '../abort.js';
import { readSse } from '../sse.js';
import { readBody, toProviderError, type Transport, type UpstreamResponse } from '../transport.js';
import { ProviderError, type AttemptTrace, type ChunkStream, type CompletionResult, type ProviderConfig, type Target } from '../types.js';
import { parseUpstreamJson } from '../upstream-json.js';
import { openAIHttpError, openAIStreamError } from './errors.js';

type Json = Record<string, any>;

/** Whether a provider takes Responses requests natively: as configured, else only OpenAI's own API. */
export function speaksResponses(config: ProviderConfig & { responsesApi?: boolean }): boolean {
  if (config.responsesApi !== undefined) return config.responsesApi;
  try {
    return new URL(config.baseUrl).hostname === 'api.openai.com';
  } catch {
    return false;
  }
}

export const isResponsesRequest = (req: ChatRequest) => req.passthrough?.format === 'responses';

/** Responses usage → neutral usage (through the chat shape: one conversion, src/tokens). */
export function usageFromResponses(u: Json | null | undefined): Usage | undefined {
  if (!u || typeof u.input_tokens !== 'number') return undefined;
  return usageFromOpenAI({
    prompt_tokens: u.input_tokens,
    completion_tokens: u.output_tokens ?? 0,
    prompt_tokens_details: { cached_tokens: u.input_tokens_details?.cached_tokens ?? 0 },
  });
}

const chatUsage = (u: Json) => ({
  prompt_tokens: u.input_tokens,
  completion_tokens: u.output_tokens ?? 0,
  total_tokens: u.total_tokens ?? u.input_tokens + (u.output_tokens ?? 0),
  prompt_tokens_details: { cached_tokens: u.input_tokens_details?.cached_tokens ?? 0 },
  completion_tokens_details: { reasoning_tokens: u.output_tokens_details?.reasoning_tokens ?? 0 },
});

async function post(provider: string, transport: Transport, headers: Record<string, string>, req: ChatRequest, target: Target, stream: boolean, signal: AbortSignalLike, trace?: AttemptTrace) {
  const body = nativeBody(req.passthrough!, req.messages);
  body.model = target.upstreamModel;
  if (stream) body.stream = true;
  const res = await transport.post('responses', JSON.stringify(body), headers, signal, trace);
  if (res.status >= 300) throw openAIHttpError(provider, res, await readBody(res, signal, provider));
  return res;
}

/** A Response as a neutral answer (text of its message items, its function calls, usage), carrying the Response. */
export function neutralFromResponse(r: Json): ChatResponse {
  let text = '';
  const calls: Json[] = [];
  for (const item of r.output ?? []) {
    if (item.type === 'message') for (const c of item.content ?? []) if (c.type === 'output_text') text += c.text;
    if (item.type === 'function_call') calls.push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
  }
  const finish = calls.length ? 'tool_calls' : r.status === 'incomplete' ? 'length' : 'stop';
  return {
    id: `chatcmpl-${r.id}`,
    object: 'chat.completion',
    created: r.created_at ?? Math.floor(Date.now() / 1000),
    model: r.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text || null, refusal: null, ...(calls.length ? { tool_calls: calls } : {}) }, logprobs: null, finish_reason: finish }],
    ...(r.usage ? { usage: chatUsage(r.usage) } : {}),
  } as ChatResponse;
}

export async function completeResponses(provider: string, transport: Transport, headers: Record<string, string>, req: ChatRequest, target: Target, signal: AbortSignalLike, trace?: AttemptTrace): Promise<CompletionResult> {
  const res = await post(provider, transport, headers, req, target, false, signal, trace);
  const r = parseUpstreamJson<Json>(provider, await readBody(res, signal, provider), 'response', (x) => x?.object === 'response');
  const response = attachPassthrough(neutralFromResponse(r), { format: 'responses', message: r });
  return { response, usage: usageFromResponses(r.usage) ?? emptyUsage() };
}

/**
 * One neutral chunk per event. `output_text.done` and `function_call_arguments.done` carry a finish reason so
 * stage 8 releases text it held back before the event that closes the text goes out.
 */
export async function streamResponses(provider: string, transport: Transport, headers: Record<string, string>, req: ChatRequest, target: Target, signal: AbortSignalLike, trace?: AttemptTrace): Promise<ChunkStream> {
  const res: UpstreamResponse = await post(provider, transport, headers, req, target, true, signal, trace);
  let usage: Usage | undefined;
  let finished = false;
  let id = 'chatcmpl-responses';
  let model = target.upstreamModel;
  const calls = new Map<string, number>();
  const chunk = (delta: Json = {}, finish: string | null = null, choices = true): ChatChunk =>
    ({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: choices ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [] }) as ChatChunk;

  function decode(ev: Json): ChatChunk {
    switch (ev.type) {
      case 'response.created':
        id = `chatcmpl-${ev.response?.id ?? 'responses'}`;
        model = ev.response?.model ?? model;
        return chunk({ role: 'assistant', content: '' });
      case 'response.output_item.added':
        if (ev.item?.type !== 'function_call') return chunk(undefined, null, false);
        calls.set(ev.item.id, calls.size);
        return chunk({ tool_calls: [{ index: calls.size - 1, id: ev.item.call_id, type: 'function', function: { name: ev.item.name, arguments: ev.item.arguments ?? '' } }] });
      case 'response.output_text.delta':
        return chunk({ content: ev.delta ?? '' });
      case 'response.function_call_arguments.delta':
        return chunk({ tool_calls: [{ index: calls.get(ev.item_id) ?? 0, function: { arguments: ev.delta ?? '' } }] });
      case 'response.output_text.done':
        return chunk({}, 'stop');
      case 'response.function_call_arguments.done':
        return chunk({}, 'tool_calls');
      case 'response.completed':
      case 'response.incomplete': {
        finished = true;
        usage = usageFromResponses(ev.response?.usage);
        const c = chunk(undefined, null, false);
        if (ev.response?.usage) c.usage = chatUsage(ev.response.usage) as ChatChunk['usage'];
        return c;
      }
      case 'response.failed':
        throw new ProviderError('server', ev.response?.error?.message ?? 'The upstream response failed.', { provider });
      case 'error':
        throw openAIStreamError(provider, ev);
      default:
        return chunk(undefined, null, false);
    }
  }

  async function* iterate(): AsyncGenerator<ChatChunk> {
    try {
      for await (const event of readSse(res.body)) {
        if (event.data === '[DONE]') break;
        const ev = parseUpstreamJson<Json>(provider, event.data, 'stream event', (x) => typeof x?.type === 'string');
        const c = decode(ev);
        const d = c.choices[0]?.delta;
        attachPassthrough(c, { format: 'responses', event: event.event, data: event.data, text: d?.content ?? undefined, args: d?.tool_calls?.[0]?.function?.arguments });
        yield c;
        if (finished) break;
      }
    } catch (err) {
      throw toProviderError(err, { timedOut: res.timedOut(), clientAborted: signal.aborted, provider });
    } finally {
      res.release(finished);
    }
    if (!finished) throw new ProviderError('network', 'The upstream stream ended before it was complete.', { provider });
  }
  return { [Symbol.asyncIterator]: iterate, usage: () => usage };
}
