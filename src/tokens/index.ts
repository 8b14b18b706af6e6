/** Token counting: encodings per model, prompt estimates, streamed-output counting, provider usage → Usage. */
export { DEFAULT_ENCODING, MAX_RUN_CHARS, countTextTokens, encodingForModel, getEncoder, type EncodingName } from './encoding.js';
export { forEachSegment, lastSafeBoundary } from './segments.js';
export {
  REPLY_PRIMING_TOKENS,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_NAME,
  countMessageTokens,
  countPromptTokens,
  countResponseFormatTokens,
  countToolTokens,
} from './prompt-tokens.js';
export { countFunctionTokens, functionsOfTools, type FunctionLike } from './tool-tokens.js';
export {
  LOW_DETAIL_IMAGE_TOKENS,
  MAX_IMAGE_TILES,
  TOKENS_PER_TILE,
  UNKNOWN_SIZE_IMAGE_TOKENS,
  imageSizeFromUrl,
  imageTokens,
  type ImageDimensions,
} from './image-tokens.js';
export { MAX_TAIL_CHARS, TOOL_CALL_OVERHEAD_TOKENS, createCompletionCounter, type CompletionCounter } from './completion-counter.js';
export { createTextCountCache, type TextCountCache } from './text-count-cache.js';
export {
  promptUsageFromAnthropic,
  resolveUsage,
  usageFromAnthropic,
  usageFromOpenAI,
  type AnthropicUsageLike,
  type OpenAIUsageLike,
  type PromptUsage,
  type UsageEvidence,
} from './usage-extract.js';
