/**
 * buildSummary against a real (in-memory SQLite) usage ledger, without a browser: figures agree with the ledger,
 * odd but valid team ids stay data, and many teams / models stay readable.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSummary } from '../../src/dashboard/summary.js';
import { createMetrics } from '../../src/metrics/index.js';
import { createSqliteStateStore, type StateStore } from '../../src/state/index.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 3, 12, 30);

describe('dashboard summary', () => {
  let store: StateStore;
  const metrics = createMetrics({ defaultMetrics: false });
  beforeEach(async () => {
    store = await createSqliteStateStore({ path: ':memory:' });
  });
  afterEach(async () => {
    await store.close();
  });
  const rec = (teamId: string, model: string, n: Partial<Record<string, number>>, at = NOW - HOUR) =>
    store.recordUsage({ at, teamId, keyId: `k-${teamId}`, model, provider: 'openai', requests: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costMicros: 0, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0, ...n });

  it('keeps team ids such as __proto__ and constructor as data (no prototype pollution, no lost series)', async () => {
    // Both ids are valid by the admin schema (letters, digits, _ . -).
    await rec('__proto__', 'gpt-4o-mini', { requests: 1, costMicros: 1_000 });
    await rec('constructor', 'toString', { requests: 1, costMicros: 2_000, promptTokens: 5 });
    const s = await buildSummary(store, metrics, { days: 1, now: NOW });
    const json = JSON.parse(JSON.stringify(s));
    expect(Object.keys(json.charts.spendByTeam).sort()).toEqual(['__proto__', 'constructor']);
    expect(json.charts.spendByTeam.constructor.reduce((a: number, b: number) => a + b, 0)).toBe(2_000);
    expect(json.charts.spendByTeam.__proto__.reduce((a: number, b: number) => a + b, 0)).toBe(1_000);
    expect(json.charts.tokensByModel.toString.reduce((a: number, b: number) => a + b, 0)).toBe(5);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(Object.keys(Object)).toEqual([]);
  });

  it('reports cached prompt tokens like the usage ledger does (totals and per model)', async () => {
    await rec('a', 'gpt-4o-mini', { requests: 2, promptTokens: 1000, cachedTokens: 600, completionTokens: 50 });
    const s = await buildSummary(store, metrics, { days: 1, now: NOW });
    const [row] = await store.queryUsage({ from: Date.parse(s.from), to: Date.parse(s.to), granularity: 'day' });
    expect(s.totals).toMatchObject({ promptTokens: 1000, cachedTokens: row.cachedTokens, totalTokens: 1050 });
    expect(s.totals.cachedTokens).toBe(600);
    expect(s.models[0]).toMatchObject({ model: 'gpt-4o-mini', cachedTokens: 600 });
  });

  it('folds chart series past the top ones into one "(others)" series, keeping the totals', async () => {
    for (let i = 0; i < 30; i++) await rec(`team-${String(i).padStart(2, '0')}`, `model-${i}`, { requests: 1, costMicros: (i + 1) * 1_000, promptTokens: i + 1 });
    const s = await buildSummary(store, metrics, { days: 7, now: NOW });
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    for (const chart of [s.charts.spendByTeam, s.charts.spendByModel, s.charts.tokensByModel]) {
      const names = Object.keys(chart);
      expect(names.length).toBeLessThanOrEqual(10);
      expect(names).toContain('(others)');
      expect(Object.values(chart).reduce((a, v) => a + sum(v), 0)).toBe(sum([...Array(30)].map((_, i) => (chart === s.charts.tokensByModel ? i + 1 : (i + 1) * 1_000))));
    }
    // The biggest spenders keep their own series.
    expect(Object.keys(s.charts.spendByTeam)).toContain('team-29');
    expect(Object.keys(s.charts.spendByTeam)).not.toContain('team-00');
    // The table of models still lists every model.
    expect(s.models.length).toBe(30);
  });

  it('answers an empty ledger with zeros, null rates and no series', async () => {
    const s = await buildSummary(store, metrics, { days: 90, now: NOW });
    expect(s.totals).toMatchObject({ requests: 0, costMicros: 0, totalTokens: 0, cachedTokens: 0 });
    expect(s.rates).toEqual({ cacheHitRate: null, errorRate: null });
    expect(s.charts.spendByTeam).toEqual({});
    expect(s.buckets.length).toBe(90);
    expect(s.from).toBe('2026-09-05T00:00:00.000Z'); // UTC day boundaries, like the usage API's day buckets
    expect(s.to).toBe('2026-12-04T00:00:00.000Z');
  });
});
