/**
 * The bounded wait for an upstream connection when an operator caps a provider's connections
 * (`providers.*.maxConnections`). Without a cap there is no gate and no wait.
 *
 * Why our own gate in front of undici's pool: a request over the pool's limit waits in undici's queue for as long
 * as it takes, with no timeout, no count and no error (issue 22: stream 129 waited 8 s, silently). Here a request
 * waits at most `queueTimeoutMs`, in arrival order; past that it fails with ProviderError('queue_timeout'), which
 * routing treats like any failure before the first byte (next target, else 503 `upstream_queue_timeout`). The
 * gate admits exactly as many requests as the pool has connections, so undici's own queue stays empty.
 */
import type { AbortSignalLike } from './abort.js';
import { ProviderError } from './types.js';

/** What a provider's connections are doing now (the `gateway_upstream_queue_*` gauges read it). */
export interface ConnectionStats {
  /** The operator's cap; undefined when unlimited. */
  limit: number | undefined;
  /** Requests holding a connection. */
  active: number;
  /** Requests waiting for one. */
  waiting: number;
}

interface Waiter {
  grant(): void;
}

export interface ConnectionGate {
  /**
   * Takes a slot: `0` at once when one is free (no promise, the common case), else a promise of the ms waited.
   * Rejects with ProviderError('queue_timeout') after `timeoutMs`, or ('aborted') when `signal` aborts first.
   */
  acquire(signal: AbortSignalLike): number | Promise<number>;
  /** Gives a slot back (exactly once per successful acquire). */
  release(): void;
  stats(): ConnectionStats;
}

export function createConnectionGate(provider: string, limit: number, timeoutMs: number): ConnectionGate {
  let active = 0;
  const waiters: Waiter[] = [];

  return {
    acquire(signal) {
      if (active < limit && waiters.length === 0) {
        active++;
        return 0;
      }
      const enqueuedAt = performance.now();
      return new Promise<number>((resolve, reject) => {
        const leave = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
        };
        const waiter: Waiter = {
          grant() {
            leave();
            resolve(performance.now() - enqueuedAt);
          },
        };
        const onAbort = () => {
          leave();
          reject(new ProviderError('aborted', 'request aborted by client', { provider }));
        };
        const timer = setTimeout(() => {
          leave();
          reject(
            new ProviderError('queue_timeout', `All ${limit} connections to the upstream provider stayed busy for ${timeoutMs} ms.`, {
              provider,
              queueMs: performance.now() - enqueuedAt,
            }),
          );
        }, timeoutMs);
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    release() {
      active--;
      // The freed slot goes straight to the longest waiter (FIFO), so `active` never exceeds the limit.
      const next = waiters[0];
      if (next && active < limit) {
        active++;
        next.grant();
      }
    },
    stats: () => ({ limit, active, waiting: waiters.length }),
  };
}
