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
export function readSse(body: AsyncIterable<Uint8Array | string> | Readable): AsyncIterableIterator<SseEvent> {
  return body instanceof Readable ? new ReadableSseEvents(body) : iterableSse(body);
}

/** Parses SSE text fed in any splits; `take` hands over the events completed so far. */
function sseDecoder() {
  const decoder = new TextDecoder();
  let queue: SseEvent[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  return {
    feed(chunk: Uint8Array | string): void {
      parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    },
    // End of input terminates the last event: eventsource-parser's reset({consume}) parses a pending line but
    // never dispatches it, so a final event without its blank line (or without any newline) would be lost.
    end(): void {
      parser.feed(`${decoder.decode()}\n\n`);
    },
    take(): SseEvent[] {
      const ready = queue;
      queue = [];
      return ready;
    },
  };
}

async function* iterableSse(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const sse = sseDecoder();
  for await (const chunk of body) {
    sse.feed(chunk);
    // Not `yield*` an array: from an async generator that wraps it in an async-from-sync iterator, a promise
    // and extra microtask turns per event.
    const ready = sse.take();
    for (let i = 0; i < ready.length; i++) yield ready[i]!;
  }
  sse.end();
  const ready = sse.take();
  for (let i = 0; i < ready.length; i++) yield ready[i]!;
}

/** Events queued beyond this (a consumer slower than the upstream) pause the body until they are taken. */
const HIGH_WATER_EVENTS = 64;
const DONE: IteratorResult<SseEvent> = Object.freeze({ done: true, value: undefined });

/**
 * The events of a Node body (undici's), read in flowing mode: every `data` read is decoded at once, and `next()`
 * hands a waiting reader its event directly (or a resolved promise when events are queued). Why not an async
 * generator over `body.iterator()`: that is two generators per event (Node's iterator is one), each a promise
 * and several microtask turns, for every streamed chunk (issue 22). Same contract as the generator it replaces:
 * queued events come before an error or the end; a body that closes without ending fails as Node's iterator
 * does (premature close); `return()` leaves the body paused, neither read nor destroyed.
 */
class ReadableSseEvents implements AsyncIterableIterator<SseEvent> {
  private readonly sse = sseDecoder();
  private events: SseEvent[] = [];
  private head = 0;
  private waiter: { resolve(r: IteratorResult<SseEvent>): void; reject(err: unknown): void } | undefined;
  private attached = false;
  private paused = false;
  /** 'end' seen (the decoder flushed), or the error that ended the body. */
  private ended = false;
  private failed: { err: unknown } | undefined;
  /** Iteration over: `return()`, the end delivered, or the error thrown. */
  private finished = false;

  constructor(private readonly body: Readable) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<SseEvent>> {
    if (this.head < this.events.length) return Promise.resolve(this.shift());
    if (this.finished) return Promise.resolve(DONE);
    if (!this.attached) this.attach();
    const settled = this.settle();
    if (settled) return settled;
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<SseEvent>> {
    this.finish();
    this.events = [];
    this.head = 0;
    // A read still waiting ends too (an async generator would run `return()` after it instead).
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(DONE);
    return Promise.resolve(DONE);
  }

  /** The next queued event; resumes a body paused for the queue once it is empty. */
  private shift(): IteratorResult<SseEvent> {
    const value = this.events[this.head++]!;
    if (this.head === this.events.length) {
      this.events = [];
      this.head = 0;
      if (this.paused && !this.finished) {
        this.paused = false;
        this.body.resume();
      }
    }
    return { done: false, value };
  }

  /** With nothing queued: the end or the failure, once (as a promise), or undefined while the body is open. */
  private settle(): Promise<IteratorResult<SseEvent>> | undefined {
    if (this.failed) {
      this.finish();
      return Promise.reject(this.failed.err);
    }
    if (this.ended) {
      this.finish();
      return Promise.resolve(DONE);
    }
    return undefined;
  }

  private attach(): void {
    this.attached = true;
    const b = this.body;
    // A body that ended, failed or closed before the first read (Node's iterator checks the same).
    if (b.errored) this.failed = { err: b.errored };
    else if (b.readableEnded) this.ended = true;
    else if (b.destroyed) this.failed = { err: prematureClose() };
    if (this.ended || this.failed) return;
    b.on('error', this.onError);
    b.on('end', this.onEnd);
    b.on('close', this.onClose);
    b.on('data', this.onData); // switches the body to flowing mode
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.attached) return;
    const b = this.body;
    b.off('data', this.onData);
    b.off('end', this.onEnd);
    b.off('close', this.onClose);
    b.off('error', this.onError);
    // Neither read on nor destroyed: the caller drains it (connection reuse) or destroys it.
    if (!this.ended && !this.failed) b.pause();
  }

  private readonly onData = (chunk: Uint8Array | string): void => {
    this.sse.feed(chunk);
    this.enqueue(this.sse.take());
    if (this.events.length - this.head >= HIGH_WATER_EVENTS && !this.paused) {
      this.paused = true;
      this.body.pause();
    }
  };

  private readonly onEnd = (): void => {
    this.sse.end();
    this.ended = true;
    this.enqueue(this.sse.take());
    this.wake();
  };

  private readonly onError = (err: unknown): void => {
    this.failed ??= { err };
    this.wake();
  };

  private readonly onClose = (): void => {
    if (!this.ended && !this.failed) this.failed = { err: prematureClose() };
    this.wake();
  };

  private enqueue(ready: SseEvent[]): void {
    if (ready.length === 0) return;
    if (this.events.length === 0) this.events = ready;
    else for (const e of ready) this.events.push(e);
    this.wake();
  }

  /** Hands a waiting `next()` its event, or the end or failure once nothing is queued. */
  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.head < this.events.length) {
      this.waiter = undefined;
      w.resolve(this.shift());
      return;
    }
    if (this.failed) {
      this.waiter = undefined;
      const err = this.failed.err;
      this.finish();
      w.reject(err);
    } else if (this.ended) {
      this.waiter = undefined;
      this.finish();
      w.resolve(DONE);
    }
  }
}

/** What Node's stream iterator throws for a body closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
