import type { Usage } from '../../src/core/types.js';
import type { OpenAIUsage } from './wire.js';

/** OpenAI usage → neutral usage. `prompt_tokens` already includes cached tokens. */
export function fromOpenAIUsage(u: OpenAIUsage): Usage {
  return {
    promptTokens: u.prompt_tokens ?? 0,
    completionTokens: u.completion_tokens ?? 0,
    cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    estimated: false,
  };
}
