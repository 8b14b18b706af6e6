/**
 * Notices when the state store lost its data (Redis restarted without persistence, or was flushed) and writes the
 * config's teams and keys again, so that losing Redis does not lock every caller out with 401 until someone
 * reloads the config.
 *
 * How: the store keeps the id of its data set (`StateStore.dataEpoch`). The watch remembers the id it saw; a
 * different or newly created id means the data set is new. It checks on a timer, and at once (deduplicated)
 * when a key is not found — the first symptom callers see. While it re-applies, `/readyz` says so.
 */
import type { Logger } from 'pino';
import type { StateStore } from './state-store.js';
import { StateUnavailableError } from './errors.js';

export type StateDataStatus = 'ok' | 'restoring';

export interface StateLossWatch {
  /**
   * Checks now (at most once per `minGapMs`; concurrent callers share one check). Resolves true when the data was
   * found lost and has been restored by this check or one running. Never rejects.
   */
  check(): Promise<boolean>;
  /** For `/readyz`. */
  status(): { data: StateDataStatus; lastLossAt?: string; restores: number };
  close(): void;
}

export interface StateLossWatchOptions {
  store: StateStore;
  logger: Logger;
  /** Writes the config's teams and keys again (bootstrap's `applyConfig` with the current config). */
  restore(): Promise<{ teams: number; keys: number }>;
  intervalMs?: number;
  minGapMs?: number;
}

/**
 * Starts watching. The first check only learns the data set's id: call it once the config has been applied at
 * start (`server.ts`).
 */
export function createStateLossWatch(opts: StateLossWatchOptions): StateLossWatch {
  const { store, logger } = opts;
  const minGapMs = opts.minGapMs ?? 250;
  let known: string | undefined;
  let running: Promise<boolean> | undefined;
  let lastCheck = 0;
  let data: StateDataStatus = 'ok';
  let lastLossAt: number | undefined;
  let restores = 0;

  async function run(): Promise<boolean> {
    let epoch;
    try {
      epoch = await store.dataEpoch();
    } catch (err) {
      if (!(err instanceof StateUnavailableError)) logger.error({ err: (err as Error).message }, 'state data check failed');
      return false; // unreachable: nothing to compare; the next check tells
    }
    if (known === undefined) {
      known = epoch.id;
      return false;
    }
    if (!epoch.created && epoch.id === known) return false;
    data = 'restoring';
    lastLossAt = Date.now();
    logger.error(
      { store: store.kind, previous: known, now: epoch.id },
      'state store lost its data (restarted without persistence, or flushed): budgets spent and keys created through the admin API are gone; re-applying the config\'s teams and keys',
    );
    try {
      const applied = await opts.restore();
      known = epoch.id;
      restores++;
      data = 'ok';
      logger.warn({ store: store.kind, ...applied }, 'state store restored from the config');
      return true;
    } catch (err) {
      // Leave `known` as it was: the next check finds the loss again and retries.
      logger.error({ err: (err as Error).message }, 'restoring the config into the state store failed; retrying at the next check');
      return false;
    }
  }

  const check = (): Promise<boolean> => {
    if (running) return running;
    const now = Date.now();
    if (now - lastCheck < minGapMs) return Promise.resolve(false);
    lastCheck = now;
    running = run().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => void check(), opts.intervalMs ?? 5_000);
  timer.unref();

  return {
    check,
    status: () => ({ data, ...(lastLossAt !== undefined ? { lastLossAt: new Date(lastLossAt).toISOString() } : {}), restores }),
    close: () => clearInterval(timer),
  };
}
