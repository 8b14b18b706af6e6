/**
 * Neutral answers → Responses API answers. Two paths:
 * - translated (Anthropic and chat-completions-only targets, cache hits): the Response object, or the
 *   documented event sequence — response.created, response.in_progress, then per output item
 *   output_item.added / content_part.added / output_text.delta… / output_text.done / content_part.done /
 *   output_item.done (function calls: function_call_arguments.delta… / .done), then response.completed (or
 *   response.incomplete) — each with its sequence_number;
 * - native (an OpenAI target with the Responses API): the upstream's Response or events as received, rewritten
 *   only where stage 8 changed a text (pseudonyms restored); text stage 8 held back is sent as one more delta
 *   before the event that closes its text, and the sequence numbers after it shift by one.
 */
import type { GatewayError } from '../../core/errors.js';
import { passthroughOf, type AnswerPassthrough } from '../../core/passthrough.js';
import type { ChatChunk, ChatRequest, ChatResponse, Usage } from '../../core/types.js';
import type { ResponseSink } from '../../pipeline/response-sink.js';
import { usageFromOpenAI } from '../../tokens/usage-extract.js';
import type { AnswerEncoder, TextTransform } from '../types.js';
import { functionCallItem, messageItem, outputText, responseId, responseObject, responsesUsage, toResponse } from './response-object.js';

type Json = Record<string, any>;

const reasoningOf = (u: ChatResponse['usage'] | ChatChunk['usage']) => u?.completion_tokens_details?.reasoning_tokens ?? 0;

/** Stage 8 over every text of a native Response (output texts, function call arguments). */
function transformResponseTexts(r: Json, text: TextTransform): void {
  for (const item of r.output ?? []) transformItem(item, text);
}
function transformItem(item: Json, text: TextTransform): void {
  if (item?.type === 'message') for (const c of item.content ?? []) if (c.type === 'output_text' && typeof c.text === 'string') c.text = text(c.text, false);
  if (item?.type === 'function_call' && typeof item.arguments === 'string') item.arguments = text(item.arguments, true);
}

