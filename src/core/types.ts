/**
 * The provider-neutral shapes every stage of the pipeline speaks.
 *
 * Decision: the neutral *output* format (responses and stream chunks) is OpenAI's chat completion wire shape,
 * typed by the official `openai` package. It is the lingua franca every client of this gateway already speaks,
 * so the common path (OpenAI-kind upstream) needs no translation at all, and translated providers (Anthropic)
 * produce it directly. The neutral *request* is a validated, frozen OpenAI request plus the facts the pipeline
 * derives once (public model, stream flags, output cap), so adapters translate from one well-typed source.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { RequestPassthrough } from './passthrough.js';

export type OpenAIChatBody = ChatCompletionCreateParams & Record<string, unknown>;
export type ChatMessage = ChatCompletionMessageParam;
export type ToolDefinition = ChatCompletionTool;

/** A validated chat request. Frozen after normalisation; guards that rewrite messages produce a new one. */
export interface ChatRequest {
  /** Public model name as the client sent it (an alias or `provider/model`). */
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly stream: boolean;
  /** The client asked for the final usage chunk (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
  /** `max_completion_tokens` ?? `max_tokens`, when the client gave one. */
  readonly maxOutputTokens?: number;
  /** Number of choices (OpenAI `n`), 1 when absent. */
  readonly n: number;
  /** The full validated body (every other OpenAI parameter lives here, untouched). */
  readonly body: Readonly<OpenAIChatBody>;
  /**
   * What an ingress format has that this request cannot hold (design.md "Several wire formats"): a same-format
   * target sends it byte-faithfully, any other target maps it or refuses the request. See core/passthrough.ts.
   */
  readonly passthrough?: RequestPassthrough;
}

export type ChatResponse = ChatCompletion;
export type ChatChunk = ChatCompletionChunk;

/** Token usage of one request, as the provider reported it or as we counted it. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens read from the provider's prompt cache (subset of promptTokens). */
  cachedTokens: number;
  /** Prompt tokens written to the provider's prompt cache (Anthropic cache_creation; subset of promptTokens). */
  cacheWriteTokens: number;
  /** True when counted by the gateway because the provider reported nothing (aborted stream). */
  estimated: boolean;
}

export const emptyUsage = (): Usage => ({
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  estimated: false,
});
