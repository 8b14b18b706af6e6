/**
 * The attempt loop: tries a request's targets in the order its route chose, failing over on retryable errors,
 * retrying with backoff, skipping targets whose circuit breaker is open, and reporting every outcome to the
 * shared target health.
 */
import type { ChatChunk, ChatRequest } from '../core/types.js';
import type { Logger } from 'pino';
import { ProviderError, type AttemptTrace, type ChunkStream, type CompletionResult, type ProviderAdapter } from '../../providers/types.js';
import type { AbortSignalLike } from '../../providers/abort.js';
import { backoffMs, sleep } from './backoff.js';
import type { ResolvedModel, ResolvedTarget } from './catalog.js';
import type { BreakerPermit } from './circuit-breaker.js';
import { readToCommit, type CommittedStream } from './stream-commit.js';
import { createQueueLog } from './queue-log.js';
import type { RequestTrace } from '../telemetry/request-trace.js';

/** One upstream attempt, for headers and the log line. */
export interface AttemptRecord {
  provider: string;
  model: string;
  ok: boolean;
  errorClass?: string;
  status?: number;
  /** Duration of the attempt (to the first content chunk for streams). */
  ms: number;
  /** Backoff / retry-after wait before this attempt, when there was one. */
  waitMs?: number;
  /** The attempt was a half-open circuit breaker probe. */
  probe?: boolean;
  /** Time waited for a free connection of a provider with `maxConnections`, when it had to wait. */
  queueMs?: number;
}

/** A stream that produced its first content chunk: from here on, no failover (bytes may reach the client). */
export interface OpenedStream {
  target: ResolvedTarget;
  stream: ChunkStream;
  iterator: AsyncIterator<ChatChunk>;
  first: IteratorResult<ChatChunk>;
}

/**
 * Runs a request against a resolved model's targets until one succeeds. Streams count as succeeded once their
 * first chunk with content arrived (content-free leading chunks are held back, so nothing has reached the
 * client before). Each attempt translates from the original neutral request. Failover and retry on
 * connection errors, timeouts, 429, 5xx and overloaded, and (without retrying that target) on 401/403/404 (the
 * target's key, account or model) or when the wait for a capped provider connection timed out; a context-length rejection goes to the route's `contextFallback`; other client
 * errors are thrown at once. Rejects with the last ProviderError when all
 * attempts fail, or ProviderError('overloaded') with `retryAfterMs` when every target's breaker is open.
 * Appends one AttemptRecord per attempt to `attempts`. Stateless itself; lives as long as the adapters.
 */
export interface Executor {
  complete(req: ChatRequest, model: ResolvedModel, signal: AbortSignalLike, attempts: AttemptRecord[], call?: UpstreamCall): Promise<CompletionResult & { target: ResolvedTarget }>;
  openStream(req: ChatRequest, model: ResolvedModel, signal: AbortSignalLike, attempts: AttemptRecord[], call?: UpstreamCall): Promise<OpenedStream>;
}

/**
 * The request an upstream call serves (the pipeline passes its RequestContext): with a trace, each attempt gets
 * a span and sends that span's headers; without, every attempt sends `upstreamHeaders` (`x-request-id`, the
 * client's trace context).
 */
export interface UpstreamCall {
  readonly trace?: Pick<RequestTrace, 'attempt' | 'stage'>;
  readonly upstreamHeaders?: Record<string, string>;
}

export interface ExecutorOptions {
  /** Jitter source (tests). */
  random?: () => number;
  /** For the (rate-limited) line about waits on capped provider connections. */
  logger?: Logger;
}

const sameTarget = (a: ResolvedTarget, b: ResolvedTarget) => a.provider === b.provider && a.upstreamModel === b.upstreamModel;

