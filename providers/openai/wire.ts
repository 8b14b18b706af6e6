/** OpenAI wire types, from the official `openai` package (the gateway's neutral output shape is the same). */
export type {
  ChatCompletion as OpenAIResponse,
  ChatCompletionChunk as OpenAIChunk,
  ChatCompletionCreateParams as OpenAIRequest,
} from 'openai/resources/chat/completions';
export type { CompletionUsage as OpenAIUsage } from 'openai/resources/completions';

/** The fields of an error object. `code` is a number (the HTTP status) in vLLM's errors. */
export interface OpenAIErrorFields {
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | number | null;
}

/**
 * An error body as OpenAI-compatible servers send it: OpenAI's `{"error":{message,type,param,code}}`, vLLM's
 * flat `{"object":"error",message,type,param,code}` (its HTTP errors before 0.10), or TGI's
 * `{"error":"<text>","error_type":"…"}`.
 */
export interface OpenAIErrorBody extends OpenAIErrorFields {
  error?: OpenAIErrorFields | string;
  error_type?: string;
}
