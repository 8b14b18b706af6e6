/**
 * Sliding-window-log rate limiter in process memory, for the embedded (single-process) store. Same semantics and
 * figures as the Redis script: one entry per allowed request in the trailing 60 s, a running count and token sum
 * per scope; denied requests are not recorded, and an entry can be released again (another scope refused).
 *
 * Why not SQLite: an embedded store serves one process, a window lasts a minute, and writing two rows per request
 * per scope cost more than the rest of the request's state work. A restart forgets at most one window.
 */
import { assertAmounts } from './budget-plan.js';
import { RATE_WINDOW_MS, rateResult } from './rate-window.js';
import type { RateLimitInput, RateLimitResult } from './types.js';

interface Window {
  at: number[];
  tokens: number[];
  /** Entry ids, for `release`. */
  ids: number[];
  head: number;
  sum: number;
}

export function createMemoryRateLimiter() {
  const windows = new Map<string, Window>();
  let seq = 0;

  const expire = (w: Window, cutoff: number) => {
    while (w.head < w.at.length && w.at[w.head] <= cutoff) w.sum -= w.tokens[w.head++];
    // Compact once the consumed prefix dominates, so memory stays bounded by the live entries.
    if (w.head > 1024 && w.head * 2 > w.at.length) {
      w.at = w.at.slice(w.head);
      w.tokens = w.tokens.slice(w.head);
      w.ids = w.ids.slice(w.head);
      w.head = 0;
    }
  };

  return {
    rateLimit(input: RateLimitInput): RateLimitResult {
      assertAmounts('rateLimit', { tokens: input.tokens, rpm: input.rpm, tpm: input.tpm });
      const now = input.now ?? Date.now();
      const { scope, rpm, tpm, tokens } = input;
      let w = windows.get(scope);
      if (!w) windows.set(scope, (w = { at: [], tokens: [], ids: [], head: 0, sum: 0 }));
      expire(w, now - RATE_WINDOW_MS);
      const count = w.at.length - w.head;
      const okReq = rpm === undefined || count + 1 <= rpm;
      const okTok = tpm === undefined || w.sum + tokens <= tpm;
      const allowed = okReq && okTok;
      let retry = 0;
      let entry: string | undefined;
      if (allowed) {
        w.at.push(now);
        w.tokens.push(tokens);
        w.ids.push(++seq);
        w.sum += tokens;
        entry = String(seq);
      } else {
        // Requests: the entry whose expiry makes room; tokens: enough of the oldest entries aging out.
        if (!okReq) retry = w.at[w.head + count - rpm!] + RATE_WINDOW_MS - now;
        if (!okTok) retry = Math.max(retry, tokenRetry(w, tokens, tpm!, now));
      }
      const live = w.at.length - w.head;
      const resetMs = live === 0 ? 0 : w.at[w.at.length - 1] + RATE_WINDOW_MS - now;
      return rateResult(allowed, rpm, tpm, live, w.sum, resetMs, retry, entry);
    },

    rateLimitRelease(scope: string, entry: string): void {
      const w = windows.get(scope);
      const id = Number(entry);
      if (!w) return;
      // Searched from the newest: a release follows its request's own entry within milliseconds.
      for (let i = w.ids.length - 1; i >= w.head; i--) {
        if (w.ids[i] !== id) continue;
        w.sum -= w.tokens[i];
        w.at.splice(i, 1);
        w.tokens.splice(i, 1);
        w.ids.splice(i, 1);
        return;
      }
    },
  };
}

function tokenRetry(w: Window, tokens: number, tpm: number, now: number): number {
  if (tokens > tpm) return RATE_WINDOW_MS;
  let freed = 0;
  for (let i = w.head; i < w.at.length; i++) {
    freed += w.tokens[i];
    if (w.sum - freed + tokens <= tpm) return w.at[i] + RATE_WINDOW_MS - now;
  }
  return RATE_WINDOW_MS;
}
