import type { ChatResponse } from '../../src/core/types.js';
import type { CompletionResult } from '../types.js';
import { fromAnthropicUsage, toOpenAIUsage } from './usage.js';
import type { AnthropicMessage, AnthropicStopReason } from './wire.js';
import { parseUpstreamJson } from '../upstream-json.js';
import { cutAtStop } from './stop.js';

type FinishReason = ChatResponse['choices'][number]['finish_reason'];

/**
 * Anthropic has no system fingerprint; the OpenAI schema types it as a string (null breaks strict clients),
 * so translated answers carry this constant.
 */
export const ANTHROPIC_FINGERPRINT = 'fp_anthropic';

/** stop_reason → finish_reason. pause_turn (server tools paused a long turn) ends this answer: 'stop'. */
export function toFinishReason(reason: AnthropicStopReason | string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default: // end_turn, stop_sequence, pause_turn, and anything new
      return 'stop';
  }
}

/**
 * Decodes a 2xx Messages body into an OpenAI `chat.completion`. `localStops` are the stop sequences the gateway
 * enforces itself (whitespace-only ones, see stop.ts): the text is cut at the first, and the answer then ends
 * with `stop` (unless it calls tools).
 */
export function fromAnthropicResponse(provider: string, text: string, localStops: readonly string[] = []): CompletionResult {
  const msg = parseUpstreamJson<AnthropicMessage>(provider, text, 'response', (m) => Array.isArray(m?.content));
  const texts: string[] = [];
  const toolCalls: NonNullable<ChatResponse['choices'][number]['message']['tool_calls']> = [];
  for (const block of msg.content) {
    if (block.type === 'text') texts.push(block.text);
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
    // thinking / server-tool blocks have no OpenAI chat equivalent and are left out.
  }
  const usage = fromAnthropicUsage(msg.usage ?? {});
  const cut = cutAtStop(texts.join(''), localStops);
  const finish = cut.stopped && toolCalls.length === 0 ? 'stop' : toFinishReason(msg.stop_reason);
  const response: ChatResponse = {
    id: `chatcmpl-${msg.id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: msg.model,
    system_fingerprint: ANTHROPIC_FINGERPRINT,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: texts.length > 0 ? cut.text : null,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finish,
      },
    ],
    usage: toOpenAIUsage(msg.usage ?? {}),
  };
  return { response, usage };
}
