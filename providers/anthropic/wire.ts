/** Anthropic Messages API wire types, from the official `@anthropic-ai/sdk` package (types only). */
export type {
  Base64ImageSource as AnthropicBase64ImageSource,
  ContentBlock as AnthropicContentBlock,
  ContentBlockParam as AnthropicContentBlockParam,
  ImageBlockParam as AnthropicImageBlockParam,
  Message as AnthropicMessage,
  MessageCreateParamsBase as AnthropicRequest,
  MessageDeltaUsage as AnthropicDeltaUsage,
  MessageParam as AnthropicMessageParam,
  RawMessageStreamEvent as AnthropicStreamEvent,
  StopReason as AnthropicStopReason,
  TextBlockParam as AnthropicTextBlockParam,
  Tool as AnthropicTool,
  ToolChoice as AnthropicToolChoice,
  ToolResultBlockParam as AnthropicToolResultBlockParam,
  Usage as AnthropicUsage,
} from '@anthropic-ai/sdk/resources/messages/messages';

/** Anthropic's error body: `{"type":"error","error":{"type","message"}}`, also sent as an `error` stream event. */
export interface AnthropicErrorBody {
  type?: string;
  error?: { type?: string; message?: string };
}

/** The API version every request pins (the one the official SDKs send). */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Like the official SDK's ANTHROPIC_BASE_URL default: the origin, without `/v1`. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
