import type { CompletionUsage } from 'openai/resources/completions';
import type { Usage } from '../../src/core/types.js';
import { usageFromAnthropic, usageToOpenAI } from '../../src/tokens/usage-extract.js';
import type { AnthropicDeltaUsage, AnthropicUsage } from './wire.js';

/** The usage fields we read; `message_start` and non-streaming bodies give them all, `message_delta` some. */
export type AnthropicUsageLike = Partial<
  Pick<AnthropicUsage, 'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens' | 'output_tokens_details'>
>;

/**
 * Anthropic usage → neutral usage. Anthropic's `input_tokens` excludes cache reads and writes; OpenAI's
 * `prompt_tokens` includes them, so the neutral prompt count is the sum (one conversion: src/tokens).
 */
export const fromAnthropicUsage = (u: AnthropicUsageLike): Usage => usageFromAnthropic(u);

/**
 * Anthropic usage → the `usage` object clients see, shaped like OpenAI's: both detail objects are always there
 * (OpenAI always sends them, and client code reads `usage.completion_tokens_details.reasoning_tokens` without a
 * guard), and Anthropic's `output_tokens_details.thinking_tokens` is OpenAI's `reasoning_tokens` (a subset of the
 * completion tokens in both APIs).
 */
export function toOpenAIUsage(u: AnthropicUsageLike): CompletionUsage {
  const base = usageToOpenAI(fromAnthropicUsage(u));
  const thinking = u.output_tokens_details?.thinking_tokens;
  const reasoning = typeof thinking === 'number' && thinking > 0 ? Math.min(thinking, base.completion_tokens) : 0;
  return {
    ...base,
    prompt_tokens_details: { ...base.prompt_tokens_details, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/**
 * Folds a `message_delta` usage into the `message_start` one. Delta figures are cumulative totals, not
 * increments, so a present field replaces the earlier value (adding them would double-count).
 */
export function mergeDeltaUsage(start: AnthropicUsageLike, delta: Partial<AnthropicDeltaUsage> | undefined): AnthropicUsageLike {
  if (!delta) return start;
  return {
    input_tokens: delta.input_tokens ?? start.input_tokens,
    output_tokens: delta.output_tokens ?? start.output_tokens,
    cache_creation_input_tokens: delta.cache_creation_input_tokens ?? start.cache_creation_input_tokens,
    cache_read_input_tokens: delta.cache_read_input_tokens ?? start.cache_read_input_tokens,
    output_tokens_details: delta.output_tokens_details ?? start.output_tokens_details,
  };
}
