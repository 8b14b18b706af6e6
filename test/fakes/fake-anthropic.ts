/**
 * The fake upstream's Anthropic dialect: `POST /v1/messages`, plain and streamed, with the validation the real
 * API applies that a translating adapter most easily gets wrong (max_tokens required, alternating roles starting
 * with user, tool_result answering a tool_use of the previous turn, temperature 0..1).
 */
import type { FakeAnswer } from './fake-openai.js';
import { answerPieces, applyStop, forcedTools, fragments, promptTokens, sampleArguments } from './fake-text.js';

type Body = Record<string, any>;
let counter = 0;
const nextId = (prefix: string) => `${prefix}${(++counter).toString(36).padStart(10, '0')}`;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function anthropicError(status: number, message: string): FakeAnswer {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { status, json: { type: 'error', error: { type, message }, request_id: nextId('req_') } };
}

function invalid(body: Body): string | null {
  if (typeof body?.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number' || body.max_tokens < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (body.temperature !== undefined && (body.temperature < 0 || body.temperature > 1)) {
    return 'temperature: Input should be less than or equal to 1';
  }
  let pendingToolUse = new Set<string>();
  for (const [i, m] of (body.messages as Body[]).entries()) {
    const expected = i % 2 === 0 ? 'user' : 'assistant';
    if (m.role !== expected) return `messages.${i}.role: roles must alternate between "user" and "assistant", starting with "user"`;
    const blocks: Body[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (!Array.isArray(blocks)) return `messages.${i}.content: Input should be a valid list`;
    // The real API refuses empty text blocks anywhere, and whitespace-only ones in a message with no other text.
    const texts = blocks.filter((b) => b.type === 'text').map((b) => String(b.text ?? ''));
    if (texts.some((t) => t === '')) return 'messages: text content blocks must be non-empty';
    if (texts.length > 0 && texts.every((t) => t.trim() === '')) return 'messages: text content blocks must contain non-whitespace text';
    for (const b of blocks) {
      if (b.type === 'tool_result' && !pendingToolUse.has(b.tool_use_id)) {
        return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}`;
      }
      if (b.type === 'image' && !['base64', 'url'].includes(b.source?.type)) return `messages.${i}.content: invalid image source`;
    }
    pendingToolUse = new Set(blocks.filter((b) => b.type === 'tool_use').map((b) => String(b.id)));
  }
  return null;
}

function lastTextAndImages(messages: Body[]): { text: string; images: number } {
  const last = messages[messages.length - 1];
  if (typeof last.content === 'string') return { text: last.content, images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const b of last.content as Body[]) {
    if (b.type === 'text') texts.push(String(b.text));
    if (b.type === 'image') images++;
    if (b.type === 'tool_result') {
      texts.push(typeof b.content === 'string' ? b.content : (b.content ?? []).map((c: Body) => c.text ?? '').join(''));
    }
  }
  return { text: texts.join(' '), images };
}

export function anthropicMessages(body: Body): FakeAnswer {
  const problem = invalid(body);
  if (problem) return anthropicError(400, problem);
  const model: string = body.model;
  const { text, images } = lastTextAndImages(body.messages);
  const stop = applyStop(answerPieces(model, text, images), body.stop_sequences ?? []);
  let pieces = stop.pieces;
  let stopReason = stop.stopped ? 'stop_sequence' : 'end_turn';
  if (pieces.length > body.max_tokens) [pieces, stopReason] = [pieces.slice(0, body.max_tokens), 'max_tokens'];

  const tools: Body[] = Array.isArray(body.tools) ? body.tools : [];
  const tc: Body = body.tool_choice ?? { type: 'auto' };
  const kind = tc.type === 'any' ? 'required' : tc.type === 'tool' ? 'named' : tc.type === 'none' ? 'none' : 'auto';
  const called = forcedTools(tools.map((t) => t.name), { kind, name: tc.name }, tc.disable_parallel_tool_use !== true);
  const calls = called.map((name) => ({
    id: nextId('toolu_'),
    name,
    input: sampleArguments(tools.find((t) => t.name === name)?.input_schema, text),
  }));
  if (calls.length > 0) stopReason = 'tool_use';

  const usage = {
    input_tokens: promptTokens(body.messages) + promptTokens(body.system ?? '') + (tools.length ? promptTokens(tools) : 0),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: pieces.length + calls.reduce((a, c) => a + promptTokens(c.input), 0),
    service_tier: 'standard',
  };
  // With a forced tool call Claude still often writes a short preamble; keep it, so text + tool_use mixes are tested.
  const content: Body[] = [];
  if (pieces.length > 0) content.push({ type: 'text', text: pieces.join('') });
  for (const c of calls) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.input });
  const message = { id: nextId('msg_fake'), type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: stop.stopped, usage };
  if (!body.stream) return { status: 200, json: message };

  const events: string[] = [];
  const ev = (type: string, data: Body) => events.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', { message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
  let index = 0;
  if (pieces.length > 0) {
    ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
    ev('ping', {});
    for (const p of pieces) ev('content_block_delta', { index, delta: { type: 'text_delta', text: p } });
    ev('content_block_stop', { index: index++ });
  }
  for (const c of calls) {
    ev('content_block_start', { index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } });
    for (const f of ['', ...fragments(JSON.stringify(c.input))]) {
      ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: f } });
    }
    ev('content_block_stop', { index: index++ });
  }
  ev('message_delta', { delta: { stop_reason: stopReason, stop_sequence: stop.stopped }, usage: { output_tokens: usage.output_tokens } });
  ev('message_stop', {});
  return { status: 200, events };
}
