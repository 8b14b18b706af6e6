import type { ChatChunk, ChatResponse } from '../core/types.js';

/**
 * A cached answer as the chunks of a stream: role, content in pieces, tool calls, finish reason, then the usage
 * chunk (the caller drops it unless the client asked). Same shape a provider stream has, so it validates
 * against OpenAI's chunk schema.
 */
export function replayChunks(response: ChatResponse, id: string, created: number): ChatChunk[] {
  const base = { id, object: 'chat.completion.chunk' as const, created, model: response.model, system_fingerprint: response.system_fingerprint };
  const out: ChatChunk[] = [];
  const chunk = (choices: ChatChunk['choices']): ChatChunk => ({ ...base, choices } as ChatChunk);
  for (const c of response.choices) {
    const i = c.index;
    out.push(chunk([{ index: i, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]));
    for (const piece of pieces(c.message.content ?? '')) out.push(chunk([{ index: i, delta: { content: piece }, logprobs: null, finish_reason: null }]));
    if (c.message.refusal) out.push(chunk([{ index: i, delta: { refusal: c.message.refusal }, logprobs: null, finish_reason: null }]));
    (c.message.tool_calls ?? []).forEach((tc, n) => {
      if (tc.type !== 'function') return;
      out.push(chunk([{ index: i, delta: { tool_calls: [{ index: n, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: tc.function.arguments } }] }, logprobs: null, finish_reason: null }]));
    });
    out.push(chunk([{ index: i, delta: {}, logprobs: null, finish_reason: c.finish_reason }]));
  }
  if (response.usage) out.push({ ...base, choices: [], usage: response.usage } as ChatChunk);
  return out;
}

/**
 * Splits text into ~64-character pieces at spaces, so a replay looks like a stream, not one blob. Counts code
 * points (`u`), never UTF-16 units: a piece ending inside a surrogate pair would put a lone surrogate in the
 * JSON, which non-JavaScript clients decode as U+FFFD or reject.
 */
function pieces(text: string): string[] {
  if (!text) return [];
  return text.match(/[\s\S]{1,64}(?=\s|$)|[\s\S]{1,64}/gu) ?? [text];
}
