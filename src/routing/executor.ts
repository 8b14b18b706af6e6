import type { ChatChunk, ChatRequest } from '../core/types.js';
import { ProviderError, type ChunkStream, type CompletionResult, type ProviderAdapter } from '../../providers/types.js';
import type { ResolvedModel, ResolvedTarget } from './catalog.js';

/** One upstream attempt, for headers and the log line. */
export interface AttemptRecord {
  provider: string;
  model: string;
  ok: boolean;
  errorClass?: string;
  status?: number;
  ms: number;
}

/** A stream that produced its first chunk: from here on, no failover (bytes may reach the client). */
export interface OpenedStream {
  target: ResolvedTarget;
  stream: ChunkStream;
  iterator: AsyncIterator<ChatChunk>;
  first: IteratorResult<ChatChunk>;
}

/**
 * Runs a request against a resolved model's targets, in order, failing over on retryable errors until one
 * succeeds. Streams count as succeeded once their first chunk arrived (nothing has reached the client before).
 * Each attempt translates from the original neutral request. Throws the last ProviderError when all fail.
 */
export interface Executor {
  complete(req: ChatRequest, model: ResolvedModel, signal: AbortSignal, attempts: AttemptRecord[]): Promise<CompletionResult & { target: ResolvedTarget }>;
  openStream(req: ChatRequest, model: ResolvedModel, signal: AbortSignal, attempts: AttemptRecord[]): Promise<OpenedStream>;
}

export function createExecutor(adapters: ReadonlyMap<string, ProviderAdapter>): Executor {
  async function run<T>(
    model: ResolvedModel,
    signal: AbortSignal,
    attempts: AttemptRecord[],
    attempt: (adapter: ProviderAdapter, target: ResolvedTarget) => Promise<T>,
  ): Promise<T> {
    let lastError: unknown;
    for (const target of model.targets) {
      const adapter = adapters.get(target.provider);
      if (!adapter) continue;
      const started = performance.now();
      try {
        const result = await attempt(adapter, target);
        attempts.push({ provider: target.provider, model: target.upstreamModel, ok: true, ms: performance.now() - started });
        return result;
      } catch (err) {
        const pe = err instanceof ProviderError ? err : undefined;
        attempts.push({
          provider: target.provider,
          model: target.upstreamModel,
          ok: false,
          errorClass: pe?.errorClass ?? 'internal',
          status: pe?.status,
          ms: performance.now() - started,
        });
        lastError = err;
        if (!pe?.retryable || signal.aborted) throw err;
      }
    }
    throw lastError ?? new ProviderError('network', 'No provider is configured for this model.');
  }

  return {
    complete: (req, model, signal, attempts) =>
      run(model, signal, attempts, async (adapter, target) => ({
        ...(await adapter.complete(req, { provider: target.provider, upstreamModel: target.upstreamModel }, signal)),
        target,
      })),
    openStream: (req, model, signal, attempts) =>
      run(model, signal, attempts, async (adapter, target) => {
        const stream = await adapter.stream(req, { provider: target.provider, upstreamModel: target.upstreamModel }, signal);
        const iterator = stream[Symbol.asyncIterator]();
        try {
          const first = await iterator.next();
          return { target, stream, iterator, first };
        } catch (err) {
          await iterator.return?.();
          throw err;
        }
      }),
  };
}
