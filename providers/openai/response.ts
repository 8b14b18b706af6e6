import type { CompletionResult } from '../types.js';
import { emptyUsage } from '../../src/core/types.js';
import { fromOpenAIUsage } from './usage.js';
import type { OpenAIResponse } from './wire.js';
import { parseUpstreamJson } from '../upstream-json.js';

/** Decodes a 2xx non-streaming body. The body already has the neutral shape; we only check it is one. */
export function fromOpenAIResponse(provider: string, text: string): CompletionResult {
  const response = parseUpstreamJson<OpenAIResponse>(provider, text, 'response', (r) => Array.isArray(r?.choices));
  // Some OpenAI-compatible servers omit fields the official schema requires; fill them so clients validate.
  for (const choice of response.choices) {
    if (choice.message && choice.message.refusal === undefined) choice.message.refusal = null;
    if (choice.logprobs === undefined) choice.logprobs = null;
  }
  response.object ??= 'chat.completion';
  return { response, usage: response.usage ? fromOpenAIUsage(response.usage) : emptyUsage() };
}
