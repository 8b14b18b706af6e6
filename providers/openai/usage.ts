import type { Usage } from '../../src/core/types.js';
import { usageFromOpenAI } from '../../src/tokens/usage-extract.js';
import type { OpenAIUsage } from './wire.js';

/** OpenAI usage → neutral usage (`prompt_tokens` already includes cached tokens). One conversion: src/tokens. */
export const fromOpenAIUsage = (u: OpenAIUsage): Usage => usageFromOpenAI(u)!;
