/** Adapter factory by provider kind. To add a provider: a folder with the same files as `openai/`, and a case here. */
import { createAnthropicAdapter, type AnthropicAdapterOptions } from './anthropic/index.js';
import { createOpenAIAdapter } from './openai/index.js';
import type { ProviderAdapter, ProviderConfig } from './types.js';

export function createAdapter(config: ProviderConfig & AnthropicAdapterOptions): ProviderAdapter {
  switch (config.kind) {
    case 'openai':
      return createOpenAIAdapter(config);
    case 'anthropic': {
      // The provider's config carries the Anthropic translation knobs; without passing them the adapter would
      // fall back to its built-in defaults whatever the operator configured.
      const { defaultMaxTokens, structuredOutputs, samplingParams } = config;
      return createAnthropicAdapter(config, { defaultMaxTokens, structuredOutputs, samplingParams });
    }
  }
}
