import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createStoreRetryQueue } from '../../src/pipeline/store-retry.js';
import { createUsageBuffer } from '../../src/pipeline/usage-buffer.js';
import { createSqliteStateStore, StateUnavailableError, type StateStore, type UsageRecord } from '../../src/state/index.js';

const rec = (over: Partial<UsageRecord> = {}): UsageRecord => ({
  at: Date.UTC(2026, 10, 22, 10, 15),
  teamId: 't',
  keyId: 'k',
  model: 'm',
  provider: 'p',
  requests: 1,
  promptTokens: 10,
  completionTokens: 5,
  cachedTokens: 0,
  costMicros: 7,
  cacheHits: 0,
  savedMicros: 0,
  errors: 0,
  guardBlocks: 0,
  ...over,
});
const silent = createLogger('silent');
const total = async (s: StateStore) => {
  const rows = await s.queryUsage({ from: 0, to: Date.UTC(2030, 0), granularity: 'hour', groupBy: ['model'] });
  return rows.map((r) => ({ model: r.model, requests: r.requests, tokens: r.promptTokens + r.completionTokens, cost: r.costMicros }));
};

describe('usage write-behind', () => {
  it('sums records per hour × team × key × model × provider and writes them on flush, exactly', async () => {
    const store = await createSqliteStateStore({ path: ':memory:' });
    const calls: UsageRecord[] = [];
    const counting: StateStore = Object.assign(Object.create(store), { recordUsage: (r: UsageRecord) => (calls.push(r), store.recordUsage(r)) });
    const buffer = createUsageBuffer(counting, createStoreRetryQueue(silent), 60_000);
    for (let i = 0; i < 1000; i++) await buffer.add(rec({ model: i % 2 ? 'a' : 'b', at: rec().at + i * 1000 }), `r${i}`);
    expect(await total(store)).toEqual([]);
    await buffer.flush();
    expect(calls).toHaveLength(2); // one write per distinct key, not per request
    expect(await total(store)).toEqual([
      { model: 'a', requests: 500, tokens: 7500, cost: 3500 },
      { model: 'b', requests: 500, tokens: 7500, cost: 3500 },
    ]);
    await store.close();
  });

  it('a flush the store cannot take is retried until it lands', async () => {
    const store = await createSqliteStateStore({ path: ':memory:' });
    let down = true;
    const flaky: StateStore = Object.assign(Object.create(store), {
      recordUsage: (r: UsageRecord) => (down ? Promise.reject(new StateUnavailableError('down')) : store.recordUsage(r)),
    });
    const retry = createStoreRetryQueue(silent, { baseMs: 10 });
    const buffer = createUsageBuffer(flaky, retry, 60_000);
    await buffer.add(rec(), 'r1');
    await buffer.flush();
    expect(retry.pending).toBe(1);
    down = false;
    await retry.drain(2000);
    expect(await total(store)).toEqual([{ model: 'm', requests: 1, tokens: 15, cost: 7 }]);
    await store.close();
  });
});
