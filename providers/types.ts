/**
 * The contract between the gateway and a provider adapter. Adapters translate the neutral request to their
 * provider's wire format, send it over the shared transport, and decode the answer back to the neutral
 * (OpenAI-shaped) response or chunks. They never import Fastify and never retry: routing owns retries.
 */
import type { ChatChunk, ChatRequest, ChatResponse, Usage } from '../src/core/types.js';
import type { AbortSignalLike } from './abort.js';
import type { ConnectionStats } from './connection-gate.js';

export type ProviderKind = 'openai' | 'anthropic';

export interface ProviderTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /**
   * From the request's dispatch (connect included, the wait for a capped connection not) to the response
   * headers; a precise timer, so failover starts within a few ms of it. For streams, the first event must then
   * follow within `idleMs`.
   */
  firstByteMs: number;
  /** Longest silence between two body chunks. */
  idleMs: number;
  /** Whole attempt, headers to last byte. */
  totalMs: number;
}

export interface ProviderConfig {
  readonly name: string;
  readonly kind: ProviderKind;
  /** Base URL including the version path, e.g. `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  /** Secret; never logged, never echoed. Empty when the provider is not configured. */
  readonly apiKey: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeouts: ProviderTimeouts;
  /**
   * Cap on concurrent connections (= concurrent requests) per upstream origin; undefined = no cap, one connection
   * per concurrent request as thousands of long streams need.
   */
  readonly maxConnections?: number;
  /** With a cap: longest wait for a free connection before the attempt fails with `queue_timeout`. */
  readonly queueTimeoutMs?: number;
}

/**
 * Filled by the transport during one upstream attempt, read by routing (log line, metrics, `server-timing`).
 * Adapters pass it through.
 */
export interface AttemptTrace {
  /** Time this attempt waited for a free connection under `maxConnections`, when it had to wait. */
  queueMs?: number;
  /** Sent with the attempt's request: the gateway's `x-request-id` and W3C trace context (`traceparent`). */
  headers?: Record<string, string>;
}

/** One upstream model on one provider. */
export interface Target {
  readonly provider: string;
  readonly upstreamModel: string;
}

/** Why an upstream attempt failed; decides failover. */
export type ProviderErrorClass =
  | 'auth'
  | 'bad_request'
  | 'not_found'
  | 'context_length'
  | 'rate_limited'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'network'
  | 'aborted'
  /** Every connection of a capped provider stayed busy for `queueTimeoutMs`: not the target's fault, no breaker. */
  | 'queue_timeout';

/**
 * A failed upstream attempt. `message` is safe to show to a client (never contains keys or upstream internals
 * beyond the provider's own user-facing message).
 */
export class ProviderError extends Error {
  constructor(
    readonly errorClass: ProviderErrorClass,
    message: string,
    readonly opts: { status?: number; retryAfterMs?: number; provider?: string; param?: string | null; queueMs?: number } = {},
  ) {
    super(message);
  }

  /**
   * Usage the provider reported before a stream failed (Anthropic's `message_start` carries the prompt's
   * figures): an abandoned request is billed with it rather than with our estimate.
   */
  usageSoFar?: Usage;

  get retryable(): boolean {
    return RETRYABLE.has(this.errorClass);
  }
  get status(): number | undefined {
    return this.opts.status;
  }
  get retryAfterMs(): number | undefined {
    return this.opts.retryAfterMs;
  }
}

const RETRYABLE = new Set<ProviderErrorClass>(['rate_limited', 'overloaded', 'server', 'timeout', 'network']);

export interface CompletionResult {
  response: ChatResponse;
  usage: Usage;
}

/**
 * A live upstream stream. Iterating yields OpenAI-shaped chunks in upstream order; the last chunk may be a
 * usage-only chunk (`choices: []`). Iteration throws ProviderError on upstream failure (HTTP, error event,
 * timeout, truncation). `usage()` is the provider-reported usage seen so far (undefined if none yet).
 * Breaking out of the iteration (or aborting the signal) aborts the upstream request.
 */
export interface ChunkStream extends AsyncIterable<ChatChunk> {
  usage(): Usage | undefined;
}

/** One adapter instance per configured provider; lives as long as the gateway (holds a connection pool). */
export interface ProviderAdapter {
  readonly config: ProviderConfig;
  /** Non-streaming completion. Rejects with ProviderError. */
  complete(req: ChatRequest, target: Target, signal: AbortSignalLike, trace?: AttemptTrace): Promise<CompletionResult>;
  /** Streaming completion; resolves once the upstream accepted the request (2xx headers). Rejects with ProviderError. */
  stream(req: ChatRequest, target: Target, signal: AbortSignalLike, trace?: AttemptTrace): Promise<ChunkStream>;
  /** What the adapter's connections are doing (metrics). */
  connections(): ConnectionStats;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