export function createResponsesEncoder(sink: ResponseSink): AnswerEncoder {
  let req: ChatRequest | undefined;
  let seq = 0;
  const send = (data: Json) => sink.writeRaw(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
  const emit = (data: Json) => send({ ...data, sequence_number: seq++ });

  // Translated stream state.
  let resp: { id: string; createdAt: number; model: string } | undefined;
  const output: Json[] = [];
  let openMsg: { item: Json; index: number; text: string } | undefined;
  let openCall: { item: Json; index: number } | undefined;
  const callItems = new Map<number, { item: Json; index: number }>();
  let finish: string | null | undefined;
  let reasoning = 0;

  async function translated(chunk: ChatChunk) {
    if (!resp) {
      resp = { id: responseId(chunk.id), createdAt: chunk.created, model: chunk.model };
      const r = responseObject(req, { ...resp, status: 'in_progress', output: [], usage: null });
      await emit({ type: 'response.created', response: r });
      await emit({ type: 'response.in_progress', response: r });
    }
    if (chunk.usage) reasoning = reasoningOf(chunk.usage);
    const choice = chunk.choices[0];
    if (!choice) return;
    const d = choice.delta ?? {};
    const text = d.content || d.refusal;
    if (text) {
      if (!openMsg) {
        await closeCall();
        const item = messageItem(`msg_${resp.id.slice(5)}_${output.length}`, '', 'in_progress');
        openMsg = { item, index: output.length, text: '' };
        output.push(item);
        await emit({ type: 'response.output_item.added', output_index: openMsg.index, item });
        await emit({ type: 'response.content_part.added', item_id: item.id, output_index: openMsg.index, content_index: 0, part: outputText('') });
      }
      openMsg.text += text;
      await emit({ type: 'response.output_text.delta', item_id: openMsg.item.id, output_index: openMsg.index, content_index: 0, delta: text, logprobs: [] });
    }
    for (const tc of d.tool_calls ?? []) {
      let call = callItems.get(tc.index);
      if (!call) {
        await closeMsg();
        await closeCall();
        const item = functionCallItem(`fc_${resp.id.slice(5)}_${output.length}`, tc.id ?? `call_${tc.index}`, tc.function?.name ?? '', '', 'in_progress');
        call = { item, index: output.length };
        callItems.set(tc.index, call);
        output.push(item);
        openCall = call;
        await emit({ type: 'response.output_item.added', output_index: call.index, item });
      }
      const args = tc.function?.arguments;
      if (args) {
        call.item.arguments += args;
        await emit({ type: 'response.function_call_arguments.delta', item_id: call.item.id, output_index: call.index, delta: args });
      }
    }
    if (choice.finish_reason) {
      finish = choice.finish_reason;
      await closeMsg();
      await closeCall();
    }
  }

  async function closeMsg() {
    if (!openMsg) return;
    const { item, index, text } = openMsg;
    openMsg = undefined;
    await emit({ type: 'response.output_text.done', item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
    await emit({ type: 'response.content_part.done', item_id: item.id, output_index: index, content_index: 0, part: outputText(text) });
    Object.assign(item, messageItem(item.id, text));
    await emit({ type: 'response.output_item.done', output_index: index, item });
  }

  async function closeCall() {
    if (!openCall) return;
    const { item, index } = openCall;
    openCall = undefined;
    await emit({ type: 'response.function_call_arguments.done', item_id: item.id, output_index: index, name: item.name, arguments: item.arguments });
    item.status = 'completed';
    await emit({ type: 'response.output_item.done', output_index: index, item });
  }

  // Native stream state.
  let text: TextTransform | undefined;
  let shift = 0;

  async function native(chunk: ChatChunk, pt: AnswerPassthrough) {
    const d = chunk.choices[0]?.delta;
    const deltaChanged = d !== undefined && (d.content !== pt.text || d.tool_calls?.[0]?.function?.arguments !== pt.args);
    if (!deltaChanged && !shift && !text) return sink.writeRaw(pt.event ? `event: ${pt.event}\ndata: ${pt.data}\n\n` : `data: ${pt.data}\n\n`);
    const ev = JSON.parse(pt.data!) as Json;
    const at = (n: unknown) => (typeof n === 'number' ? n + shift : n);
    // Held-back text, released by the finish reason this closing event carries: one more delta before it.
    if (ev.type === 'response.output_text.done' && d?.content) {
      await send({ type: 'response.output_text.delta', item_id: ev.item_id, output_index: ev.output_index, content_index: ev.content_index, delta: d.content, logprobs: [], sequence_number: at(ev.sequence_number) });
      shift++;
    }
    if (ev.type === 'response.function_call_arguments.done' && d?.tool_calls?.[0]?.function?.arguments) {
      await send({ type: 'response.function_call_arguments.delta', item_id: ev.item_id, output_index: ev.output_index, delta: d.tool_calls[0].function.arguments, sequence_number: at(ev.sequence_number) });
      shift++;
    }
    if (ev.sequence_number !== undefined) ev.sequence_number = at(ev.sequence_number);
    if (ev.type === 'response.output_text.delta' && d) ev.delta = d.content ?? '';
    else if (ev.type === 'response.function_call_arguments.delta' && d) ev.delta = d.tool_calls?.[0]?.function?.arguments ?? '';
    else if (text) {
      if (ev.type === 'response.output_text.done') ev.text = text(ev.text ?? '', false);
      else if (ev.type === 'response.function_call_arguments.done') ev.arguments = text(ev.arguments ?? '', true);
      else if (ev.type === 'response.content_part.done' && ev.part?.type === 'output_text') ev.part.text = text(ev.part.text ?? '', false);
      else if (ev.type === 'response.output_item.done') transformItem(ev.item, text);
      else if (ev.response?.output) transformResponseTexts(ev.response, text);
    }
    await sink.writeRaw(`${pt.event ? `event: ${pt.event}\n` : ''}data: ${JSON.stringify(ev)}\n\n`);
  }

  return {
    begin(r) {
      req = r;
    },
    json(response, transform) {
      const pt = passthroughOf(response);
      if (pt?.message) {
        const r = transform ? structuredClone(pt.message) : pt.message;
        if (transform) transformResponseTexts(r, transform);
        return sink.sendJson(200, r);
      }
      const usage = response.usage ? usageFromOpenAI(response.usage) : undefined;
      sink.sendJson(200, toResponse(req, response, usage, reasoningOf(response.usage)));
    },
    start(transform) {
      text = transform;
      sink.startStream();
    },
    async chunk(chunk) {
      const pt = passthroughOf(chunk);
      if (pt?.data !== undefined) return native(chunk, pt);
      await translated(chunk);
    },
    async end(usage: Usage) {
      if (!resp) return sink.endRaw();
      await closeMsg();
      await closeCall();
      const r = responseObject(req, { ...resp, status: 'completed', output, usage: responsesUsage(usage, reasoning), finish });
      await emit({ type: r.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response: r });
      sink.endRaw();
    },
    fail(err: GatewayError) {
      if (sink.streaming) {
        // As the API sends it mid-stream (the recorded wire nests the error object; VALIDATION.md).
        const ev = { type: 'error', sequence_number: seq + shift, error: { type: err.type, code: err.code, message: err.message, param: err.param } };
        return sink.endRaw(`event: error\ndata: ${JSON.stringify(ev)}\n\n`);
      }
      for (const [k, v] of Object.entries(err.headers)) sink.setHeader(k, v);
      sink.sendJson(err.status, err.toEnvelope());
    },
  };
}
