/**
 * OpenAI Responses body → neutral request. `instructions` and every input item with a neutral meaning (messages
 * of every role, input_text/output_text/input_image parts, function calls and their outputs) become neutral
 * messages; the body itself is passthrough for OpenAI targets that speak the Responses API, with a slot per
 * text so guard rewrites reach it. What a translated target (Anthropic, chat-completions-only servers) cannot be
 * sent is listed in `untranslatable` and refused there with a 400 — `previous_response_id`, `store: true`,
 * built-in tools, reasoning items, `include`, … (docs/ingress-responses.md).
 */
import { GatewayError } from '../../core/errors.js';
import { depthBeyond, MAX_BODY_DEPTH } from '../../core/normalise.js';
import type { ResponsesPassthrough, TextSlot, Untranslatable } from '../../core/passthrough.js';
import type { ChatMessage, ChatRequest, OpenAIChatBody } from '../../core/types.js';
import { firstRangeProblem, MAX_OUTPUT_TOKENS_LIMIT } from '../ranges.js';
import { isRecord } from '../../util/is-record.js';

type Json = Record<string, any>;

/** Top-level fields the translation maps (or that only concern transport); any other is refused when translated. */
const MAPPED = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'text', 'reasoning', 'max_output_tokens', 'temperature', 'top_p',
  'parallel_tool_calls', 'user', 'safety_identifier', 'metadata', 'stream', 'stream_options', 'store', 'prompt_cache_key', 'service_tier', 'truncation',
]);

const bad = (message: string, param: string | null = null) => new GatewayError('invalid_request', message, { param });

