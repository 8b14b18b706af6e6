/**
 * Neutral answers → Anthropic Messages answers. Two paths:
 * - translated (any OpenAI-format target, or a cache hit): the neutral response or chunks become a Message or
 *   the Messages event sequence (message_start, content_block_start/delta/stop, message_delta, message_stop);
 * - native (an Anthropic target sent the client's own body): the upstream's message or events carry through as
 *   received, rewritten only where stage 8 changed a text (pseudonyms restored, PII redacted).
 */
import type { GatewayError } from '../../core/errors.js';
import { passthroughOf } from '../../core/passthrough.js';
import type { ChatChunk, ChatResponse, Usage } from '../../core/types.js';
import type { ResponseSink } from '../../pipeline/response-sink.js';
import { usageFromOpenAI } from '../../tokens/usage-extract.js';
import type { AnswerEncoder, TextTransform } from '../types.js';
import { toAnthropicError } from './errors.js';

type Json = Record<string, any>;
type FinishReason = ChatResponse['choices'][number]['finish_reason'];

export function stopReason(finish: FinishReason | null | undefined): string {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Neutral usage → Anthropic's, whose `input_tokens` excludes cache reads and writes. */
export function anthropicUsage(u: Usage): Json {
  return {
    input_tokens: Math.max(0, u.promptTokens - u.cachedTokens - u.cacheWriteTokens),
    output_tokens: u.completionTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cachedTokens,
  };
}

const messageId = (id: string) => (id.startsWith('msg_') ? id : `msg_${id.replace(/^chatcmpl-/, '')}`);

function parseArgs(args: string): unknown {
  try {
    const v = JSON.parse(args || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    return {};
  }
}

/** A neutral (translated) answer as a Message. */
export function toAnthropicMessage(response: ChatResponse): Json {
  const choice = response.choices[0];
  const content: Json[] = [];
  const text = choice?.message.content ?? choice?.message.refusal;
  if (text) content.push({ type: 'text', text });
  for (const tc of choice?.message.tool_calls ?? []) {
    if (tc.type === 'function') content.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: parseArgs(tc.function.arguments) });
  }
  const usage = response.usage ? usageFromOpenAI(response.usage)! : undefined;
  return {
    id: messageId(response.id),
    type: 'message',
    role: 'assistant',
    model: response.model,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: usage ? anthropicUsage(usage) : { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

/** A native message with stage 8 applied to its texts and tool inputs. */
function transformNative(message: Json, text: TextTransform): Json {
  const out = structuredClone(message);
  for (const block of out.content ?? []) {
    if (block.type === 'text' && typeof block.text === 'string') block.text = text(block.text, false);
    else if (block.type === 'tool_use' && block.input !== undefined) block.input = parseArgs(text(JSON.stringify(block.input), true));
  }
  return out;
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export function createMessagesEncoder(sink: ResponseSink): AnswerEncoder {
  // Translated stream state.
  let started = false;
  let open: { index: number; kind: 'text' | 'tool'; tool?: number } | undefined;
  let blocks = 0;
  let finish: FinishReason | undefined;
  // Native stream state: block indexes by kind, and a content_block_stop held back one event (see native()).
  let lastText: number | undefined;
  const toolBlocks: number[] = [];
  let heldStop: string | undefined;

  const write = (text: string) => sink.writeRaw(text);

  async function translated(chunk: ChatChunk) {
    if (!started) {
      started = true;
      const message = { id: messageId(chunk.id), type: 'message', role: 'assistant', model: chunk.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
      await write(frame('message_start', { type: 'message_start', message }));
    }
    const choice = chunk.choices[0];
    if (!choice) return;
    const d = choice.delta ?? {};
    const text = d.content || d.refusal;
    if (text) {
      if (open?.kind !== 'text') await openBlock({ type: 'text', text: '' }, 'text');
      await write(frame('content_block_delta', { type: 'content_block_delta', index: open!.index, delta: { type: 'text_delta', text } }));
    }
    for (const tc of d.tool_calls ?? []) {
      if (tc.id || open?.kind !== 'tool' || open.tool !== tc.index) {
        await openBlock({ type: 'tool_use', id: tc.id ?? `toolu_${tc.index}`, name: tc.function?.name ?? '', input: {} }, 'tool', tc.index);
      }
      if (tc.function?.arguments) {
        await write(frame('content_block_delta', { type: 'content_block_delta', index: open!.index, delta: { type: 'input_json_delta', partial_json: tc.function.arguments } }));
      }
    }
    if (choice.finish_reason) {
      finish = choice.finish_reason;
      await closeBlock();
    }
  }

  async function openBlock(block: Json, kind: 'text' | 'tool', tool?: number) {
    await closeBlock();
    open = { index: blocks++, kind, tool };
    await write(frame('content_block_start', { type: 'content_block_start', index: open.index, content_block: block }));
  }

  async function closeBlock() {
    if (!open) return;
    await write(frame('content_block_stop', { type: 'content_block_stop', index: open.index }));
    open = undefined;
  }

  /**
   * The upstream's own event, byte for byte unless stage 8 changed its text. Text that stage 8 held back (a
   * placeholder split across deltas) is released with the finish chunk, which is the message_delta event: it is
   * written as deltas of its block first, so the last block's content_block_stop is held back one event for it.
   */
  async function native(chunk: ChatChunk, pt: NonNullable<ReturnType<typeof passthroughOf>>) {
    const d = chunk.choices[0]?.delta;
    const type = pt.event ?? (JSON.parse(pt.data!) as Json).type;
    if (type === 'content_block_start') {
      const ev = JSON.parse(pt.data!) as Json;
      if (ev.content_block?.type === 'text') lastText = ev.index;
      else if (ev.content_block?.type === 'tool_use') toolBlocks.push(ev.index);
    }
    const raw = pt.event ? `event: ${pt.event}\ndata: ${pt.data}\n\n` : `data: ${pt.data}\n\n`;
    if (type === 'message_delta' && chunk.choices[0]?.finish_reason) {
      if (d?.content && lastText !== undefined) await write(frame('content_block_delta', { type: 'content_block_delta', index: lastText, delta: { type: 'text_delta', text: d.content } }));
      for (const tc of d?.tool_calls ?? []) {
        const index = toolBlocks[tc.index];
        if (index !== undefined && tc.function?.arguments) await write(frame('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: tc.function.arguments } }));
      }
    }
    if (heldStop) {
      await write(heldStop);
      heldStop = undefined;
    }
    if (type === 'content_block_stop') {
      heldStop = raw;
      return;
    }
    if (type === 'content_block_delta' && d && (d.content !== pt.text || d.tool_calls?.[0]?.function?.arguments !== pt.args)) {
      const ev = JSON.parse(pt.data!) as Json;
      if (ev.delta?.type === 'text_delta') ev.delta.text = d.content ?? '';
      else if (ev.delta?.type === 'input_json_delta') ev.delta.partial_json = d.tool_calls?.[0]?.function?.arguments ?? '';
      return write(frame(type, ev));
    }
    await write(raw);
  }

  return {
    begin() {},
    json(response, text) {
      const pt = passthroughOf(response);
      const body = pt?.message ? (text ? transformNative(pt.message, text) : pt.message) : toAnthropicMessage(response);
      sink.sendJson(200, body);
    },
    start() {
      sink.startStream();
    },
    async chunk(chunk) {
      const pt = passthroughOf(chunk);
      if (pt?.data !== undefined) return native(chunk, pt);
      if (chunk.choices.length === 0) return; // the usage chunk: its figures go into message_delta at the end
      await translated(chunk);
    },
    async end(usage) {
      if (heldStop) {
        await write(heldStop);
        heldStop = undefined;
      }
      if (!started) return sink.endRaw();
      await closeBlock();
      const delta = { type: 'message_delta', delta: { stop_reason: stopReason(finish), stop_sequence: null }, usage: anthropicUsage(usage) };
      sink.endRaw(frame('message_delta', delta) + frame('message_stop', { type: 'message_stop' }));
    },
    fail(err: GatewayError) {
      const body = toAnthropicError(err);
      if (sink.streaming) return sink.endRaw((heldStop ?? '') + frame('error', body));
      for (const [k, v] of Object.entries(err.headers)) sink.setHeader(k, v);
      sink.sendJson(err.status, body);
    },
  };
}
