import type { Usage } from '../../src/core/types.js';
import { usageFromAnthropic } from '../../src/tokens/usage-extract.js';
import type { AnthropicDeltaUsage, AnthropicUsage } from './wire.js';

/** The usage fields we read; `message_start` and non-streaming bodies give them all, `message_delta` some. */
export type AnthropicUsageLike = Partial<Pick<AnthropicUsage, 'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'>>;

/**
 * Anthropic usage → neutral usage. Anthropic's `input_tokens` excludes cache reads and writes; OpenAI's
 * `prompt_tokens` includes them, so the neutral prompt count is the sum (one conversion: src/tokens).
 */
export const fromAnthropicUsage = (u: AnthropicUsageLike): Usage => usageFromAnthropic(u);

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
  };
}