export function decodeResponsesRequest(body: unknown): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('The request body must be a JSON object.');
  if (depthBeyond(body, MAX_BODY_DEPTH)) throw bad(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
  const b = body as Json;
  if (typeof b.model !== 'string' || !b.model) throw bad("Invalid value for 'model': must be a non-empty string.", 'model');
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') throw bad("Invalid type for 'stream': expected a boolean.", 'stream');
  if (b.max_output_tokens != null && !(Number.isInteger(b.max_output_tokens) && b.max_output_tokens >= 16)) {
    throw bad("Invalid 'max_output_tokens': integer below minimum value (16).", 'max_output_tokens');
  }
  // OpenAI's published ranges.
  const range = firstRangeProblem(b, {
    max_output_tokens: { min: 16, max: MAX_OUTPUT_TOKENS_LIMIT, integer: true },
    temperature: { min: 0, max: 2 },
    top_p: { min: 0, max: 1 },
    top_logprobs: { min: 0, max: 20, integer: true },
  });
  if (range) throw bad(`Invalid '${range[0]}': ${range[1]}.`, range[0]);
  // Types of the fields the translation reads, as OpenAI checks them: a wrong one was dropped silently on translated
  // targets (`text: "json"`, `reasoning: "high"`) or misread (`store: "yes"` as not storing).
  const typeProblem = firstTypeProblem(b);
  if (typeProblem) throw bad(`Invalid type for '${typeProblem[0]}': expected ${typeProblem[1]}.`, typeProblem[0]);
  const d = new Decoder();
  if (b.instructions != null) {
    if (typeof b.instructions !== 'string') throw bad("Invalid type for 'instructions': expected a string.", 'instructions');
    d.slots.push({ path: ['instructions'], msg: 0 });
    d.messages.push({ role: 'system', content: b.instructions });
  }
  if (typeof b.input === 'string') {
    d.slots.push({ path: ['input'], msg: d.messages.length });
    d.messages.push({ role: 'user', content: b.input });
  } else if (Array.isArray(b.input)) b.input.forEach((item: unknown, i: number) => d.item(item, i));
  else if (b.input !== undefined) throw bad("Invalid type for 'input': expected a string or an array of input items.", 'input');
  // An OpenAI stored prompt (`prompt: {id: 'pmpt_…'}`, left here by templates/expand.ts) may carry the whole input.
  if (d.messages.length === 0 && b.previous_response_id == null && b.prompt == null) throw bad("Missing required parameter: 'input'.", 'input');

  const u = d.untranslatable;
  for (const key of Object.keys(b)) {
    if (!MAPPED.has(key) && b[key] !== undefined && b[key] !== null && b[key] !== false) u.push({ param: key, message: `'${key}' is only supported on OpenAI targets with the Responses API.` });
  }
  if (b.store === true) u.push({ param: 'store', message: "'store: true' is only supported on OpenAI targets with the Responses API: this target's responses are not stored (send store: false)." });
  if (b.truncation === 'auto') u.push({ param: 'truncation', message: "'truncation: auto' is only supported on OpenAI targets with the Responses API." });

  const stream = b.stream === true;
  const out: Json = { model: b.model, messages: d.messages };
  if (stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (b.max_output_tokens != null) out.max_completion_tokens = b.max_output_tokens;
  for (const k of ['temperature', 'top_p', 'parallel_tool_calls', 'user', 'safety_identifier', 'prompt_cache_key', 'service_tier'] as const) if (b[k] != null) out[k] = b[k];
  if (b.metadata != null) out.metadata = b.metadata;
  if (b.tools != null) tools(b.tools, out, u);
  if (b.tool_choice != null) toolChoice(b.tool_choice, out, u);
  if (b.text != null) textFormat(b.text, out, u);
  if (b.reasoning != null) {
    if (b.reasoning.effort != null) {
      out.reasoning_effort = b.reasoning.effort;
      u.push({ param: 'reasoning.effort', message: "'reasoning.effort' is not supported by anthropic models through this API.", formats: ['anthropic'] });
    }
    if (b.reasoning.summary != null) u.push({ param: 'reasoning.summary', message: "'reasoning.summary' is only supported on OpenAI targets with the Responses API." });
  }
  const passthrough: ResponsesPassthrough = { format: 'responses', body: b, slots: d.slots, messages: d.messages, untranslatable: u };
  return Object.freeze({
    model: b.model,
    messages: d.messages,
    stream,
    includeUsage: stream,
    maxOutputTokens: b.max_output_tokens ?? undefined,
    n: 1,
    body: out as OpenAIChatBody,
    passthrough,
  });
}

class Decoder {
  readonly messages: ChatMessage[] = [];
  readonly slots: TextSlot[] = [];
  readonly untranslatable: Untranslatable[] = [];

  item(item: unknown, i: number) {
    const param = `input[${i}]`;
    if (!item || typeof item !== 'object') throw bad(`Invalid type for '${param}': expected an object.`, param);
    const it = item as Json;
    const type = it.type ?? (it.role ? 'message' : undefined);
    switch (type) {
      case 'message':
        return this.message(it, i);
      case 'function_call': {
        if (typeof it.call_id !== 'string' || typeof it.name !== 'string' || typeof it.arguments !== 'string') throw bad(`Missing required parameter: '${param}.call_id', 'name' or 'arguments'.`, param);
        const last = this.messages[this.messages.length - 1] as Json | undefined;
        // Parallel calls (and a call after the turn's text) arrive as consecutive items: one assistant turn in chat terms.
        const target = last?.role === 'assistant' ? last : undefined;
        const m: Json = target ?? { role: 'assistant', content: null, tool_calls: [] };
        m.tool_calls ??= [];
        this.slots.push({ path: ['input', i, 'arguments'], msg: target ? this.messages.length - 1 : this.messages.length, part: m.tool_calls.length, kind: 'call' });
        m.tool_calls.push({ id: it.call_id, type: 'function', function: { name: it.name, arguments: it.arguments } });
        if (!target) this.messages.push(m as ChatMessage);
        return;
      }
      case 'function_call_output': {
        if (typeof it.call_id !== 'string') throw bad(`Missing required parameter: '${param}.call_id'.`, `${param}.call_id`);
        const msg = this.messages.length;
        if (typeof it.output === 'string') {
          this.slots.push({ path: ['input', i, 'output'], msg });
          this.messages.push({ role: 'tool', tool_call_id: it.call_id, content: it.output });
        } else if (Array.isArray(it.output)) {
          const parts = this.parts(it.output, ['input', i, 'output'], msg, `${param}.output`);
          if (parts.some((p) => p.type !== 'text')) this.untranslatable.push({ param: `${param}.output`, message: 'Images in a function_call_output are only supported on OpenAI targets with the Responses API.' });
          this.messages.push({ role: 'tool', tool_call_id: it.call_id, content: parts.filter((p) => p.type === 'text') as never });
        } else throw bad(`Invalid type for '${param}.output': expected a string or a list of parts.`, `${param}.output`);
        return;
      }
      default:
        if (typeof type !== 'string') throw bad(`Missing required parameter: '${param}.type'.`, `${param}.type`);
        this.untranslatable.push({ param, message: `Input items of type '${type}' are only supported on OpenAI targets with the Responses API.` });
    }
  }

  private message(it: Json, i: number) {
    const param = `input[${i}]`;
    const role = it.role;
    if (!['user', 'assistant', 'system', 'developer'].includes(role)) throw bad(`Invalid value for '${param}.role': expected user, assistant, system or developer.`, `${param}.role`);
    const msg = this.messages.length;
    if (typeof it.content === 'string') {
      this.slots.push({ path: ['input', i, 'content'], msg });
      this.messages.push({ role, content: it.content } as ChatMessage);
      return;
    }
    if (!Array.isArray(it.content)) throw bad(`Invalid type for '${param}.content': expected a string or a list of parts.`, `${param}.content`);
    const parts = this.parts(it.content, ['input', i, 'content'], msg, `${param}.content`);
    if (role !== 'user' && parts.some((p) => p.type !== 'text')) throw bad(`Images are only allowed in user messages ('${param}').`, `${param}.content`);
    this.messages.push({ role, content: parts } as ChatMessage);
  }

  private parts(list: Json[], path: (string | number)[], msg: number, param: string): Json[] {
    const parts: Json[] = [];
    list.forEach((p, j) => {
      switch (p?.type) {
        case 'input_text':
        case 'output_text':
          if (typeof p.text !== 'string') throw bad(`Missing required parameter: '${param}[${j}].text'.`, `${param}[${j}].text`);
          this.slots.push({ path: [...path, j, 'text'], msg, part: parts.length });
          parts.push({ type: 'text', text: p.text });
          break;
        case 'refusal':
          parts.push({ type: 'text', text: String(p.refusal ?? '') });
          break;
        case 'input_image':
          if (typeof p.image_url === 'string') parts.push({ type: 'image_url', image_url: { url: p.image_url, ...(p.detail ? { detail: p.detail } : {}) } });
          else this.untranslatable.push({ param: `${param}[${j}]`, message: 'Images by file_id are only supported on OpenAI targets with the Responses API.' });
          break;
        default:
          if (typeof p?.type !== 'string') throw bad(`Missing required parameter: '${param}[${j}].type'.`, `${param}[${j}].type`);
          this.untranslatable.push({ param: `${param}[${j}]`, message: `Content parts of type '${p.type}' are only supported on OpenAI targets with the Responses API.` });
      }
    });
    return parts;
  }
}

const TOP_LEVEL_TYPES: [string, string, (v: unknown) => boolean][] = [
  ['store', 'a boolean', (v) => typeof v === 'boolean'],
  ['parallel_tool_calls', 'a boolean', (v) => typeof v === 'boolean'],
  ['text', 'an object', isRecord],
  ['reasoning', 'an object', isRecord],
  ['metadata', 'an object', isRecord],
  ['tool_choice', 'a string or an object', (v) => typeof v === 'string' || isRecord(v)],
];

/** The first top-level field (null or absent is fine) whose JSON type is wrong: [param, expected]. */
function firstTypeProblem(b: Json): [string, string] | undefined {
  for (const [param, expected, ok] of TOP_LEVEL_TYPES) if (b[param] != null && !ok(b[param])) return [param, expected];
  return undefined;
}

function tools(list: unknown, out: Json, u: Untranslatable[]) {
  if (!Array.isArray(list)) throw bad("Invalid type for 'tools': expected an array.", 'tools');
  const fns: Json[] = [];
  list.forEach((t: Json, i) => {
    if (t?.type !== 'function') {
      u.push({ param: `tools[${i}]`, message: `Tools of type '${String(t?.type).slice(0, 40)}' are only supported on OpenAI targets with the Responses API.` });
      return;
    }
    if (typeof t.name !== 'string') throw bad(`Missing required parameter: 'tools[${i}].name'.`, `tools[${i}].name`);
    fns.push({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters ?? { type: 'object', properties: {} }, ...(t.strict != null ? { strict: t.strict } : {}) } });
  });
  if (fns.length) out.tools = fns;
}

