/** OpenAI wire types, from the official `openai` package (the gateway's neutral output shape is the same). */
export type {
  ChatCompletion as OpenAIResponse,
  ChatCompletionChunk as OpenAIChunk,
  ChatCompletionCreateParams as OpenAIRequest,
} from 'openai/resources/chat/completions';
export type { CompletionUsage as OpenAIUsage } from 'openai/resources/completions';

/** OpenAI's error body: `{"error":{"message","type","param","code"}}`. */
export interface OpenAIErrorBody {
  error?: { message?: string; type?: string; param?: string | null; code?: string | number | null };
}
