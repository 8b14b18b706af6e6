/**
 * A circuit breaker for one upstream target. Counts outcomes in a sliding window of fixed buckets (O(1) per
 * event, memory bounded by the bucket count, no timers), so a target that keeps failing is skipped instead of
 * costing every request a timeout.
 */
import type { BreakerPolicy } from './route-schema.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** What `acquire` granted: a normal attempt, a half-open probe, or nothing (the breaker is open / probes busy). */
export type BreakerPermit = 'closed' | 'probe' | null;

/**
 * State machine closed → open (failures in the window reached the count or ratio) → half_open (after `openMs`,
 * lets `halfOpenProbes` attempts through) → closed on a probe's success, open again on its failure.
 * One instance per target, shared by all requests; not thread-safe beyond Node's single event loop. Never throws.
 */
export interface CircuitBreaker {
  state(): BreakerState;
  /** Asks to send one attempt. Every granted permit must be answered by exactly one of the three calls below. */
  acquire(): BreakerPermit;
  success(permit: BreakerPermit): void;
  failure(permit: BreakerPermit): void;
  /** The attempt said nothing about health (client abort): frees a probe slot. */
  release(permit: BreakerPermit): void;
  /** ms until an open breaker half-opens (0 when not open). */
  msUntilHalfOpen(): number;
}

const BUCKETS = 10;

export function createCircuitBreaker(policy: BreakerPolicy, now: () => number = Date.now): CircuitBreaker {
  const bucketMs = Math.max(1, Math.ceil(policy.windowMs / BUCKETS));
  const okCounts = new Array<number>(BUCKETS).fill(0);
  const failCounts = new Array<number>(BUCKETS).fill(0);
  const stamps = new Array<number>(BUCKETS).fill(-1);
  let openedAt = 0;
  let mode: 'closed' | 'open' = 'closed';
  let probes = 0;

  /** The bucket for the current time slice, cleared if it last held an older slice. */
  const bucket = () => {
    const slice = Math.floor(now() / bucketMs);
    const i = slice % BUCKETS;
    if (stamps[i] !== slice) {
      stamps[i] = slice;
      okCounts[i] = 0;
      failCounts[i] = 0;
    }
    return i;
  };
  const totals = () => {
    const oldest = Math.floor(now() / bucketMs) - BUCKETS + 1;
    let ok = 0;
    let fail = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (stamps[i]! >= oldest) {
        ok += okCounts[i]!;
        fail += failCounts[i]!;
      }
    }
    return { ok, fail };
  };
  const reset = () => {
    stamps.fill(-1);
    probes = 0;
  };
  const open = () => {
    mode = 'open';
    openedAt = now();
    probes = 0;
  };
  const state = (): BreakerState => {
    if (!policy.enabled || mode === 'closed') return 'closed';
    return now() - openedAt >= policy.openMs ? 'half_open' : 'open';
  };

  return {
    state,
    acquire() {
      const s = state();
      if (s === 'closed') return 'closed';
      if (s === 'open' || probes >= policy.halfOpenProbes) return null;
      probes++;
      return 'probe';
    },
    success(permit) {
      if (permit === 'probe' || state() === 'half_open') {
        // The target answered: close and forget the failures that opened the breaker.
        mode = 'closed';
        reset();
        return;
      }
      if (mode === 'closed') okCounts[bucket()]!++;
    },
    failure(permit) {
      if (!policy.enabled) return;
      if (permit === 'probe' || state() === 'half_open') return open();
      if (mode !== 'closed') return; // already open: a late failure of an older attempt changes nothing
      failCounts[bucket()]!++;
      const { ok, fail } = totals();
      const byCount = policy.failureThreshold > 0 && fail >= policy.failureThreshold;
      const byRatio = ok + fail >= policy.minRequests && fail / (ok + fail) >= policy.failureRatio;
      if (byCount || byRatio) open();
    },
    release(permit) {
      if (permit === 'probe' && probes > 0) probes--;
    },
    msUntilHalfOpen() {
      return state() === 'open' ? Math.max(0, openedAt + policy.openMs - now()) : 0;
    },
  };
}
