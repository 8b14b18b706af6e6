/**
 * Write-behind for the usage ledger: records are summed in memory per hour × team × key × model × provider × api ×
 * end user and
 * flushed every `flushMs` (one store write per distinct key, instead of one per request). Budgets are not
 * affected: they settle per request, at once. A flush the store cannot take goes to the retry queue; shutdown
 * flushes what is left. `flushMs: 0` writes through (each record at once). Every write carries a fresh `writeId`,
 * kept across its retries, so a write whose reply was lost (Redis killed after applying it) is not counted twice.
 */
import { randomUUID } from 'node:crypto';
import { hourOf } from '../state/periods.js';
import { USAGE_METRICS, type StateStore, type UsageRecord } from '../state/state-store.js';
import type { StoreRetryQueue } from './store-retry.js';

export interface UsageBuffer {
  add(record: UsageRecord, reqId: string): Promise<void>;
  /** Writes everything buffered now. */
  flush(): Promise<void>;
  close(): void;
}

export function createUsageBuffer(store: StateStore, retry: StoreRetryQueue, flushMs: number): UsageBuffer {
  let pending = new Map<string, UsageRecord>();
  let timer: NodeJS.Timeout | undefined;

  const write = (r: UsageRecord, reqId: string) => retry.run('usage ledger write', reqId, () => store.recordUsage(r));
  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = new Map();
    await Promise.all([...batch.values()].map((r) => write({ ...r, writeId: randomUUID() }, `batch:${r.teamId}`)));
  };

  return {
    async add(record, reqId) {
      if (flushMs === 0) return write({ ...record, writeId: randomUUID() }, reqId);
      const at = hourOf(record.at);
      const key = `${at}\u0000${record.teamId}\u0000${record.keyId}\u0000${record.model}\u0000${record.provider}\u0000${record.api ?? 'chat'}\u0000${record.endUser ?? ''}\u0000${record.tag ?? ''}`;
      const sum = pending.get(key);
      if (!sum) pending.set(key, { ...record, at });
      else for (const m of USAGE_METRICS) sum[m] += record[m];
      if (!timer) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
    close() {
      if (timer) clearTimeout(timer);
    },
  };
}
