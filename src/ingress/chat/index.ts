/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`): the neutral shapes are this format, so decoding is
 * validation and encoding is serialising. Owns the chat-only stream rules: the usage chunk (always requested
 * upstream) is shown only to clients that asked for it, and always to them.
 */
import { normaliseChatRequest } from '../../core/normalise.js';
import type { ChatChunk, ChatRequest } from '../../core/types.js';
import { usageToOpenAI } from '../../tokens/usage-extract.js';
import type { AnswerEncoder, Ingress } from '../types.js';
import { expandChatPrompt } from '../../templates/expand.js';

export const chatIngress: Ingress = {
  api: 'chat',
  decode: (body) => normaliseChatRequest(body),
  expandPrompt: expandChatPrompt,
  encoder(sink): AnswerEncoder {
    let req: ChatRequest | undefined;
    let usageSent = false;
    let last: ChatChunk | undefined;
    return {
      begin(r) {
        req = r;
      },
      json(response) {
        sink.sendJson(200, response);
      },
      start() {
        sink.startStream();
      },
      chunk(chunk) {
        last = chunk;
        if (chunk.choices.length === 0 && chunk.usage && !req?.includeUsage) return;
        if (chunk.usage) usageSent = true;
        return sink.writeEvent(JSON.stringify(chunk));
      },
      async end(usage) {
        // Also from a compatible server that ignores `stream_options`: then with the gateway's own count.
        if (req?.includeUsage && !usageSent && last) {
          const chunk = { id: last.id, object: 'chat.completion.chunk', created: last.created, model: last.model, choices: [], usage: usageToOpenAI(usage) };
          await sink.writeEvent(JSON.stringify(chunk));
        }
        sink.endStream();
      },
      fail(err) {
        if (sink.streaming) return sink.endWithError(err.toEnvelope());
        for (const [k, v] of Object.entries(err.headers)) sink.setHeader(k, v);
        sink.sendJson(err.status, err.toEnvelope());
      },
    };
  },
};
