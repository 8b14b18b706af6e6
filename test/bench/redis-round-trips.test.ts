// Redis round trips per request (issue 22.4), counted on a real redis-server: authentication reads key and team
// in one script, the key and team rate-limit windows go out together, then reserve and settle — 4 round trips
// per request with budgets + rate limits (6 before), the ledger written behind.
import { describe, expect, it } from 'vitest';
import { measureRoundTrips, roundTripsMarkdown } from '../../bench/redis-round-trips.js';

describe('Redis work per request (targets set on Redis)', () => {
  it('takes 4 round trips and one command per phase', async () => {
    const rows = await measureRoundTrips(40);
    expect(rows.map((r) => r.kind)).toEqual(['JSON', 'streamed']);
    for (const r of rows) {
      expect(r.commands.get('READ_PRINCIPAL')).toBe(1);
      expect(r.commands.get('hmget') ?? 0).toBe(0);
      expect(r.commands.get('RATE_LIMIT')).toBe(2);
      expect(r.commands.get('RESERVE')).toBe(1);
      expect(r.commands.get('SETTLE')).toBe(1);
      // A ledger flush or a periodic check may land inside the window: a fraction above 4, never a whole one.
      expect(r.roundTrips).toBeGreaterThanOrEqual(4);
      expect(r.roundTrips).toBeLessThan(4.5);
    }
    expect(roundTripsMarkdown(rows)).toContain('**round trips** (server reads)');
  }, 120_000);
});
