import type { ChatMessage } from '../../src/core/types.js';
import { ProviderError } from '../types.js';
import type {
  AnthropicContentBlockParam,
  AnthropicImageBlockParam,
  AnthropicMessageParam,
  AnthropicTextBlockParam,
} from './wire.js';

type Part = { type?: string; text?: string; refusal?: string; image_url?: { url?: string }; file?: { file_data?: string } };

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

const bad = (message: string, param: string) =>
  new ProviderError('bad_request', message, { status: 400, param });

/**
 * OpenAI messages → Anthropic `system` + alternating `messages`. Pure; throws ProviderError('bad_request')
 * (with `param`) for content Anthropic cannot take.
 *
 * - system and developer messages, wherever they appear, are hoisted into `system` (joined in order by a
 *   blank line): Anthropic has one system prompt per request.
 * - consecutive turns of the same role are merged (Anthropic requires alternation); `tool` messages become
 *   `tool_result` blocks of a user turn, in the order the client sent them, ahead of any user text that follows.
 * - assistant `tool_calls` become `tool_use` blocks (several for parallel calls), arguments parsed back to objects.
 * - empty and whitespace-only text is left out (Anthropic refuses such text blocks; see hasText).
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]): { system: string | undefined; messages: AnthropicMessageParam[] } {
  const system: string[] = [];
  const out: AnthropicMessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = out[out.length - 1];
    if (last && last.role === role) (last.content as AnthropicContentBlockParam[]).push(...blocks);
    else out.push({ role, content: blocks });
  };

  messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = textOf(m.content, `${param}.content`);
        if (hasText(text)) system.push(text);
        break;
      }
      case 'user':
        push('user', userBlocks(m.content, `${param}.content`));
        break;
      case 'assistant': {
        // Legacy function calling has no translation here (its answers would need `function_call`, not tool_calls):
        // refusing it beats dropping the call from the history.
        if (m.function_call) throw bad('Legacy function_call is not supported by anthropic models; use tool_calls.', `${param}.function_call`);
        const blocks: AnthropicContentBlockParam[] = [];
        if (m.content != null) blocks.push(...textBlocks(m.content, `${param}.content`));
        // A refusal the model gave earlier (OpenAI's `refusal` field; the SDK's runners send it back) is what the
        // assistant said in that turn: without it the turn vanishes and the user turns around it merge.
        if (blocks.length === 0 && hasText(m.refusal ?? undefined)) blocks.push({ type: 'text', text: m.refusal as string });
        for (const [k, call] of (m.tool_calls ?? []).entries()) {
          if (call.type !== 'function') throw bad('Only function tool calls can be sent to anthropic models.', `${param}.tool_calls[${k}]`);
          blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments, `${param}.tool_calls[${k}].function.arguments`) });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool': {
        const text = textOf(m.content, `${param}.content`);
        push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, ...(hasText(text) ? { content: text } : {}) }]);
        break;
      }
      default:
        throw bad(`Messages with role '${m.role}' are not supported by anthropic models.`, `${param}.role`);
    }
  });
  return { system: system.length > 0 ? system.join('\n\n') : undefined, messages: out };
}

function parseArguments(args: string, param: string): Record<string, unknown> {
  if (!args.trim()) return {};
  try {
    const value = JSON.parse(args) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through: Anthropic needs an object, so the request cannot be translated faithfully
  }
  throw bad('Tool call arguments must be a JSON object to be sent to anthropic models.', param);
}

/** Joined text of a string or text-part content (system, developer, tool messages). */
function textOf(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Part[])
    .map((p, j) => {
      if (p.type === 'text') return p.text ?? '';
      throw bad(`Content parts of type '${p.type}' are not supported here.`, `${param}[${j}]`);
    })
    .join('\n');
}

/**
 * Whether text may become a text block. Anthropic answers 400 to an empty text block anywhere, and to a
 * whitespace-only one in a message without other text ("text content blocks must contain non-whitespace text");
 * OpenAI accepts both, and Claude itself often answers "\n\n" next to a tool call, which clients send back.
 * Such text carries nothing, so it is left out.
 */
const hasText = (text: string | undefined): text is string => typeof text === 'string' && text.trim() !== '';

/** Text blocks, skipping empty and whitespace-only text (see hasText). Assistant refusals are kept as text. */
function textBlocks(content: unknown, param: string): AnthropicTextBlockParam[] {
  if (typeof content === 'string') return hasText(content) ? [{ type: 'text', text: content }] : [];
  return ((content ?? []) as Part[]).flatMap((p, j): AnthropicTextBlockParam[] => {
    if (p.type === 'text') return hasText(p.text) ? [{ type: 'text', text: p.text }] : [];
    if (p.type === 'refusal') return hasText(p.refusal) ? [{ type: 'text', text: p.refusal }] : [];
    throw bad(`Content parts of type '${p.type}' are not supported here.`, `${param}[${j}]`);
  });
}

function userBlocks(content: unknown, param: string): AnthropicContentBlockParam[] {
  if (typeof content === 'string') return hasText(content) ? [{ type: 'text', text: content }] : [];
  return ((content ?? []) as Part[]).flatMap((p, j): AnthropicContentBlockParam[] => {
    if (p.type === 'text') return hasText(p.text) ? [{ type: 'text', text: p.text }] : [];
    if (p.type === 'image_url') return [imageBlock(p.image_url?.url ?? '', `${param}[${j}].image_url.url`)];
    if (p.type === 'file' && p.file?.file_data) return [pdfBlock(p.file.file_data, `${param}[${j}].file.file_data`)];
    throw bad(`Content parts of type '${p.type}' are not supported by anthropic models.`, `${param}[${j}]`);
  });
}

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*?);base64,(.*)$/s;

/** data: URLs become base64 sources, http(s) URLs become url sources (Anthropic fetches them itself). */
function imageBlock(url: string, param: string): AnthropicImageBlockParam {
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  const m = DATA_URL.exec(url);
  if (!m) throw bad('Images must be https URLs or base64 data URLs.', param);
  const mediaType = m[1].toLowerCase().replace('image/jpg', 'image/jpeg');
  if (!IMAGE_TYPES.has(mediaType)) throw bad(`Image type '${m[1]}' is not supported (use jpeg, png, gif or webp).`, param);
  return { type: 'image', source: { type: 'base64', media_type: mediaType as 'image/png', data: m[3] } };
}

function pdfBlock(fileData: string, param: string): AnthropicContentBlockParam {
  const m = DATA_URL.exec(fileData);
  if (!m || m[1].toLowerCase() !== 'application/pdf') throw bad('Only PDF files (as base64 data URLs) can be sent to anthropic models.', param);
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: m[3] } };
}
