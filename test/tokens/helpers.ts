/** Test helpers: read the shared SSE transcripts, and turn an OpenAI body into a ChatRequest. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import type { ChatRequest, OpenAIChatBody } from '../../src/core/types.js';
import { fromShared } from '../../src/paths.js';

export const SSE_DIR = fromShared('fixtures/sse');

export interface SseEvent {
  event?: string;
  data: string;
}

export function sseFiles(provider: 'openai' | 'anthropic'): string[] {
  return readdirSync(join(SSE_DIR, provider))
    .filter((f) => f.endsWith('.sse'))
    .sort();
}

export function readSse(provider: 'openai' | 'anthropic', file: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event, data: e.data }) });
  parser.feed(readFileSync(join(SSE_DIR, provider, file), 'utf8'));
  // Some transcripts end without the blank line that terminates the last event: flush it.
  parser.feed('\n\n');
  return events;
}

export function toChatRequest(body: Record<string, unknown>): ChatRequest {
  const b = body as OpenAIChatBody;
  const maxOut = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
  return {
    model: String(body.model),
    messages: b.messages,
    stream: body.stream === true,
    includeUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
    ...(maxOut !== undefined ? { maxOutputTokens: maxOut } : {}),
    n: typeof body.n === 'number' ? body.n : 1,
    body: b,
  };
}
