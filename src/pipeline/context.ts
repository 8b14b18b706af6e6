import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/authenticate.js';
import type { Usage } from '../core/types.js';
import type { ResolvedModel, ResolvedTarget } from '../routing/catalog.js';
import type { AttemptRecord } from '../routing/executor.js';
import type { Api } from '../ingress/types.js';
import type { EarlyStage, RequestTrace } from '../telemetry/request-trace.js';

export type CacheStatus = 'hit' | 'miss' | 'bypass';

/**
 * Everything one request accumulates on its way through the pipeline; read at the end for settlement, the
 * log line and metrics. Owned by one request; never shared.
 */
export interface RequestContext {
  /** The request id of logs and `x-request-id`; a client may choose it, so it is never an accounting key. */
  readonly id: string;
  /**
   * What the budget reservation is held and settled under: generated here, unique per request. Were it `id`, a
   * client repeating one x-request-id would find its reservation settled already and be served unmetered.
   */
  readonly accountingId: string;
  /** performance.now() at arrival, for latencies. */
  readonly startedAt: number;
  /** Date.now() at arrival, for the ledger. */
  readonly startedAtMs: number;
  /** The API the request came in through (its ingress); `chat` until the pipeline knows. */
  api: Api;
  /** The end user the client named (`user`; Anthropic's `metadata.user_id`), for the ledger; at most 256 chars. */
  endUser?: string;
  /** The request's `metadata[state.usageTag]`, for the ledger; at most 128 chars. */
  tag?: string;
  principal?: Principal;
  model?: ResolvedModel;
  target?: ResolvedTarget;
  stream: boolean;
  readonly attempts: AttemptRecord[];
  /** Estimated prompt tokens (tiktoken), computed once at admission. */
  promptEstimate?: number;
  usage?: Usage;
  costMicros?: number;
  status: number;
  errorCode?: string;
  /** ms from arrival to the first byte of the answer written to the client. */
  ttfbMs?: number;
  /** ms spent waiting on upstreams (for the gateway-overhead figure). */
  upstreamMs: number;
  cache?: CacheStatus;
  /** Cost a cache hit saved, micro-dollars. */
  savedMicros?: number;
  guardBlocks: number;
  /** Guard and cache notes for the log line (never prompt text or matched values). */
  readonly notes: Record<string, unknown>;
  /** The request's spans when tracing is on (src/telemetry); absent otherwise, and then nothing is traced. */
  trace?: RequestTrace;
  /**
   * Headers every upstream attempt carries when not traced: `x-request-id` and the client's own trace context
   * (a traced attempt sends its span's instead).
   */
  upstreamHeaders?: Record<string, string>;
  /** When authentication ran (it precedes the context), for its span. */
  authTiming?: EarlyStage;
}

export function createRequestContext(id: string): RequestContext {
  return {
    id,
    accountingId: randomUUID(),
    startedAt: performance.now(),
    startedAtMs: Date.now(),
    api: 'chat',
    stream: false,
    attempts: [],
    status: 0,
    upstreamMs: 0,
    guardBlocks: 0,
    notes: {},
  };
}
