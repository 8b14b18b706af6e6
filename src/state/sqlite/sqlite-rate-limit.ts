/**
 * Sliding-window-log rate limiter in SQLite: one row per allowed request in the trailing window, a running
 * count and token sum per scope. Expired rows are removed as they age out, so each call costs O(1) amortised.
 */
import type { Database } from 'better-sqlite3';
import { RATE_WINDOW_MS, rateResult } from '../rate-window.js';
import { assertAmounts } from '../budget-plan.js';
import type { RateLimitInput, RateLimitResult } from '../types.js';

export function createSqliteRateLimiter(db: Database) {
  const s = {
    expiredSum: db.prepare<[string, number], { n: number; t: number }>(
      'SELECT count(*) AS n, coalesce(sum(tokens), 0) AS t FROM rl_events WHERE scope = ? AND at <= ?',
    ),
    deleteExpired: db.prepare('DELETE FROM rl_events WHERE scope = ? AND at <= ?'),
    state: db.prepare<[string], { count: number; tokens: number }>('SELECT count, tokens FROM rl_state WHERE scope = ?'),
    setState: db.prepare(
      'INSERT INTO rl_state (scope, count, tokens) VALUES (?, ?, ?) ON CONFLICT(scope) DO UPDATE SET count = excluded.count, tokens = excluded.tokens',
    ),
    insert: db.prepare('INSERT INTO rl_events (scope, at, tokens) VALUES (?, ?, ?)'),
    newest: db.prepare<[string], { at: number }>('SELECT at FROM rl_events WHERE scope = ? ORDER BY at DESC LIMIT 1'),
    nth: db.prepare<[string, number], { at: number }>('SELECT at FROM rl_events WHERE scope = ? ORDER BY at, id LIMIT 1 OFFSET ?'),
    oldest: db.prepare<[string], { at: number; tokens: number }>('SELECT at, tokens FROM rl_events WHERE scope = ? ORDER BY at, id'),
  };

  const check = db.transaction((input: RateLimitInput): RateLimitResult => {
    const now = input.now ?? Date.now();
    const { scope, rpm, tpm, tokens } = input;
    const cutoff = now - RATE_WINDOW_MS;
    let { count, tokens: sum } = s.state.get(scope) ?? { count: 0, tokens: 0 };
    const gone = s.expiredSum.get(scope, cutoff)!;
    if (gone.n > 0) {
      s.deleteExpired.run(scope, cutoff);
      count -= gone.n;
      sum -= gone.t;
    }
    const okReq = rpm === undefined || count + 1 <= rpm;
    const okTok = tpm === undefined || sum + tokens <= tpm;
    const allowed = okReq && okTok;
    let retry = 0;
    if (allowed) {
      s.insert.run(scope, now, tokens);
      count += 1;
      sum += tokens;
    } else {
      if (!okReq) retry = s.nth.get(scope, count - rpm!)!.at + RATE_WINDOW_MS - now;
      if (!okTok) retry = Math.max(retry, tokenRetry(scope, sum, tokens, tpm!, now));
    }
    s.setState.run(scope, count, sum);
    const newest = s.newest.get(scope)?.at;
    const resetMs = newest === undefined ? 0 : newest + RATE_WINDOW_MS - now;
    return rateResult(allowed, rpm, tpm, count, sum, resetMs, retry);
  });

  /** Time until enough of the oldest entries age out for `tokens` more to fit (a full window if it never fits). */
  const tokenRetry = (scope: string, sum: number, tokens: number, tpm: number, now: number): number => {
    if (tokens > tpm) return RATE_WINDOW_MS;
    let freed = 0;
    for (const e of s.oldest.iterate(scope) as Iterable<{ at: number; tokens: number }>) {
      freed += e.tokens;
      if (sum - freed + tokens <= tpm) return e.at + RATE_WINDOW_MS - now;
    }
    return RATE_WINDOW_MS;
  };

  return {
    rateLimit: (i: RateLimitInput) => {
      assertAmounts('rateLimit', { tokens: i.tokens, rpm: i.rpm, tpm: i.tpm });
      return check.immediate(i);
    },
  };
}
