/**
 * Anthropic Messages body → neutral request. The neutral messages carry every text (so guards, token counts,
 * routing and the cache see the conversation), tool calls and results, and images; the client's body itself is
 * kept as format-owned passthrough for Anthropic targets (core/passthrough.ts), with a slot per text so guard
 * rewrites reach it. What an OpenAI-format target cannot be sent is listed in `untranslatable`.
 */
import { GatewayError } from '../../core/errors.js';
import { depthBeyond, MAX_BODY_DEPTH } from '../../core/normalise.js';
import type { AnthropicPassthrough, TextSlot } from '../../core/passthrough.js';
import type { ChatMessage, ChatRequest, OpenAIChatBody } from '../../core/types.js';
import { firstRangeProblem, MAX_OUTPUT_TOKENS_LIMIT } from '../ranges.js';
import { isRecord } from '../../util/is-record.js';

type Json = Record<string, any>;

/**
 * `anthropic-version` is a date (the SDKs send their own, e.g. 2023-06-01 or newer): forwarded as sent to
 * Anthropic targets, which answer an unknown one with their own 400. Optional here, as the SDKs always send it.
 */
const VERSION = /^\d{4}-\d{2}-\d{2}$/;

/** Top-level fields with a neutral meaning; any other field is carried for Anthropic targets only. */
const MAPPED = new Set(['model', 'messages', 'system', 'max_tokens', 'stream', 'stop_sequences', 'temperature', 'top_p', 'tools', 'tool_choice', 'metadata', 'thinking']);

const bad = (message: string, param?: string) => new GatewayError('invalid_request', message, { param: param ?? null });

export function decodeMessagesRequest(body: unknown, headers: Record<string, string | string[] | undefined>): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('The request body must be a JSON object.');
  if (depthBeyond(body, MAX_BODY_DEPTH)) throw bad(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
  const b = body as Json;
  const passHeaders = anthropicHeaders(headers);
  if (typeof b.model !== 'string' || !b.model) throw bad('model: Field required', 'model');
  if (!Number.isInteger(b.max_tokens) || b.max_tokens < 1) throw bad('max_tokens: Field required (a positive integer)', 'max_tokens');
  // Anthropic's published ranges (temperature and top_p 0–1).
  const range = firstRangeProblem(b, {
    max_tokens: { min: 1, max: MAX_OUTPUT_TOKENS_LIMIT, integer: true },
    temperature: { min: 0, max: 1 },
    top_p: { min: 0, max: 1 },
    top_k: { min: 0, max: 1_000_000, integer: true },
  });
  if (range) throw bad(`${range[0]}: Input ${range[1]}`, range[0]);
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw bad('messages: at least one message is required', 'messages');
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw bad('stream: Input should be a valid boolean', 'stream');

  const d = new Decoder();
  d.system(b.system);
  b.messages.forEach((m: unknown, k: number) => d.message(m, k));
  const untranslatable = d.untranslatable;
  for (const key of Object.keys(b)) {
    if (!MAPPED.has(key) && b[key] !== undefined && b[key] !== null) untranslatable.push({ param: key, message: `'${key}' is only supported on anthropic models.` });
  }

  const stream = b.stream === true;
  const out: Json = { model: b.model, messages: d.messages, max_completion_tokens: b.max_tokens };
  if (stream) out.stream = true;
  if (stream) out.stream_options = { include_usage: true };
  if (typeof b.temperature === 'number') out.temperature = b.temperature;
  if (typeof b.top_p === 'number') out.top_p = b.top_p;
  if (b.stop_sequences !== undefined) {
    if (!Array.isArray(b.stop_sequences) || b.stop_sequences.some((s: unknown) => typeof s !== 'string')) throw bad('stop_sequences: Input should be a list of strings', 'stop_sequences');
    if (b.stop_sequences.length > 4) untranslatable.push({ param: 'stop_sequences', message: 'More than 4 stop_sequences are only supported on anthropic models.' });
    else if (b.stop_sequences.length) out.stop = b.stop_sequences;
  }
  // Types the translation reads are checked here, as Anthropic checks them: a wrong one would otherwise be dropped
  // silently on OpenAI targets (`metadata.user_id: 5` lost, `thinking: "yes"` never refused).
  if (b.metadata != null && !isRecord(b.metadata)) throw bad('metadata: Input should be a valid dictionary', 'metadata');
  if (b.metadata?.user_id != null && typeof b.metadata.user_id !== 'string') throw bad('metadata.user_id: Input should be a valid string', 'metadata.user_id');
  if (b.thinking != null && !isRecord(b.thinking)) throw bad('thinking: Input should be an object', 'thinking');
  if (typeof b.metadata?.user_id === 'string' && b.metadata.user_id) out.user = b.metadata.user_id;
  if (b.thinking && b.thinking.type !== 'disabled') {
    untranslatable.push({ param: 'thinking', message: "'thinking' is only supported on anthropic models." });
    // Anthropic runs extended thinking at temperature 1 whatever is set: so the cache treats it (never below 1).
    out.temperature = 1;
  }
  if (b.tools !== undefined) tools(b.tools, out, untranslatable);
  if (b.tool_choice !== undefined) toolChoice(b.tool_choice, out);

  const passthrough: AnthropicPassthrough = { format: 'anthropic', body: b, headers: passHeaders, slots: d.slots, messages: d.messages, untranslatable };
  return Object.freeze({
    model: b.model,
    messages: d.messages,
    stream,
    includeUsage: stream,
    maxOutputTokens: b.max_tokens,
    n: 1,
    body: out as OpenAIChatBody,
    passthrough,
  });
}

function anthropicHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  const version = headers['anthropic-version'];
  if (version !== undefined) {
    const v = String(version);
    if (!VERSION.test(v)) throw bad(`anthropic-version: '${v.slice(0, 40)}' is not a version (expected a date such as 2023-06-01).`);
    out['anthropic-version'] = v;
  }
  const beta = headers['anthropic-beta'];
  if (beta !== undefined) out['anthropic-beta'] = Array.isArray(beta) ? beta.join(',') : beta;
  return out;
}

class Decoder {
  readonly messages: ChatMessage[] = [];
  readonly slots: TextSlot[] = [];
  readonly untranslatable: { param: string; message: string }[] = [];

  system(system: unknown) {
    if (system === undefined || system === null) return;
    if (typeof system === 'string') {
      this.slots.push({ path: ['system'], msg: this.messages.length });
      this.messages.push({ role: 'system', content: system });
      return;
    }
    if (!Array.isArray(system)) throw bad('system: Input should be a string or a list of text blocks', 'system');
    const parts = system.map((blk: Json, j: number) => {
      if (blk?.type !== 'text' || typeof blk.text !== 'string') throw bad(`system.${j}: only text blocks are allowed in system`, `system.${j}`);
      this.slots.push({ path: ['system', j, 'text'], msg: this.messages.length, part: j });
      return { type: 'text' as const, text: blk.text };
    });
    this.messages.push({ role: 'system', content: parts });
  }

  message(m: unknown, k: number) {
    const param = `messages.${k}`;
    if (!m || typeof m !== 'object') throw bad(`${param}: Input should be an object`, param);
    const { role, content } = m as Json;
    if (role !== 'user' && role !== 'assistant') throw bad(`${param}.role: Input should be 'user' or 'assistant'`, `${param}.role`);
    if (typeof content === 'string') {
      this.slots.push({ path: ['messages', k, 'content'], msg: this.messages.length });
      this.messages.push({ role, content } as ChatMessage);
      return;
    }
    if (!Array.isArray(content)) throw bad(`${param}.content: Input should be a string or a list of content blocks`, `${param}.content`);
    if (role === 'user') this.userBlocks(content, k);
    else this.assistantBlocks(content, k);
  }

  /** tool_result blocks become tool messages (first, as OpenAI wants them right after the calls), the rest one user message. */
  private userBlocks(blocks: Json[], k: number) {
    const parts: Json[] = [];
    const partSlots: { j: number; part: number }[] = [];
    blocks.forEach((blk, j) => {
      const param = `messages.${k}.content.${j}`;
      switch (blk?.type) {
        case 'text':
          if (typeof blk.text !== 'string') throw bad(`${param}.text: Field required`, `${param}.text`);
          partSlots.push({ j, part: parts.length });
          parts.push({ type: 'text', text: blk.text });
          break;
        case 'image':
          parts.push(this.image(blk, param));
          break;
        case 'tool_result':
          this.toolResult(blk, k, j);
          break;
        default:
          this.carryOnly(blk?.type, param);
      }
    });
    if (parts.length === 0) return;
    const msg = this.messages.length;
    for (const s of partSlots) this.slots.push({ path: ['messages', k, 'content', s.j, 'text'], msg, part: s.part });
    this.messages.push({ role: 'user', content: parts } as ChatMessage);
  }

  private toolResult(blk: Json, k: number, j: number) {
    const param = `messages.${k}.content.${j}`;
    if (typeof blk.tool_use_id !== 'string') throw bad(`${param}.tool_use_id: Field required`, `${param}.tool_use_id`);
    // OpenAI has no error flag on a tool result: the text says it instead (Anthropic documents is_error as
    // telling the model the call failed), as a first text part so the client's own texts keep their slots.
    // Checked, not coerced: `is_error: "yes"` read as false would tell the model a failed call succeeded.
    if (blk.is_error != null && typeof blk.is_error !== 'boolean') throw bad(`${param}.is_error: Input should be a valid boolean`, `${param}.is_error`);
    const isError = blk.is_error === true;
    const msg = this.messages.length;
    const parts: { type: 'text'; text: string }[] = isError ? [{ type: 'text', text: 'Error:' }] : [];
    if (blk.content === undefined || typeof blk.content === 'string') {
      const text = blk.content ?? '';
      if (!isError) {
        if (typeof blk.content === 'string') this.slots.push({ path: ['messages', k, 'content', j, 'content'], msg });
        this.messages.push({ role: 'tool', tool_call_id: blk.tool_use_id, content: text });
        return;
      }
      if (typeof blk.content === 'string') this.slots.push({ path: ['messages', k, 'content', j, 'content'], msg, part: 1 });
      parts.push({ type: 'text', text });
    } else if (Array.isArray(blk.content)) {
      blk.content.forEach((c: Json, i: number) => {
        if (c?.type === 'text' && typeof c.text === 'string') {
          this.slots.push({ path: ['messages', k, 'content', j, 'content', i, 'text'], msg, part: parts.length });
          parts.push({ type: 'text', text: c.text });
        } else this.carryOnly(c?.type === 'image' ? 'image in a tool_result' : c?.type, `${param}.content.${i}`);
      });
    } else throw bad(`${param}.content: Input should be a string or a list of blocks`, `${param}.content`);
    this.messages.push({ role: 'tool', tool_call_id: blk.tool_use_id, content: parts.length ? parts : '' });
  }

