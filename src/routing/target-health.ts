/**
 * What the gateway has learnt about each upstream target from live traffic: its circuit breaker, a moving
 * average of time to first token, and a cool-down asked for by `retry-after`. Shared by every route that names
 * the target, so one outage opens one breaker.
 */
import { createCircuitBreaker, type BreakerPermit, type BreakerState, type CircuitBreaker } from './circuit-breaker.js';
import type { BreakerPolicy, RoutingConfig } from './route-schema.js';

/** Identifies a target; `provider` + upstream `model`. */
export interface TargetId {
  readonly provider: string;
  readonly upstreamModel: string;
}

/** One breaker's state, for metrics and `/readyz`. */
export interface BreakerStateEntry {
  provider: string;
  model: string;
  state: BreakerState;
}

/**
 * Lives as long as the catalog (one per gateway). All methods are O(1) per call except `breakerStates`
 * (O(targets seen)). Never throws. Targets are registered lazily on first use, so `provider/model` pass-through
 * names get breakers too.
 */
export interface TargetHealth {
  acquire(t: TargetId): BreakerPermit;
  /**
   * The target answered. `ttftMs` is the time to first token (to the whole answer for non-streaming calls);
   * omit it when the answer was a rejection of the request (400, context length), which proves health but
   * says nothing about speed.
   */
  success(t: TargetId, permit: BreakerPermit, ttftMs?: number, stream?: boolean): void;
  failure(t: TargetId, permit: BreakerPermit): void;
  /**
   * The target timed out after `waitedMs` without a first token: a lower bound of its time to first token, fed
   * to the average like a sample (without it, a target that starts hanging keeps the fast average it had and
   * the latency strategy keeps trying it first). Says nothing to the breaker (`failure` does that).
   */
  timedOut(t: TargetId, waitedMs: number, stream: boolean): void;
  release(t: TargetId, permit: BreakerPermit): void;
  state(t: TargetId): BreakerState;
  /** ms until an open breaker of `t` half-opens; 0 when it is not open. */
  msUntilHalfOpen(t: TargetId): number;
  /** Moving average of time to first token, undefined before the first success. */
  ttftMs(t: TargetId, stream: boolean): number | undefined;
  /** The target asked (retry-after) not to be called until `Date.now() + ms`; routes then try it last. */
  coolDown(t: TargetId, ms: number): void;
  coolingDown(t: TargetId): boolean;
  breakerStates(): BreakerStateEntry[];
}

/** Weight of the newest sample in the moving average: reacts within a handful of requests, smooths outliers. */
const EWMA_ALPHA = 0.3;
/** A cool-down longer than this is capped: a bogus `retry-after: 86400` must not bench a target for a day. */
const MAX_COOL_DOWN_MS = 60_000;

interface Entry {
  id: TargetId;
  breaker: CircuitBreaker;
  ttftStream?: number;
  ttftComplete?: number;
  coolUntil: number;
}

export function createTargetHealth(routing: RoutingConfig, now: () => number = Date.now): TargetHealth {
  const entries = new Map<string, Entry>();
  const policyFor = (provider: string): BreakerPolicy => ({ ...routing.breaker, ...routing.providers[provider]?.breaker });

  const entry = (t: TargetId): Entry => {
    const key = `${t.provider}\u0000${t.upstreamModel}`;
    let e = entries.get(key);
    if (!e) {
      e = { id: { provider: t.provider, upstreamModel: t.upstreamModel }, breaker: createCircuitBreaker(policyFor(t.provider), now), coolUntil: 0 };
      entries.set(key, e);
    }
    return e;
  };
  const ewma = (prev: number | undefined, x: number) => (prev === undefined ? x : prev + EWMA_ALPHA * (x - prev));

  return {
    acquire: (t) => entry(t).breaker.acquire(),
    success(t, permit, ttftMs, stream) {
      const e = entry(t);
      e.breaker.success(permit);
      e.coolUntil = 0;
      if (ttftMs === undefined) return;
      if (stream) e.ttftStream = ewma(e.ttftStream, ttftMs);
      else e.ttftComplete = ewma(e.ttftComplete, ttftMs);
    },
    failure: (t, permit) => entry(t).breaker.failure(permit),
    timedOut(t, waitedMs, stream) {
      const e = entry(t);
      if (stream) e.ttftStream = ewma(e.ttftStream, waitedMs);
      else e.ttftComplete = ewma(e.ttftComplete, waitedMs);
    },
    release: (t, permit) => entry(t).breaker.release(permit),
    state: (t) => entry(t).breaker.state(),
    msUntilHalfOpen: (t) => entry(t).breaker.msUntilHalfOpen(),
    ttftMs: (t, stream) => (stream ? entry(t).ttftStream : entry(t).ttftComplete),
    coolDown(t, ms) {
      entry(t).coolUntil = now() + Math.min(ms, MAX_COOL_DOWN_MS);
    },
    coolingDown: (t) => entry(t).coolUntil > now(),
    breakerStates: () =>
      [...entries.values()].map((e) => ({ provider: e.id.provider, model: e.id.upstreamModel, state: e.breaker.state() })),
  };
}