function toolChoice(c: unknown, out: Json, u: Untranslatable[]) {
  if (c === 'auto' || c === 'none' || c === 'required') out.tool_choice = c;
  else if (c && typeof c === 'object' && (c as Json).type === 'function' && typeof (c as Json).name === 'string') out.tool_choice = { type: 'function', function: { name: (c as Json).name } };
  else u.push({ param: 'tool_choice', message: "This 'tool_choice' is only supported on OpenAI targets with the Responses API." });
  if (!out.tools) delete out.tool_choice;
}

function textFormat(text: Json, out: Json, u: Untranslatable[]) {
  const f = text.format;
  if (f?.type === 'json_schema') {
    out.response_format = { type: 'json_schema', json_schema: { name: f.name ?? 'response', schema: f.schema ?? {}, ...(f.strict != null ? { strict: f.strict } : {}), ...(f.description ? { description: f.description } : {}) } };
  } else if (f?.type === 'json_object') out.response_format = { type: 'json_object' };
  else if (f != null && f.type !== 'text') throw bad("Invalid value for 'text.format.type'.", 'text.format.type');
  if (text.verbosity != null && text.verbosity !== 'medium') u.push({ param: 'text.verbosity', message: "'text.verbosity' is only supported on OpenAI targets with the Responses API." });
}
