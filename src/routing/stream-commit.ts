/**
 * Where a stream stops being re-triable. The first chunks of a stream often carry nothing (OpenAI's role-only
 * chunk, Anthropic's `message_start`); an `overloaded` error can follow them. Those chunks are held back until
 * the first chunk with content, so such a failure still fails over: nothing has reached the client yet.
 */
import type { ChatChunk } from '../core/types.js';
import { ProviderError } from '../../providers/types.js';

/** At most this many content-free chunks are held back; then the stream commits anyway. */
const MAX_PREAMBLE_CHUNKS = 8;

/** True for a chunk a client learns nothing from: no text, tool call, refusal, finish reason or usage. */
export function isPreamble(chunk: ChatChunk): boolean {
  if (chunk.usage || chunk.choices.length === 0) return false;
  for (const c of chunk.choices) {
    const d = c.delta as Record<string, unknown> | undefined;
    if (c.finish_reason || c.logprobs) return false;
    if (d && (d.content || d.tool_calls || d.refusal || d.function_call)) return false;
  }
  return true;
}

/** The stream read up to its first meaningful chunk: `first` is what the client sees first. */
export interface CommittedStream {
  first: IteratorResult<ChatChunk>;
  /** Yields the held-back chunks after `first`, then the rest of the upstream stream. */
  iterator: AsyncIterator<ChatChunk>;
}

/**
 * Reads `source` up to the first chunk with content (or its end). Throws whatever the source throws before
 * that, after closing it. Later errors of the returned iterator are reported to `onLateError` (the breaker
 * learns about mid-stream failures) and rethrown unchanged.
 */
export async function readToCommit(
  source: AsyncIterator<ChatChunk>,
  onLateError: (err: ProviderError) => void,
): Promise<CommittedStream> {
  const held: ChatChunk[] = [];
  let ended = false;
  try {
    for (;;) {
      const r = await source.next();
      if (r.done) {
        ended = true;
        break;
      }
      held.push(r.value);
      if (!isPreamble(r.value) || held.length >= MAX_PREAMBLE_CHUNKS) break;
    }
  } catch (err) {
    await source.return?.().catch(() => undefined);
    throw err;
  }
  const first: IteratorResult<ChatChunk> = held.length ? { done: false, value: held[0]! } : { done: true, value: undefined };
  let i = 1;
  const late = (err: unknown): never => {
    if (err instanceof ProviderError) onLateError(err);
    throw err;
  };
  const iterator: AsyncIterator<ChatChunk> = {
    // Not an async function: the source's promise with a rejection handler, rather than an async frame, an
    // await and a promise more for every chunk of the stream (issue 22: per-chunk cost of the relay).
    next() {
      if (i < held.length) return Promise.resolve({ done: false, value: held[i++]! });
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return source.next().then(undefined, late);
    },
    async return(value?: unknown) {
      await source.return?.(value);
      return { done: true, value: undefined };
    },
  };
  return { first, iterator };
}
