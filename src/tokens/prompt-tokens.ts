/**
 * Pre-call estimate of a chat request's prompt tokens, following the OpenAI cookbook ("How to count tokens with
 * tiktoken", `num_tokens_from_messages`): 3 tokens per message, the tokens of every string value of the message
 * (role, content, name, tool_call_id, …), 1 more per `name`, and 3 for the reply priming
 * (`<|start|>assistant<|message|>`). Structured values the cookbook does not cover are counted as:
 *  - content parts: text and refusal parts by their text; image parts by OpenAI's vision formula (image-tokens.ts);
 *    audio and file parts count 0 (their size is not knowable without decoding them);
 *  - assistant `tool_calls` / legacy `function_call`: tokens of the function name plus its arguments text.
 * Tool definitions (`tools`, legacy `functions`) add the cookbook's function-calling formula (tool-tokens.ts).
 * A `json_schema` response format (not in the cookbook) adds the tokens of its schema serialised as compact
 * JSON: on the recorded gpt-4o transcripts that matches the reported prompt_tokens exactly (+65 for the SDK's
 * `Location` schema); `json_object` adds nothing (also matches).
 *
 * Hot path: repeated long strings (system prompts, resent history) are served from a bounded memo.
 */
import type { ChatRequest } from '../core/types.js';
import { countTextTokens, encodingForModel, type EncodingName } from './encoding.js';
import { imageSizeFromUrl, imageTokens } from './image-tokens.js';
import { createTextCountCache, type TextCountCache } from './text-count-cache.js';
import { countFunctionTokens, functionsOfTools, type FunctionLike } from './tool-tokens.js';
import { isRecord } from '../util/is-record.js';

export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const REPLY_PRIMING_TOKENS = 3;

const sharedCache = createTextCountCache();
const ONE_OFF = { oneOff: true };

function countPart(part: unknown, count: (s: string) => number): number {
  if (typeof part === 'string') return count(part);
  if (!isRecord(part)) return 0;
  if (typeof part.text === 'string') return count(part.text);
  if (typeof part.refusal === 'string') return count(part.refusal);
  if (isRecord(part.image_url)) {
    const url = typeof part.image_url.url === 'string' ? part.image_url.url : '';
    const detail = typeof part.image_url.detail === 'string' ? part.image_url.detail : undefined;
    return imageTokens(detail, detail === 'low' ? undefined : imageSizeFromUrl(url));
  }
  return 0;
}

function countCall(call: unknown, count: (s: string) => number): number {
  if (!isRecord(call)) return 0;
  const fn = isRecord(call.function) ? call.function : isRecord(call.custom) ? call.custom : call;
  let n = 0;
  if (typeof fn.name === 'string') n += count(fn.name);
  if (typeof fn.arguments === 'string') n += count(fn.arguments);
  if (typeof fn.input === 'string') n += count(fn.input);
  return n;
}

/** Pure (apart from the memo). Tokens of a message list including the reply priming. */
export function countMessageTokens(
  messages: readonly unknown[],
  encoding: EncodingName,
  cache: TextCountCache = sharedCache,
): number {
  const memoised = (s: string) => cache.count(s, encoding);
  // The newest message is almost always new: memoising it would fill the cache with one-off text that lives long
  // enough to burden the garbage collector. Next turn, when the client resends it as history, it is memoised.
  // Nor memoised whole when short: its words are (`oneOff`).
  const direct = (s: string) => countTextTokens(s, encoding, ONE_OFF);
  let n = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    const count = i === messages.length - 1 ? direct : memoised;
    n += TOKENS_PER_MESSAGE;
    if (!isRecord(message)) continue;
    for (const key in message) {
      const value = message[key];
      if (typeof value === 'string') {
        n += count(value);
        if (key === 'name') n += TOKENS_PER_NAME;
      } else if (key === 'content' && Array.isArray(value)) {
        for (const part of value) n += countPart(part, count);
      } else if (key === 'tool_calls' && Array.isArray(value)) {
        for (const call of value) n += countCall(call, count);
      } else if (key === 'function_call') {
        n += countCall(value, count);
      }
    }
  }
  return n + REPLY_PRIMING_TOKENS;
}

/** Pure (apart from the memo). Tokens of the request's tool definitions (`tools`, else legacy `functions`). */
export function countToolTokens(
  body: Readonly<Record<string, unknown>>,
  encoding: EncodingName,
  cache: TextCountCache = sharedCache,
): number {
  let fns: FunctionLike[] = [];
  if (Array.isArray(body.tools)) fns = functionsOfTools(body.tools);
  else if (Array.isArray(body.functions)) fns = body.functions.filter(isRecord);
  return countFunctionTokens(fns, encoding, (s) => cache.count(s, encoding));
}

/** Pure (apart from the memo). Tokens added by a `json_schema` response format; 0 for anything else. */
export function countResponseFormatTokens(
  body: Readonly<Record<string, unknown>>,
  encoding: EncodingName,
  cache: TextCountCache = sharedCache,
): number {
  const rf = body.response_format;
  if (!isRecord(rf) || rf.type !== 'json_schema' || !isRecord(rf.json_schema)) return 0;
  const schema = rf.json_schema.schema;
  return schema === undefined ? 0 : cache.count(JSON.stringify(schema), encoding);
}

/**
 * Estimated prompt tokens of `req` when sent to upstream `model` (the resolved provider model, which picks the
 * encoding). Never throws on any validated request; unknown shapes count as 0 rather than failing the call.
 */
export function countPromptTokens(req: ChatRequest, model: string): number {
  const encoding = encodingForModel(model);
  return (
    countMessageTokens(req.messages, encoding) +
    countToolTokens(req.body, encoding) +
    countResponseFormatTokens(req.body, encoding)
  );
}
