/**
 * Provider usage objects → our `Usage`, and the rule that picks reported over counted figures.
 *
 * Our `promptTokens` is *all* input tokens billed for the request; `cachedTokens` and `cacheWriteTokens` are
 * subsets of it. OpenAI already reports it that way (`prompt_tokens` includes
 * `prompt_tokens_details.cached_tokens`). Anthropic does not: its `input_tokens` excludes
 * `cache_read_input_tokens` and `cache_creation_input_tokens`, so we add them (and never add them twice).
 * Anthropic's `message_delta.usage` figures are cumulative totals, so they replace (never add to) the
 * `message_start` figures; its `output_tokens` is the final completion count.
 */
import type { Usage } from '../core/types.js';

/** OpenAI `CompletionUsage` as it arrives on the wire (loosely typed: also OpenAI-compatible upstreams). */
export interface OpenAIUsageLike {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

/** Anthropic `Usage` (message_start / non-stream response) or `MessageDeltaUsage` (message_delta). */
export interface AnthropicUsageLike {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

const n = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** Pure. `undefined` when the provider sent no usage object (null/undefined). */
export function usageFromOpenAI(u: OpenAIUsageLike | null | undefined): Usage | undefined {
  if (!u) return undefined;
  const promptTokens = n(u.prompt_tokens);
  return {
    promptTokens,
    completionTokens: n(u.completion_tokens),
    // Clamp: a subset can never exceed its whole, even if an upstream misreports.
    cachedTokens: Math.min(n(u.prompt_tokens_details?.cached_tokens), promptTokens),
    cacheWriteTokens: 0,
    estimated: false,
  };
}

/** The prompt side of Anthropic usage (known from `message_start` even when the stream is later cut). */
export type PromptUsage = Pick<Usage, 'promptTokens' | 'cachedTokens' | 'cacheWriteTokens'>;

function pick(delta: number | null | undefined, start: number | null | undefined): number {
  return typeof delta === 'number' ? n(delta) : n(start);
}

/** Pure. Prompt usage from Anthropic figures; fields present in `delta` replace those in `start`. */
export function promptUsageFromAnthropic(start: AnthropicUsageLike, delta?: AnthropicUsageLike | null): PromptUsage {
  const input = pick(delta?.input_tokens, start.input_tokens);
  const cacheRead = pick(delta?.cache_read_input_tokens, start.cache_read_input_tokens);
  const cacheWrite = pick(delta?.cache_creation_input_tokens, start.cache_creation_input_tokens);
  return { promptTokens: input + cacheRead + cacheWrite, cachedTokens: cacheRead, cacheWriteTokens: cacheWrite };
}

/**
 * Pure. Complete usage of an Anthropic stream (`message_start.message.usage` + the last `message_delta.usage`),
 * or of a non-stream response (pass `response.usage` as `start` and omit `delta`).
 */
export function usageFromAnthropic(start: AnthropicUsageLike, delta?: AnthropicUsageLike | null): Usage {
  return {
    ...promptUsageFromAnthropic(start, delta),
    completionTokens: pick(delta?.output_tokens, start.output_tokens),
    estimated: false,
  };
}

/** What the pipeline knows at settle time. */
export interface UsageEvidence {
  /** Full usage reported by the provider (final usage chunk, response body, or message_start + message_delta). */
  reported?: Usage;
  /** Prompt usage reported before the stream was cut (Anthropic message_start). */
  reportedPrompt?: PromptUsage;
  /** Our pre-call estimate (countPromptTokens). */
  estimatedPromptTokens: number;
  /** Output tokens counted from the streamed text (CompletionCounter.tokens()). */
  countedCompletionTokens: number;
}

/**
 * Pure. Provider-reported usage always wins; otherwise the record is built from what we counted (prompt part
 * from the provider when it reported one) and marked `estimated`.
 */
export function resolveUsage(e: UsageEvidence): Usage {
  if (e.reported) return { ...e.reported, estimated: false };
  const prompt: PromptUsage = e.reportedPrompt ?? {
    promptTokens: e.estimatedPromptTokens,
    cachedTokens: 0,
    cacheWriteTokens: 0,
  };
  return { ...prompt, completionTokens: e.countedCompletionTokens, estimated: true };
}

/** Neutral usage → the OpenAI `usage` object clients see (`prompt_tokens` includes cached tokens). */
export function usageToOpenAI(u: Usage) {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
  };
}
