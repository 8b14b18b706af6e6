import type { ChatChunk, ChatResponse } from '../core/types.js';

/**
 * Rebuilds a whole `chat.completion` from the chunks of a stream, so a streamed answer can be cached and later
 * served as JSON or replayed as a stream. One per stream.
 */
export interface StreamAssembler {
  add(chunk: ChatChunk): void;
  result(): ChatResponse | undefined;
}

type Choice = ChatResponse['choices'][number];
type ToolCall = NonNullable<Choice['message']['tool_calls']>[number] & { type: 'function'; function: { name: string; arguments: string } };

export function createStreamAssembler(): StreamAssembler {
  let first: ChatChunk | undefined;
  let usage: ChatChunk['usage'];
  const choices = new Map<number, { content: string | null; refusal: string | null; tools: ToolCall[]; finish: Choice['finish_reason'] | null }>();
  return {
    add(chunk) {
      first ??= chunk;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        let acc = choices.get(c.index);
        if (!acc) choices.set(c.index, (acc = { content: null, refusal: null, tools: [], finish: null }));
        if (c.delta?.content) acc.content = (acc.content ?? '') + c.delta.content;
        if (c.delta?.refusal) acc.refusal = (acc.refusal ?? '') + c.delta.refusal;
        for (const tc of c.delta?.tool_calls ?? []) {
          const t = (acc.tools[tc.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
          if (tc.id) t.id = tc.id;
          if (tc.function?.name) t.function.name += tc.function.name;
          if (tc.function?.arguments) t.function.arguments += tc.function.arguments;
        }
        if (c.finish_reason) acc.finish = c.finish_reason;
      }
    },
    result() {
      if (!first) return undefined;
      return {
        id: first.id,
        object: 'chat.completion',
        created: first.created,
        model: first.model,
        system_fingerprint: first.system_fingerprint,
        choices: [...choices.entries()]
          .sort(([a], [b]) => a - b)
          .map(([index, c]) => ({
            index,
            message: { role: 'assistant', content: c.content, refusal: c.refusal, ...(c.tools.length ? { tool_calls: c.tools.filter(Boolean) } : {}) },
            logprobs: null,
            // Kept null when the stream never sent one (cut short): the cache refuses such an answer.
            finish_reason: c.finish as Choice['finish_reason'],
          })),
        ...(usage ? { usage } : {}),
      } as ChatResponse;
    },
  };
}