export function createExecutor(adapters: ReadonlyMap<string, ProviderAdapter>, opts: ExecutorOptions = {}): Executor {
  const random = opts.random ?? Math.random;
  const queueLog = createQueueLog(opts.logger);

  async function run<T>(
    req: ChatRequest,
    model: ResolvedModel,
    signal: AbortSignalLike,
    attempts: AttemptRecord[],
    call: UpstreamCall | undefined,
    attempt: (adapter: ProviderAdapter, target: ResolvedTarget, permit: BreakerPermit, trace: AttemptTrace) => Promise<T>,
  ): Promise<T> {
    const { retry: policy, health } = model;
    // Ordering the targets may wait for an embedding (semantic routes): its own span when traced.
    let pending = await (call?.trace ? call.trace.stage('route_plan', () => model.plan(req)) : model.plan(req));
    /** When each failed target may be tried again (failure time + retry-after, if it sent one). */
    const retryAt = new Map<ResolvedTarget, { at: number; retryAfterMs: number }>();
    const skippedOpen: ResolvedTarget[] = [];
    let lastError: unknown;
    let count = 0;
    let usedFallback = false;

    for (let round = 0; round <= policy.retries && pending.length > 0; round++) {
      const failed: ResolvedTarget[] = [];
      for (let i = 0; i < pending.length && count < policy.maxAttempts; i++) {
        const target = pending[i]!;
        const adapter = adapters.get(target.provider);
        if (!adapter) continue;
        let waitMs: number | undefined;
        const prev = retryAt.get(target);
        if (round > 0 && prev) {
          const delay = Math.max(backoffMs(policy, round, random), prev.retryAfterMs);
          waitMs = Math.max(0, Math.round(prev.at + delay - performance.now()));
          await sleep(waitMs, signal);
        }
        const permit = health.acquire(target);
        if (!permit) {
          if (!skippedOpen.includes(target)) skippedOpen.push(target);
          continue;
        }
        count++;
        const started = performance.now();
        const span = call?.trace?.attempt(target);
        const trace: AttemptTrace = { headers: span ? span.headers : call?.upstreamHeaders };
        try {
          const result = await attempt(adapter, target, permit, trace);
          const record: AttemptRecord = { provider: target.provider, model: target.upstreamModel, ok: true, ms: performance.now() - started, waitMs, probe: permit === 'probe' || undefined, queueMs: trace.queueMs };
          attempts.push(record);
          span?.end(record);
          if (trace.queueMs !== undefined) queueLog.record(target.provider, trace.queueMs, false);
          return result;
        } catch (err) {
          const pe = err instanceof ProviderError ? err : undefined;
          if (trace.queueMs !== undefined) queueLog.record(target.provider, trace.queueMs, pe?.errorClass === 'queue_timeout');
          const record: AttemptRecord = {
            provider: target.provider,
            model: target.upstreamModel,
            ok: false,
            errorClass: pe?.errorClass ?? 'internal',
            status: pe?.status,
            ms: performance.now() - started,
            waitMs,
            probe: permit === 'probe' || undefined,
            queueMs: trace.queueMs,
          };
          attempts.push(record);
          span?.end(record);
          lastError = err;
          if (!pe || pe.errorClass === 'aborted' || signal.aborted) {
            health.release(target, permit);
            throw err;
          }
          // 401/403/404: the target's own provider key, account or upstream model is at fault, not the request.
          // Another target may serve it; this one would fail the same way again, so it is not retried.
          const targetFault = pe.errorClass === 'auth' || pe.errorClass === 'not_found';
          if (!pe.retryable && !targetFault && pe.errorClass !== 'queue_timeout') {
            health.success(target, permit); // it answered: the request was at fault, not the target
            const fallback = model.contextFallback;
            if (pe.errorClass === 'context_length' && fallback && !usedFallback && !sameTarget(fallback, target)) {
              usedFallback = true;
              pending = [fallback];
              i = -1;
              continue;
            }
            throw err;
          }
          if (pe.errorClass === 'queue_timeout') {
            // Our own cap on the provider's connections, not a failing target: no breaker failure, and no retry of
            // this target (it already had its whole wait); the next target may have free connections.
            health.release(target, permit);
            continue;
          }
          if (targetFault) {
            // Not a breaker failure: an open breaker would answer 503 "temporarily unavailable" and hide the
            // cause (a bad key) that every request on a single-target route should report.
            health.release(target, permit);
            continue;
          }
          health.failure(target, permit);
          if (pe.errorClass === 'timeout') health.timedOut(target, performance.now() - started, req.stream);
          if (pe.retryAfterMs !== undefined) health.coolDown(target, pe.retryAfterMs);
          // A target that asks for a longer pause than we may wait is not retried within this request.
          if (pe.retryAfterMs === undefined || pe.retryAfterMs <= policy.maxRetryAfterMs) {
            failed.push(target);
            retryAt.set(target, { at: performance.now(), retryAfterMs: pe.retryAfterMs ?? 0 });
          }
        }
      }
      pending = failed;
    }
    if (skippedOpen.length) model.decision.skippedOpen = skippedOpen.map((t) => `${t.provider}/${t.upstreamModel}`);
    if (lastError !== undefined) throw lastError;
    if (skippedOpen.length) {
      const retryAfterMs = Math.min(...skippedOpen.map((t) => health.msUntilHalfOpen(t)));
      throw new ProviderError('overloaded', 'All upstream targets for this model are temporarily unavailable.', { retryAfterMs: Math.max(1000, retryAfterMs) });
    }
    throw new ProviderError('network', 'No provider is configured for this model.');
  }

  return {
    complete: (req, model, signal, attempts, call) =>
      run(req, model, signal, attempts, call, async (adapter, target, permit, trace) => {
        const started = performance.now();
        const result = await adapter.complete(req, target, signal, trace);
        model.health.success(target, permit, performance.now() - started, false);
        return { ...result, target };
      }),
    openStream: (req, model, signal, attempts, call) =>
      run(req, model, signal, attempts, call, async (adapter, target, permit, trace) => {
        const started = performance.now();
        const stream = await adapter.stream(req, target, signal, trace);
        let committed: CommittedStream;
        try {
          committed = await readToCommit(stream[Symbol.asyncIterator](), (err) => {
            // After commit: no failover, but the breaker should know the target broke mid-answer.
            if (err.retryable && !signal.aborted) model.health.failure(target, 'closed');
          });
        } catch (err) {
          if (err instanceof ProviderError) err.usageSoFar = stream.usage();
          throw err;
        }
        model.health.success(target, permit, performance.now() - started, true);
        return { target, stream, ...committed };
      }),
  };
}
