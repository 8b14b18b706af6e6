/**
 * The log line for waits on a capped provider's connections (`maxConnections`). One line per provider per
 * interval at most: a saturated provider makes every request wait, and a line per request would flood the log
 * exactly when the operator needs it readable. The line counts what happened since the previous one.
 */
import type { Logger } from 'pino';

/** At most one line per provider per this interval. */
export const QUEUE_LOG_INTERVAL_MS = 10_000;

interface Pending {
  waited: number;
  timedOut: number;
  maxWaitMs: number;
  lastLineAt: number;
}

export interface QueueLog {
  /** An attempt waited `queueMs` for a connection of `provider`; `timedOut` when it gave up. */
  record(provider: string, queueMs: number, timedOut: boolean): void;
}

export function createQueueLog(logger: Logger | undefined, intervalMs = QUEUE_LOG_INTERVAL_MS): QueueLog {
  const byProvider = new Map<string, Pending>();
  return {
    record(provider, queueMs, timedOut) {
      if (!logger) return;
      let p = byProvider.get(provider);
      if (!p) byProvider.set(provider, (p = { waited: 0, timedOut: 0, maxWaitMs: 0, lastLineAt: -Infinity }));
      p.waited++;
      if (timedOut) p.timedOut++;
      p.maxWaitMs = Math.max(p.maxWaitMs, queueMs);
      const now = performance.now();
      if (now - p.lastLineAt < intervalMs) return;
      logger.warn(
        { provider, waited: p.waited, timedOut: p.timedOut, maxWaitMs: Math.round(p.maxWaitMs), sinceMs: p.lastLineAt === -Infinity ? undefined : Math.round(now - p.lastLineAt) },
        `upstream connection limit reached for provider ${provider}: ${p.waited} request(s) waited for a connection, ${p.timedOut} gave up (maxConnections; see docs/routing.md)`,
      );
      p.waited = 0;
      p.timedOut = 0;
      p.maxWaitMs = 0;
      p.lastLineAt = now;
    },
  };
}
