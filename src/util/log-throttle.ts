/**
 * Rate-limits a repeated log line: during an outage every request hits the same failure, and one line per
 * request (166 lines in 3 s of a Redis outage) buries everything else. The first occurrence is logged at once;
 * later ones at most once per interval, carrying how many were left out since the last line.
 */
export interface LogThrottle {
  /** Undefined when this occurrence is not to be logged; else how many occurrences were left out before it. */
  take(now?: number): { suppressed: number } | undefined;
}

export function createLogThrottle(intervalMs = 10_000): LogThrottle {
  let last = -Infinity;
  let suppressed = 0;
  return {
    take(now = Date.now()) {
      if (now - last < intervalMs) {
        suppressed++;
        return undefined;
      }
      last = now;
      const out = { suppressed };
      suppressed = 0;
      return out;
    },
  };
}
