import type { ErrorEnvelope } from '../core/errors.js';
import type { AbortSignalLike } from '../../providers/abort.js';

/**
 * Where the pipeline writes its answer, independent of HTTP. One per request.
 * Headers can be set until `sendJson` or `startStream`; after `startStream`, errors can only be reported as a
 * final error frame (`endWithError`), never as a status code.
 */
export interface ResponseSink {
  setHeader(name: string, value: string | number): void;
  sendJson(status: number, body: unknown): void;
  /** Sets 200 + SSE headers; they are sent with the first frame (which callers write right after). */
  startStream(): void;
  /**
   * Writes one `data: <json>\n\n` frame, flushed at once. Returns a promise only when the client cannot take more
   * yet (backpressure), resolved when it can: no promise per frame otherwise (issue 22.3).
   */
  writeEvent(json: string): Promise<void> | void;
  /** Writes `data: [DONE]` and ends. */
  endStream(): void;
  /** Writes a final `data: {"error":…}` frame and ends, without `[DONE]`. */
  endWithError(envelope: ErrorEnvelope): void;
  /** Writes SSE text as given (an ingress' own frames, e.g. `event:` lines), flushed at once; resolves like writeEvent. */
  writeRaw(text: string): Promise<void>;
  /** Ends the stream, after writing `text` when given (an ingress' own last frame). */
  endRaw(text?: string): void;
  readonly streaming: boolean;
  /** True once the client went away. */
  readonly closed: boolean;
  /** Aborted when the client disconnects before the answer is complete. */
  readonly signal: AbortSignalLike;
}
