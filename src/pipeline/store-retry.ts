/**
 * Keeps accounting writes that the state store could not take (Redis restarting, SQLite locked) and retries
 * them with backoff until they land, so usage finished during an outage still reaches the budget and the ledger.
 * Settlement is idempotent by request id and a ledger write by its write id, so a retry of a write that did land
 * (its reply was lost) counts once.
 * Bounded: past `max` pending writes the oldest is dropped with an error log (the budget hold then expires by
 * its lease). Lives as long as the runtime; `drain` is called on shutdown.
 */
import type { Logger } from 'pino';
import { StateUnavailableError } from '../state/errors.js';
import { createLogThrottle } from '../util/log-throttle.js';

export interface StoreRetryQueue {
  /** Runs `task`; when the store is unavailable, keeps retrying it in the background. Never rejects. */
  run(label: string, reqId: string, task: () => Promise<unknown>): Promise<void>;
  /** Retries everything pending now, until empty or `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
  readonly pending: number;
  close(): void;
}

interface Pending {
  label: string;
  reqId: string;
  task: () => Promise<unknown>;
}

/** A settlement (`SettleResult`) that recorded nothing because its reservation was gone. */
const foundNothing = (result: unknown): boolean =>
  typeof result === 'object' && result !== null && (result as { settled?: unknown }).settled === false;

export function createStoreRetryQueue(logger: Logger, opts: { max?: number; baseMs?: number; maxMs?: number } = {}): StoreRetryQueue {
  const max = opts.max ?? 20_000;
  const baseMs = opts.baseMs ?? 250;
  const maxMs = opts.maxMs ?? 10_000;
  const queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let delay = baseMs;
  let flushing: Promise<void> | undefined;
  const deferredLog = createLogThrottle();
  // Since the queue was last empty: one summary line when it empties again, instead of a line per write.
  let burst = { deferred: 0, landed: 0, nothingToSettle: 0, failed: 0 };
  const summarise = () => {
    if (queue.length > 0 || burst.deferred === 0) return;
    logger.info(burst, 'deferred accounting writes all landed');
    burst = { deferred: 0, landed: 0, nothingToSettle: 0, failed: 0 };
  };

  const schedule = () => {
    if (timer || queue.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, delay);
    timer.unref();
  };

  async function flushOnce(): Promise<void> {
    while (queue.length) {
      const item = queue[0];
      try {
        const result = await item.task();
        queue.shift();
        delay = baseMs;
        if (foundNothing(result)) {
          burst.nothingToSettle++;
          logger.warn(
            { reqId: item.reqId, write: item.label, pending: queue.length },
            'deferred settlement found no reservation (the state store lost it, or its lease expired): nothing recorded in budgets; the usage ledger still has the request',
          );
        } else {
          burst.landed++;
          logger.debug({ reqId: item.reqId, write: item.label, pending: queue.length }, 'deferred accounting write landed');
        }
        summarise();
      } catch (err) {
        if (!(err instanceof StateUnavailableError)) {
          queue.shift();
          burst.failed++;
          logger.error({ reqId: item.reqId, write: item.label, err: (err as Error).message }, 'deferred accounting write failed');
          summarise();
          continue;
        }
        delay = Math.min(maxMs, delay * 2);
        return;
      }
    }
  }
  const flush = () => (flushing ??= flushOnce().finally(() => {
    flushing = undefined;
    schedule();
  }));

  return {
    async run(label, reqId, task) {
      try {
        if (foundNothing(await task())) {
          logger.warn({ reqId, write: label }, 'settlement found no reservation (the state store lost it, or its lease expired): nothing recorded in budgets; the usage ledger still has the request');
        }
      } catch (err) {
        if (!(err instanceof StateUnavailableError)) {
          logger.error({ reqId, write: label, err: (err as Error).message }, `${label} failed`);
          return;
        }
        if (queue.length >= max) {
          const dropped = queue.shift()!;
          logger.error({ reqId: dropped.reqId, write: dropped.label }, 'accounting retry queue full: dropped the oldest write');
        }
        queue.push({ label, reqId, task });
        burst.deferred++;
        // One line per outage burst, not per request: `pending` says how many wait.
        const log = deferredLog.take();
        if (log) logger.warn({ reqId, write: label, pending: queue.length, ...log }, `${label} deferred: state store unavailable, retrying`);
        schedule();
      }
    },
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length && Date.now() < deadline) {
        await flush();
        if (queue.length) await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
      }
      if (queue.length) logger.error({ pending: queue.length }, 'shutdown with accounting writes still pending (holds expire by their lease)');
    },
    get pending() {
      return queue.length;
    },
    close() {
      if (timer) clearTimeout(timer);
    },
  };
}
