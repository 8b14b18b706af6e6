/**
 * Server-sent events decoding for upstream streams (eventsource-parser does the line protocol; we add UTF-8
 * decoding that is safe across chunk boundaries and the end-of-input flush some servers need: a last event
 * without its trailing blank line still counts).
 */
import { Readable } from 'node:stream';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type SseEvent = EventSourceMessage;

/**
 * Yields events as soon as their terminating blank line arrives. Errors of `body` propagate unchanged. Stopping
 * early (the last event came before the end of the body) leaves a Node stream open, for the caller to read to its
 * end (so the connection is reused) or destroy: Node's default, destroying a stream that has not ended, builds an
 * AbortError with its stack trace for every streamed answer.
 */
export async function* readSse(body: AsyncIterable<Uint8Array | string> | Readable): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let queue: SseEvent[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const chunks: AsyncIterable<Uint8Array | string> = body instanceof Readable ? body.iterator({ destroyOnReturn: false }) : body;
  for await (const chunk of chunks) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (queue.length > 0) {
      const ready = queue;
      queue = [];
      // Not `yield* ready`: delegating to an array from an async generator wraps it in an async-from-sync
      // iterator, a promise and extra microtask turns per event (issue 22: per-chunk cost of the relay).
      for (let i = 0; i < ready.length; i++) yield ready[i]!;
    }
  }
  // End of input terminates the last event: eventsource-parser's reset({consume}) parses a pending line but
  // never dispatches it, so a final event without its blank line (or without any newline) would be lost.
  parser.feed(`${decoder.decode()}\n\n`);
  for (let i = 0; i < queue.length; i++) yield queue[i]!;
}
