/** Retry timing: jittered exponential backoff and an abortable sleep. */
import { ProviderError } from '../../providers/types.js';
import type { AbortSignalLike } from '../../providers/abort.js';
import type { RetryPolicy } from './route-schema.js';

/**
 * "Full jitter" backoff before retry pass `round` (1-based): uniform in [0, min(max, base·2^(round-1))].
 * Spreads retries of many clients hit by the same outage instead of having them return in lockstep.
 */
export function backoffMs(policy: RetryPolicy, round: number, random: () => number): number {
  const cap = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, round - 1));
  return Math.round(random() * cap);
}

/** Waits `ms`, or rejects with ProviderError('aborted') as soon as `signal` aborts (the client left). */
export function sleep(ms: number, signal: AbortSignalLike): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ProviderError('aborted', 'request aborted by client'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ProviderError('aborted', 'request aborted by client'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
