/** Adapter factory by provider kind. To add a provider: a folder with the same files as `openai/`, and a case here. */
import { createAnthropicAdapter } from './anthropic/index.js';
import { createOpenAIAdapter } from './openai/index.js';
import type { ProviderAdapter, ProviderConfig } from './types.js';

export function createAdapter(config: ProviderConfig & { defaultMaxTokens?: number }): ProviderAdapter {
  switch (config.kind) {
    case 'openai':
      return createOpenAIAdapter(config);
    case 'anthropic':
      return createAnthropicAdapter(config);
  }
}