  private assistantBlocks(blocks: Json[], k: number) {
    const parts: { type: 'text'; text: string }[] = [];
    const calls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
    const msg = this.messages.length;
    blocks.forEach((blk, j) => {
      const param = `messages.${k}.content.${j}`;
      if (blk?.type === 'text') {
        if (typeof blk.text !== 'string') throw bad(`${param}.text: Field required`, `${param}.text`);
        this.slots.push({ path: ['messages', k, 'content', j, 'text'], msg, part: parts.length });
        parts.push({ type: 'text', text: blk.text });
      } else if (blk?.type === 'tool_use') {
        if (typeof blk.id !== 'string' || typeof blk.name !== 'string') throw bad(`${param}: tool_use needs id and name`, param);
        // An object, as Anthropic requires: a string input was sent to OpenAI targets as the JSON string '"{…}"'.
        if (blk.input != null && !isRecord(blk.input)) throw bad(`${param}.input: Input should be a valid dictionary`, `${param}.input`);
        this.slots.push({ path: ['messages', k, 'content', j, 'input'], msg, part: calls.length, kind: 'args' });
        calls.push({ id: blk.id, type: 'function', function: { name: blk.name, arguments: JSON.stringify(blk.input ?? {}) } });
      } else this.carryOnly(blk?.type, param);
    });
    const m: Json = { role: 'assistant', content: parts.length ? parts : null };
    if (calls.length) m.tool_calls = calls;
    // Only thinking (carried for Anthropic targets, listed as untranslatable for the others): no neutral turn.
    if (parts.length || calls.length) this.messages.push(m as ChatMessage);
  }

  private image(blk: Json, param: string): Json {
    const src = blk.source ?? {};
    if (src.type === 'base64' && typeof src.data === 'string' && typeof src.media_type === 'string') {
      return { type: 'image_url', image_url: { url: `data:${src.media_type};base64,${src.data}` } };
    }
    if (src.type === 'url' && typeof src.url === 'string') return { type: 'image_url', image_url: { url: src.url } };
    throw bad(`${param}.source: an image needs a base64 or url source`, `${param}.source`);
  }

  /** A block with no neutral form (thinking, documents, server tool results…): sent to Anthropic targets only. */
  private carryOnly(type: unknown, param: string) {
    if (typeof type !== 'string') throw bad(`${param}.type: Field required`, `${param}.type`);
    this.untranslatable.push({ param, message: `Content blocks of type '${type}' are only supported on anthropic models.` });
  }
}

function tools(list: unknown, out: Json, untranslatable: { param: string; message: string }[]) {
  if (!Array.isArray(list)) throw bad('tools: Input should be a list', 'tools');
  const fns: Json[] = [];
  list.forEach((t: Json, i) => {
    if (!t || typeof t.name !== 'string') throw bad(`tools.${i}.name: Field required`, `tools.${i}.name`);
    if (t.type !== undefined && t.type !== 'custom') {
      untranslatable.push({ param: `tools.${i}`, message: `Server tools ('${t.type}') are only supported on anthropic models.` });
      return;
    }
    fns.push({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema ?? { type: 'object', properties: {} } } });
  });
  if (fns.length) out.tools = fns;
}

function toolChoice(c: Json, out: Json) {
  if (!c || typeof c.type !== 'string') throw bad('tool_choice.type: Field required', 'tool_choice');
  if (c.type === 'auto') out.tool_choice = 'auto';
  else if (c.type === 'any') out.tool_choice = 'required';
  else if (c.type === 'none') out.tool_choice = 'none';
  else if (c.type === 'tool' && typeof c.name === 'string') out.tool_choice = { type: 'function', function: { name: c.name } };
  else throw bad(`tool_choice.type: unknown type '${String(c.type).slice(0, 40)}'`, 'tool_choice');
  if (c.disable_parallel_tool_use === true && out.tools) out.parallel_tool_calls = false;
  if (!out.tools) delete out.tool_choice;
}
