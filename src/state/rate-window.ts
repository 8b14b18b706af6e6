/** Shared arithmetic of the sliding-window-log rate limiter (both backends return the same figures). */
import type { RateLimitResult } from './types.js';

export const RATE_WINDOW_MS = 60_000;

/** Builds the public result from the window state after the decision. */
export function rateResult(
  allowed: boolean,
  rpm: number | undefined,
  tpm: number | undefined,
  count: number,
  tokens: number,
  resetMs: number,
  retryAfterMs: number,
  entry?: string,
): RateLimitResult {
  return {
    allowed,
    ...(allowed && entry !== undefined ? { entry } : {}),
    ...(rpm !== undefined ? { requests: { limit: rpm, remaining: Math.max(0, rpm - count), resetMs } } : {}),
    ...(tpm !== undefined ? { tokens: { limit: tpm, remaining: Math.max(0, tpm - tokens), resetMs } } : {}),
    retryAfterMs: allowed ? 0 : Math.max(1, retryAfterMs),
  };
}
